"""Chat models: the OpenAI-compatible adapter (``openai_chat``) and what every LLM-backed
interviewer or evaluator needs on the ``ChatModel`` port whatever serves it: local token
estimates (``tokens``) and validated structured answers (``structured``).

Importing this package does not import ``openai``; only ``openai_chat`` does.
"""

"""Test your platform against interview-orchestrator.

- ``ScriptedOpenAIServer``: an OpenAI-compatible HTTP server on 127.0.0.1, scripted per test
  (a queue of responses and/or a handler), able to inject every provider fault, recording
  what it received. Point the real ``openai`` client, or a ``Container`` (``server.connect``),
  at it. ``quirks`` (``LITELLM_PROXY``, ``OLLAMA``, ``VLLM``, ``AZURE_OPENAI`` or your own
  ``ServerQuirks``) make it behave like a particular compatible server.
- ``ScriptedChatModel``: the ``ChatModel`` port answering from a script, without HTTP.
- Response builders (``completion``, ``rate_limited``, ``server_error``, ``malformed_body``,
  ``truncated``, ``stalled``, ``error``) and answer builders (``interviewer_turn``,
  ``evaluation``, ``plausible_responder``).
- A pytest plugin (installed with the package, ``interview_orchestrator.testing.pytest_plugin``)
  with the fixtures ``session_manager``, ``interview_container``, ``interview_logs`` and
  ``scripted_openai_server``.
"""

from .answers import evaluation, interviewer_turn, plausible_responder
from .chat_model import ScriptedChatModel
from .server import (
    AZURE_OPENAI,
    LITELLM_PROXY,
    OLLAMA,
    TEST_API_KEY,
    VLLM,
    RecordedRequest,
    ScriptedOpenAIServer,
    ScriptedResponse,
    ServerQuirks,
    completion,
    error,
    malformed_body,
    rate_limited,
    server_error,
    stalled,
    truncated,
)

__all__ = [
    "AZURE_OPENAI",
    "LITELLM_PROXY",
    "OLLAMA",
    "TEST_API_KEY",
    "VLLM",
    "RecordedRequest",
    "ScriptedChatModel",
    "ScriptedOpenAIServer",
    "ScriptedResponse",
    "ServerQuirks",
    "completion",
    "error",
    "evaluation",
    "interviewer_turn",
    "malformed_body",
    "plausible_responder",
    "rate_limited",
    "server_error",
    "stalled",
    "truncated",
]

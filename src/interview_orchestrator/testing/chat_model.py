"""``ScriptedChatModel``: a ``ChatModel`` that answers from a script, without HTTP.

For unit tests of code built on the library's LLM interviewer or evaluator: override the
container's chat model (``container.chat_model.override(providers.Object(model))``) or pass it
to ``LLMInterviewer`` / ``LLMEvaluator`` directly.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInputError
from ..llm.tokens import estimate_messages, estimate_tokens
from ..ports import ChatRequest, ChatResponse, TokenUsage
from .server import DEFAULT_MODEL

#: A scripted step: an answer's text, a mapping or list (sent as JSON), a whole
#: ``ChatResponse``, an exception to raise, or a function of the request giving one of these.
Step = (
    str
    | Mapping[str, Any]
    | list[Any]
    | ChatResponse
    | BaseException
    | Callable[[ChatRequest], Any]
)


class ScriptedChatModel:
    """Implements ``ChatModel``: each ``complete`` takes the next step of the script (or
    ``default`` when the script is used up) and records the request in ``requests``.
    ``configured=False`` makes ``check_configured`` refuse, as a provider without a key does."""

    def __init__(
        self,
        *steps: Step,
        default: Step | None = None,
        configured: bool = True,
        model: str = DEFAULT_MODEL,
    ) -> None:
        self._steps: deque[Step] = deque(steps)
        self._default = default
        self._configured = configured
        self._model = model
        self._lock = threading.Lock()
        self.requests: list[ChatRequest] = []

    def enqueue(self, *steps: Step) -> None:
        with self._lock:
            self._steps.extend(steps)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._steps)

    def check_configured(self) -> None:
        if not self._configured:
            raise InvalidInputError(
                "AI provider 'openai' is not configured (ScriptedChatModel(configured=False))"
            )

    def complete(self, request: ChatRequest) -> ChatResponse:
        with self._lock:
            self.requests.append(request)
            step = self._steps.popleft() if self._steps else self._default
        if step is None:
            raise AssertionError(
                "ScriptedChatModel has no scripted answer left for this request; enqueue one "
                "or pass default="
            )
        while callable(step) and not isinstance(step, BaseException | ChatResponse):
            step = step(request)
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, ChatResponse):
            return step
        text = step if isinstance(step, str) else json.dumps(step, ensure_ascii=False)
        model = request.model or self._model
        return ChatResponse(
            content=text,
            model=model,
            requested_model=model,
            finish_reason="stop",
            usage=TokenUsage(estimate_messages(request.messages), estimate_tokens(text)),
            latency_seconds=0.0,
        )


if TYPE_CHECKING:
    from ..ports import ChatModel

    def _implements_the_port(model: ScriptedChatModel) -> ChatModel:
        """mypy checks here that the class satisfies the ``ChatModel`` protocol."""
        return model

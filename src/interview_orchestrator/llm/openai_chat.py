"""``OpenAIChatModel``: the ``ChatModel`` port on the official ``openai`` client, for any
OpenAI-compatible endpoint (OpenAI, Azure OpenAI, vLLM, Ollama ...).

Faults are retried by the client's own machinery, configured explicitly (``timeout``,
``max_retries``): timeouts, connection errors, 408/409/429 and 5xx, with exponential backoff
(0.5 s doubling, at most 8 s) or the server's ``Retry-After`` when it gives one (up to two
minutes; longer is not waited for). What is left becomes a ``ProviderError`` that says what
failed, after how many attempts, and what to check; no ``openai`` exception escapes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

import openai

from ..errors import InterviewPlatformError, InvalidInputError, ProviderError, ProviderResponseError
from ..logging import clip, scrub_text
from ..ports import ChatModel, ChatRequest, ChatResponse, ResponseSchema, TokenUsage
from ..settings import OpenAISettings
from .tokens import estimate_messages, estimate_tokens

PROVIDER: Final = "openai"
API_KEY_VARIABLE: Final = "OPENAI_API_KEY"
NOT_CONFIGURED: Final = (
    f"AI provider 'openai' is not configured: set {API_KEY_VARIABLE} in the environment "
    "(and OPENAI_BASE_URL or openai.base_url for a server other than api.openai.com)"
)
_RETRY_COUNT_HEADER: Final = "x-stainless-retry-count"
_MAX_DETAIL_CHARS: Final = 200


def build_openai_client(settings: OpenAISettings, api_key: str | None) -> openai.OpenAI:
    """The client, with the timeout and retries set explicitly (the library's defaults are
    600 s and 2). Without a key: ``InvalidInputError`` saying how to configure one."""
    if not api_key or not api_key.strip():
        raise InvalidInputError(NOT_CONFIGURED)
    try:
        return openai.OpenAI(
            api_key=api_key.strip(),
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
        )
    except openai.OpenAIError as exc:
        raise InvalidInputError(f"{NOT_CONFIGURED} ({_detail(exc)})") from None


class OpenAIChatModel:
    """Implements ``ChatModel``. ``client`` is called on first use (the container passes its
    Singleton provider), so a container without a key builds, and ``check_configured`` refuses
    a session that names this provider before it starts."""

    def __init__(self, client: Callable[[], openai.OpenAI], settings: OpenAISettings) -> None:
        self._client = client
        self._settings = settings

    def check_configured(self) -> None:
        self._get_client()

    def complete(self, request: ChatRequest) -> ChatResponse:
        try:
            client = self._get_client()
        except InvalidInputError as exc:
            raise ProviderError(str(exc)) from None
        model = request.model or self._settings.model
        arguments = self._arguments(request, model)
        started = time.perf_counter()
        try:
            completion = client.chat.completions.create(**arguments)
        except InterviewPlatformError:
            raise
        except openai.APIStatusError as exc:
            raise self._status_error(exc, model) from None
        except openai.APITimeoutError as exc:
            raise ProviderError(
                f"the AI provider 'openai' (model {model!r} at {self._where()}) did not answer "
                f"within {self._settings.timeout:g} s in {_attempts(exc)} attempt(s); check that "
                "the server is up and reachable, or raise openai.timeout"
            ) from None
        except openai.APIConnectionError as exc:
            raise ProviderError(
                f"could not connect to the AI provider 'openai' at {self._where()} in "
                f"{_attempts(exc)} attempt(s) ({_cause(exc)}); check openai.base_url "
                "(OPENAI_BASE_URL) and the network"
            ) from None
        except (ValueError, openai.APIResponseValidationError) as exc:  # JSONDecodeError too
            raise ProviderResponseError(
                f"the AI provider 'openai' at {self._where()} answered with a body that is not a "
                f"chat completion ({type(exc).__name__}: {_detail(exc)}); check that "
                "openai.base_url points at an OpenAI-compatible /v1 endpoint"
            ) from None
        except openai.OpenAIError as exc:
            raise ProviderError(
                f"the AI provider 'openai' failed ({type(exc).__name__}: {_detail(exc)})"
            ) from None
        latency = time.perf_counter() - started
        return self._response(completion, request, model, latency)

    # ------------------------------------------------------------------ internals

    def _get_client(self) -> openai.OpenAI:
        try:
            return self._client()
        except InterviewPlatformError:
            raise
        except Exception as exc:
            raise InvalidInputError(f"{NOT_CONFIGURED} ({_detail(exc)})") from None

    def _arguments(self, request: ChatRequest, model: str) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
        }
        if self._settings.store is not None:
            arguments["store"] = self._settings.store
        if request.max_tokens is not None:
            arguments[self._settings.token_limit_parameter] = request.max_tokens
        if request.response_schema is not None:
            arguments["response_format"] = self._response_format(request.response_schema)
        return arguments

    def _response_format(self, schema: ResponseSchema) -> dict[str, Any]:
        if self._settings.structured_output == "json_object":
            return {"type": "json_object"}
        return {
            "type": "json_schema",
            "json_schema": {"name": schema.name, "schema": dict(schema.schema), "strict": True},
        }

    def _response(
        self, completion: Any, request: ChatRequest, model: str, latency: float
    ) -> ChatResponse:
        try:
            choice = completion.choices[0]
            message = choice.message
            content = message.content if isinstance(message.content, str) else ""
            finish_reason = choice.finish_reason
            if not content and getattr(message, "refusal", None):
                finish_reason = "refusal"
            served = completion.model if isinstance(completion.model, str) else None
            usage = completion.usage
            if usage is not None and isinstance(usage.prompt_tokens, int):
                tokens = TokenUsage(usage.prompt_tokens, int(usage.completion_tokens or 0))
            else:
                tokens = TokenUsage(
                    estimate_messages(request.messages), estimate_tokens(content), estimated=True
                )
        except (AttributeError, IndexError, KeyError, TypeError) as exc:
            raise ProviderResponseError(
                f"the AI provider 'openai' at {self._where()} answered with a body that is not a "
                f"chat completion (no usable choices: {type(exc).__name__}); check that "
                "openai.base_url points at an OpenAI-compatible /v1 endpoint"
            ) from None
        return ChatResponse(
            content=content,
            model=served or model,
            requested_model=model,
            finish_reason=finish_reason if isinstance(finish_reason, str) else None,
            usage=tokens,
            latency_seconds=round(latency, 4),
        )

    def _status_error(self, exc: openai.APIStatusError, model: str) -> ProviderError:
        status = exc.status_code
        attempts = _attempts(exc)
        where = f"the AI provider 'openai' (model {model!r} at {self._where()})"
        if status in (401, 403):
            return ProviderError(
                f"{where} refused the credentials (HTTP {status}); check {API_KEY_VARIABLE} and "
                "that the key may use this model",
                retryable=False,
            )
        if status == 404:
            return ProviderError(
                f"{where} answered HTTP 404; check openai.model (or the session's ai_model) and "
                "openai.base_url, which usually ends in /v1",
                retryable=False,
            )
        if status == 429:
            retry_after = exc.response.headers.get("retry-after")
            waited = f"; it last asked to wait {retry_after} s" if retry_after else ""
            return ProviderError(
                f"{where} kept rate-limiting requests (HTTP 429) after {attempts} attempt(s)"
                f"{waited}; check the account's rate limits and quota, lower the request rate, "
                "or configure a fallback_provider"
            )
        if status >= 500 or status in (408, 409):
            return ProviderError(
                f"{where} failed with HTTP {status} after {attempts} attempt(s); the service may "
                "be down or overloaded: retry later, raise openai.max_retries, or configure a "
                "fallback_provider"
            )
        return ProviderError(
            f"{where} rejected the request (HTTP {status}: {_detail(exc)}); check that the model "
            "supports structured output (openai.structured_output: json_object for servers "
            "without json_schema) and openai.token_limit_parameter",
            retryable=False,
        )

    def _where(self) -> str:
        """The base URL without credentials or query, fit for an error message."""
        parts = urlsplit(self._settings.base_url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _attempts(exc: openai.APIError) -> int:
    """How many requests were sent: the client numbers its retries in a request header."""
    try:
        return int(exc.request.headers.get(_RETRY_COUNT_HEADER, "0")) + 1
    except (AttributeError, RuntimeError, ValueError):
        return 1


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return type(cause).__name__ if cause is not None else type(exc).__name__


def _detail(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
    # Clipped before it is scrubbed: a server may answer with a body of any length.
    return scrub_text(clip(" ".join(str(message).split()), _MAX_DETAIL_CHARS))


if TYPE_CHECKING:

    def _implements_the_port(model: OpenAIChatModel) -> ChatModel:
        """mypy checks here that the class satisfies the ``ChatModel`` protocol."""
        return model

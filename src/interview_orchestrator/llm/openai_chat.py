"""``OpenAIChatModel``: the ``ChatModel`` port on the official ``openai`` client, for any
OpenAI-compatible endpoint (OpenAI, Azure OpenAI, vLLM, Ollama ...).

Faults are retried by the client's own machinery, configured explicitly (``timeout``,
``max_retries``): timeouts, connection errors, 408/409/429 and 5xx, with exponential backoff
(0.5 s doubling, at most 8 s) or the server's ``Retry-After`` when it gives one (up to two
minutes; longer is not waited for). What is left becomes a ``ProviderError`` that says what
failed, after how many attempts, and what to check (matched to what the server's error body
says: an unknown model, a refused key, a context too long, a request field it refuses); no
``openai`` exception escapes.

Optional request fields follow the settings: ``store: false`` goes to OpenAI's own API only
(``store: "auto"``), and any of ``temperature``, ``store``, the token limit and
``response_format`` can be left out (``omit_parameters``) for servers or models that refuse
them.

``openai`` (a large import) is imported when a client is built or a request made, never by
importing this module: the command line and the offline provider do not pay for it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

from ..errors import InterviewPlatformError, InvalidInputError, ProviderError, ProviderResponseError
from ..logging import clip, scrub_text
from ..ports import ChatModel, ChatRequest, ChatResponse, ResponseSchema, TokenUsage
from ..settings import OpenAISettings
from .tokens import estimate_messages, estimate_tokens

if TYPE_CHECKING:
    import openai

PROVIDER: Final = "openai"
API_KEY_VARIABLE: Final = "OPENAI_API_KEY"
NOT_CONFIGURED: Final = (
    f"AI provider 'openai' is not configured: set {API_KEY_VARIABLE} in the environment "
    "(and OPENAI_BASE_URL or openai.base_url for a server other than api.openai.com)"
)
_RETRY_COUNT_HEADER: Final = "x-stainless-retry-count"
_MAX_DETAIL_CHARS: Final = 300
#: How much of an error body is searched for what it is about (the patterns are bounded).
_MAX_MATCHED_CHARS: Final = 2000
OPENAI_API_HOST: Final = "api.openai.com"

_CONTEXT_TOO_LONG: Final = re.compile(
    r"context[ _-]?length|context window|maximum context|max_model_len|too many tokens"
    r"|prompt is too long|input is too long|reduce the length"
)
_UNKNOWN_MODEL: Final = re.compile(
    r"model[^.\n]{0,80}?(?:not found|does not exist|not exist|is not available|unknown)"
    r"|(?:unknown|invalid|no such) model|deployment[^.\n]{0,80}?(?:not found|does not exist)"
    r"|deploymentnotfound|model_not_found"
)
_REFUSED_KEY: Final = re.compile(
    r"(?:invalid|incorrect|wrong|missing|expired|bad|no)[ _-]?"
    r"(?:api[ _-]?key|key|token|credential)s?\b"
    r"|api[ _-]?key[^.\n]{0,40}?(?:invalid|not valid|incorrect|expired)|unauthori[sz]ed"
    r"|authentication"
)


def build_openai_client(settings: OpenAISettings, api_key: str | None) -> openai.OpenAI:
    """The client, with the timeout and retries set explicitly (the library's defaults are
    600 s and 2). Without a key: ``InvalidInputError`` saying how to configure one."""
    if not api_key or not api_key.strip():
        raise InvalidInputError(NOT_CONFIGURED)
    import openai

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
        import openai

        model = request.model or self._settings.model
        arguments = request_arguments(self._settings, request, model)
        started = time.perf_counter()
        try:
            completion = client.chat.completions.create(**arguments)
        except InterviewPlatformError:
            raise
        except openai.APIStatusError as exc:
            raise self._status_error(exc, model, arguments) from None
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

    def _status_error(
        self, exc: openai.APIStatusError, model: str, arguments: Mapping[str, Any]
    ) -> ProviderError:
        status = exc.status_code
        attempts = _attempts(exc)
        where = f"the AI provider 'openai' (model {model!r} at {self._where()})"
        if status < 500 and status not in (408, 409, 429):
            return _refusal(exc, where, arguments)
        if status == 429:
            retry_after = exc.response.headers.get("retry-after")
            waited = f"; it last asked to wait {retry_after} s" if retry_after else ""
            return ProviderError(
                f"{where} kept rate-limiting requests (HTTP 429) after {attempts} attempt(s)"
                f"{waited}; check the account's rate limits and quota, lower the request rate, "
                "or configure a fallback_provider"
            )
        return ProviderError(
            f"{where} failed with HTTP {status} after {attempts} attempt(s); the service may "
            "be down or overloaded: retry later, raise openai.max_retries, or configure a "
            "fallback_provider"
        )

    def _where(self) -> str:
        """The base URL without credentials or query, fit for an error message."""
        parts = urlsplit(self._settings.base_url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def sends_store(settings: OpenAISettings) -> bool | None:
    """The ``store`` value a request carries, None for none: "auto" sends ``false`` to OpenAI's
    own API only (LiteLLM, Ollama, vLLM ... may refuse the field with HTTP 400)."""
    if "store" in settings.omit_parameters or settings.store is None:
        return None
    if settings.store == "auto":
        return False if urlsplit(settings.base_url).hostname == OPENAI_API_HOST else None
    return bool(settings.store)


def request_arguments(settings: OpenAISettings, request: ChatRequest, model: str) -> dict[str, Any]:
    """The keyword arguments of ``chat.completions.create``: the optional fields only where
    the settings let them through."""
    omitted = set(settings.omit_parameters)
    arguments: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
    }
    if "temperature" not in omitted:
        arguments["temperature"] = request.temperature
    store = sends_store(settings)
    if store is not None:
        arguments["store"] = store
    if request.max_tokens is not None and "token_limit" not in omitted:
        arguments[settings.token_limit_parameter] = request.max_tokens
    if request.response_schema is not None and "response_format" not in omitted:
        arguments["response_format"] = _response_format(settings, request.response_schema)
    return arguments


def _response_format(settings: OpenAISettings, schema: ResponseSchema) -> dict[str, Any]:
    if settings.structured_output == "json_object":
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "json_schema": {"name": schema.name, "schema": dict(schema.schema), "strict": True},
    }


def _refusal(exc: openai.APIStatusError, where: str, arguments: Mapping[str, Any]) -> ProviderError:
    """A request the server refused (4xx other than 408/409/429), with the hint that matches
    what its error body says, quoting the body (clipped, scrubbed)."""
    status = exc.status_code
    said = f"HTTP {status}: {_detail(exc)}"
    text = _matched_text(exc)
    if _CONTEXT_TOO_LONG.search(text):
        hint = (
            f"{where} refused the request as longer than the model's context ({said}); lower "
            "openai.context_token_budget (a turn) or openai.evaluation_token_budget (an "
            "evaluation) and the max_tokens settings, or use a model with a larger context"
        )
    elif _UNKNOWN_MODEL.search(text) or (status == 404 and "model" in text):
        hint = (
            f"{where} does not serve this model ({said}); check openai.model (or the "
            "session's ai_model): the name the server lists at /v1/models, an Azure OpenAI "
            "deployment's name, or for Ollama a model pulled with `ollama pull`"
        )
    elif status in (401, 403) or _REFUSED_KEY.search(text):
        hint = (
            f"{where} refused the credentials ({said}); check {API_KEY_VARIABLE} (behind a "
            "LiteLLM proxy: a key the proxy issued) and that the key may use this model"
        )
    elif status == 404:
        hint = (
            f"{where} answered HTTP 404 ({_detail(exc)}); check openai.model (or the "
            "session's ai_model) and openai.base_url, which usually ends in /v1"
        )
    else:
        hint = f"{where} rejected the request ({said}); {_parameter_hint(text, exc, arguments)}"
    return ProviderError(hint, retryable=False)


def _parameter_hint(text: str, exc: openai.APIStatusError, arguments: Mapping[str, Any]) -> str:
    """What to change when the body names an optional field the request carried."""
    body = exc.body if isinstance(exc.body, dict) else {}
    param = body.get("param") if isinstance(body.get("param"), str) else None
    sent = [
        name
        for name in (
            "store",
            "temperature",
            "max_completion_tokens",
            "max_tokens",
            "response_format",
        )
        if name in arguments
    ]
    named = (
        param
        if param in sent
        else next((name for name in sent if re.search(rf"\b{name}\b", text)), None)
    )
    if named is None and "response_format" in sent and "json_schema" in text:
        named = "response_format"
    if named == "store":
        return "the server refuses the store field: set openai.store: null"
    if named == "temperature":
        return (
            "the model refuses a temperature (reasoning models accept only their default): add "
            "temperature to openai.omit_parameters"
        )
    if named == "max_completion_tokens":
        return "set openai.token_limit_parameter: max_tokens"
    if named == "max_tokens":
        return "set openai.token_limit_parameter: max_completion_tokens"
    if named == "response_format":
        return (
            "the server refuses this structured output: set openai.structured_output: "
            "json_object, or add response_format to openai.omit_parameters"
        )
    return (
        "check that the model supports structured output (openai.structured_output: "
        "json_object for servers without json_schema), openai.token_limit_parameter, and "
        "openai.omit_parameters for fields the server refuses"
    )


def _matched_text(exc: openai.APIStatusError) -> str:
    """The start of the error body, lower case, to recognise what it is about."""
    message = getattr(exc, "message", None) or str(exc)
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = f"{body['message']} {body.get('code') or ''} {body.get('type') or ''}"
    return str(message)[:_MAX_MATCHED_CHARS].lower()


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

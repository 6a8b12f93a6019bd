"""``ScriptedOpenAIServer``: a small OpenAI-compatible HTTP server on 127.0.0.1 for tests.

It serves ``POST /v1/chat/completions`` (and ``/chat/completions``) from a script: a queue
of ``ScriptedResponse``s, then a handler that sees each parsed request. It can inject every
fault the library must survive (a delay past the client's timeout, 429 with ``Retry-After``,
500/503, a body that is not JSON, a truncated answer ...), and it records every request with
its arrival time, so tests can assert what was sent and when.

``quirks`` makes it behave like a particular compatible server (``LITELLM_PROXY``,
``OLLAMA``, ``VLLM``, ``AZURE_OPENAI``): the fields it refuses or needs, the models it serves
and the error bodies it answers with, where it serves chat, and whether its answers wrap
their JSON in prose.

    with ScriptedOpenAIServer(completion("Hello")) as server:
        client = openai.OpenAI(api_key="test", base_url=server.base_url)
        ...
        assert "store" not in server.requests[0].json
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final

CHAT_PATHS: Final = frozenset({"/v1/chat/completions", "/chat/completions"})
DEFAULT_MODEL: Final = "scripted-model"
TEST_API_KEY: Final = "sk-scripted-test-key"


@dataclass(frozen=True)
class ServerQuirks:
    """How one OpenAI-compatible server departs from OpenAI's API. A request it would refuse
    is answered with that server's error (and consumes nothing from the script)."""

    name: str = "openai"
    #: Chat is served at ``{path_prefix}/chat/completions``; ``base_url`` ends in it.
    path_prefix: str = "/v1"
    #: Request fields the server refuses: field -> the message of its HTTP 400.
    refused_fields: Mapping[str, str] = field(default_factory=dict)
    #: Fields the server needs to honour the request: field -> the message of its HTTP 400
    #: when missing (a field it would silently ignore is emulated as one it needs).
    required_fields: Mapping[str, str] = field(default_factory=dict)
    #: The model names served (empty: any); another gets ``unknown_model`` (``{model}`` is
    #: replaced by the name asked for).
    served_models: tuple[str, ...] = ()
    unknown_model: ScriptedResponse | None = None
    #: Answers wrap their JSON in a Markdown fence with prose around it, as small models do.
    prose_around_json: bool = False

    @property
    def chat_paths(self) -> frozenset[str]:
        own = f"{self.path_prefix.rstrip('/')}/chat/completions"
        return CHAT_PATHS | {own} if self.path_prefix == "/v1" else frozenset({own})


@dataclass(frozen=True)
class ScriptedResponse:
    """One HTTP answer. ``delay`` seconds pass before it is sent (a client whose timeout is
    shorter gives up first)."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server received it; ``arrived_at`` is ``time.monotonic()``."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    arrived_at: float

    @property
    def size(self) -> int:
        """The body's length in bytes."""
        return len(self.body)

    @property
    def json(self) -> Any:
        """The parsed body (None if it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def messages(self) -> list[dict[str, Any]]:
        data = self.json
        return list(data.get("messages") or []) if isinstance(data, dict) else []

    @property
    def schema_name(self) -> str | None:
        """The name of the structured-output schema asked for, if any."""
        data = self.json
        if not isinstance(data, dict):
            return None
        response_format = data.get("response_format") or {}
        schema = response_format.get("json_schema") or {}
        name = schema.get("name")
        return name if isinstance(name, str) else None


#: Answers a request when the queue is empty; None leaves it unanswered (HTTP 400).
Handler = Callable[[RecordedRequest], "ScriptedResponse | None"]


# --------------------------------------------------------------------------- responses


def completion(
    content: str | Mapping[str, Any] | list[Any],
    *,
    model: str = DEFAULT_MODEL,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int | None = None,
    delay: float = 0.0,
) -> ScriptedResponse:
    """A chat completion whose message is ``content`` (a mapping or list is sent as its JSON
    text, as a model answering with structured output would)."""
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    produced = completion_tokens if completion_tokens is not None else max(len(text) // 4, 1)
    payload = {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": produced,
            "total_tokens": prompt_tokens + produced,
        },
    }
    return _json_response(200, payload, delay=delay)


def truncated(content: str = '{"reply": "Let me ask about', **kwargs: Any) -> ScriptedResponse:
    """An answer cut off by the token limit (``finish_reason`` "length")."""
    return completion(content, finish_reason="length", **kwargs)


def rate_limited(retry_after: float = 1.0) -> ScriptedResponse:
    """HTTP 429 with ``Retry-After`` (seconds; fractions are allowed, as OpenAI's client reads
    them)."""
    return _json_response(
        429,
        {"error": {"message": "Rate limit reached (scripted)", "type": "rate_limit_exceeded"}},
        headers={"Retry-After": f"{retry_after:g}"},
    )


def server_error(status: int = 500) -> ScriptedResponse:
    """HTTP 5xx (500 and 503 are the usual ones)."""
    return _json_response(
        status, {"error": {"message": f"scripted server error {status}", "type": "server_error"}}
    )


def malformed_body() -> ScriptedResponse:
    """HTTP 200 announcing JSON, with a body that is not JSON."""
    return ScriptedResponse(
        200, b"<html>this is not JSON</html>", {"Content-Type": "application/json"}
    )


def stalled(seconds: float, then: ScriptedResponse | None = None) -> ScriptedResponse:
    """``then`` (a plain completion by default) after ``seconds``: past the client's timeout."""
    answer = then or completion("(too late)")
    return ScriptedResponse(answer.status, answer.body, answer.headers, delay=seconds)


def error(status: int, message: str) -> ScriptedResponse:
    """Any HTTP error with an OpenAI-style error body."""
    return _json_response(status, {"error": {"message": message, "type": "scripted_error"}})


def _json_response(
    status: int,
    payload: object,
    *,
    headers: Mapping[str, str] | None = None,
    delay: float = 0.0,
) -> ScriptedResponse:
    return ScriptedResponse(
        status,
        json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        {"Content-Type": "application/json", **(headers or {})},
        delay,
    )


def _refusal(message: str, status: int = 400, code: str | None = None) -> ScriptedResponse:
    detail: dict[str, Any] = {"message": message, "type": "invalid_request_error"}
    if code is not None:
        detail["code"] = code
    return _json_response(status, {"error": detail})


#: A LiteLLM proxy in front of a backend that is not OpenAI's own (Ollama, Anthropic,
#: Mistral, Gemini, Bedrock ...): without ``drop_params`` it refuses ``store`` with HTTP 400.
LITELLM_PROXY: Final = ServerQuirks(
    name="litellm",
    refused_fields={
        "store": "litellm.UnsupportedParamsError: ollama does not support parameters: "
        "['store'], for model=llama3.1. To drop these, set `litellm.drop_params=True` or for "
        "proxy: `litellm_settings: drop_params: true`"
    },
)
#: Ollama's /v1 endpoint: caps an answer only by ``max_tokens``, serves the models pulled
#: (404 otherwise), and small models put prose and a fence around their JSON.
OLLAMA: Final = ServerQuirks(
    name="ollama",
    required_fields={"max_tokens": "the scripted Ollama caps an answer only by max_tokens"},
    served_models=("llama3.1",),
    unknown_model=_refusal('model "{model}" not found, try pulling it first', 404),
    prose_around_json=True,
)
#: vLLM's OpenAI-compatible server: serves the one model it was started with.
VLLM: Final = ServerQuirks(
    name="vllm",
    served_models=("Qwen/Qwen2.5-7B-Instruct",),
    unknown_model=_refusal("The model `{model}` does not exist.", 404, "NotFoundError"),
)
#: Azure OpenAI's v1 API: chat under ``/openai/v1``, the model named by its deployment.
AZURE_OPENAI: Final = ServerQuirks(
    name="azure-openai",
    path_prefix="/openai/v1",
    served_models=("interviews-gpt-4o-mini",),
    unknown_model=_refusal(
        "The API deployment for this resource does not exist. If you created the deployment "
        "within the last 5 minutes, please wait a moment and try again.",
        404,
        "DeploymentNotFound",
    ),
)


# --------------------------------------------------------------------------- the server


class ScriptedOpenAIServer:
    """An OpenAI-compatible server on 127.0.0.1 and an ephemeral port (see the module
    docstring). Use it as a context manager, or ``start()`` and ``close()``.

    Each chat request is answered by the next queued response; when the queue is empty, by
    ``handler`` (if it returns a response); with neither, by HTTP 400 naming the problem (the
    client does not retry a 400, so a test that forgot to script a call fails at once and says
    why).
    """

    def __init__(
        self,
        *responses: ScriptedResponse,
        handler: Handler | None = None,
        quirks: ServerQuirks | None = None,
    ) -> None:
        self.quirks = quirks or ServerQuirks()
        self._queue: deque[ScriptedResponse] = deque(responses)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.handler = handler

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> ScriptedOpenAIServer:
        if self._httpd is not None:
            return self
        server = self

        class _Handler(_RequestHandler):
            scripted = server

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; delayed responses still waiting are abandoned at once."""
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ scripting

    @property
    def base_url(self) -> str:
        """The URL to give the client (``openai.base_url``), ending in ``/v1``."""
        if self._httpd is None:
            raise RuntimeError("the server is not started: use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{self.quirks.path_prefix.rstrip('/')}"

    def enqueue(self, *responses: ScriptedResponse) -> None:
        """Add responses to the end of the queue."""
        with self._lock:
            self._queue.extend(responses)

    def script(self, responses: Iterable[ScriptedResponse]) -> None:
        """Replace the queue."""
        with self._lock:
            self._queue = deque(responses)

    @property
    def pending(self) -> int:
        """Queued responses not served yet."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order of arrival."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        paths = self.quirks.chat_paths
        return [r for r in self.requests if r.path in paths]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def connect(self, container: Any, *, timeout: float = 5.0, max_retries: int = 0) -> None:
        """Point a ``Container``'s ``openai`` provider at this server, with a test key (no
        environment variable needed). Call before the container builds anything."""
        from dependency_injector import providers

        container.config.openai.base_url.from_value(self.base_url)
        container.config.openai.timeout.from_value(timeout)
        container.config.openai.max_retries.from_value(max_retries)
        container.openai_api_key.override(providers.Object(TEST_API_KEY))

    # ------------------------------------------------------------------ serving

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _respond(self, request: RecordedRequest) -> ScriptedResponse:
        quirks = self.quirks
        if request.path not in quirks.chat_paths:
            served = " or ".join(sorted(quirks.chat_paths))
            return error(404, f"ScriptedOpenAIServer serves only {served}, not {request.path}")
        refused = self._refused(request)
        if refused is not None:
            return refused
        answer = self._scripted(request)
        return _wrapped_in_prose(answer) if quirks.prose_around_json else answer

    def _refused(self, request: RecordedRequest) -> ScriptedResponse | None:
        """The quirks' answer to a request that server would not serve, if any."""
        quirks = self.quirks
        body = request.json if isinstance(request.json, dict) else {}
        for name, message in quirks.refused_fields.items():
            if name in body:
                return _refusal(message)
        for name, message in quirks.required_fields.items():
            if name not in body:
                return _refusal(message)
        model = body.get("model")
        if quirks.served_models and model not in quirks.served_models:
            unknown = quirks.unknown_model or _refusal("The model `{model}` does not exist.", 404)
            text = unknown.body.decode("utf-8").replace("{model}", str(model))
            return ScriptedResponse(unknown.status, text.encode("utf-8"), unknown.headers)
        return None

    def _scripted(self, request: RecordedRequest) -> ScriptedResponse:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        handler = self.handler
        if handler is not None:
            answer = handler(request)
            if answer is not None:
                return answer
        return error(
            400,
            "ScriptedOpenAIServer has no scripted response for this request: enqueue one or set "
            "a handler",
        )

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless the server closes first; True if it is still open."""
        return not self._closing.wait(seconds) if seconds > 0 else True


def _wrapped_in_prose(answer: ScriptedResponse) -> ScriptedResponse:
    """``answer`` with each JSON message content put in a fence between two sentences."""
    try:
        payload = json.loads(answer.body)
        for choice in payload["choices"]:
            content = choice["message"]["content"]
            if isinstance(content, str) and content.lstrip().startswith("{"):
                choice["message"]["content"] = (
                    f"Sure! Here is the JSON you asked for:\n\n```json\n{content}\n```\n\n"
                    "Let me know if you need anything else."
                )
    except (ValueError, KeyError, TypeError):
        return answer
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return ScriptedResponse(answer.status, body, answer.headers, answer.delay)


class _RequestHandler(BaseHTTPRequestHandler):
    scripted: ScriptedOpenAIServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write, without Nagle's delay: keep-alive requests then
    # take a fraction of a millisecond instead of a delayed-ACK round (~40 ms).
    wbufsize = -1
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        request = RecordedRequest(
            "POST", path, {k.lower(): v for k, v in self.headers.items()}, body, arrived
        )
        self.scripted._record(request)
        try:
            answer = self.scripted._respond(request)
        except Exception as exc:  # a handler that broke: answer 500 rather than hang
            answer = error(500, f"ScriptedOpenAIServer handler failed: {exc!r}")
        if not self.scripted._wait(answer.delay):
            return
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout passed during ``delay``)

    def do_GET(self) -> None:
        self.do_POST()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests assert on ``requests`` instead."""

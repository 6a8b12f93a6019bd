"""What the webhook tests share: a receiving HTTP server on loopback that verifies every
delivery with the Standard Webhooks reference library, a clock the tests move, a dispatcher
on a thread, and waits on conditions with deadlines."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from standardwebhooks.webhooks import Webhook as StandardWebhook

from interview_orchestrator import Container, SessionConfig, SessionManager
from interview_orchestrator.clock import utc_now
from interview_orchestrator.webhooks import DispatchReport, WebhookDispatcher

#: Bounds every wait: a hung dispatcher fails the test instead of hanging the suite.
DEADLINE: Final = 30.0

#: Webhook settings that keep the tests quick (the lease is three timeouts).
FAST_WEBHOOKS: Final = {
    "poll_interval_seconds": 0.05,
    "timeout_seconds": 2,
    "lease_seconds": 6,
    "senders": 4,
    "per_endpoint": 2,
}


def wait_until(condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    """Poll ``condition`` until it is truthy (its value is returned); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def build_container(database_url: str, **webhooks: Any) -> Container:
    """A production container on the migrated test database, logging off, quick webhooks."""
    container = Container()
    container.config.database.url.from_value(database_url)
    container.config.database.auto_migrate.from_value("never")
    container.config.logging.enabled.from_value(False)
    for name, value in {**FAST_WEBHOOKS, **webhooks}.items():
        getattr(container.config.webhooks, name).from_value(value)
    return container


def run_interview(manager: SessionManager, *, tenant: str = "default", answers: int = 2) -> str:
    """A whole interview: start, answers, a pause, the end and its evaluation; its id."""
    session = manager.create_session(SessionConfig(), tenant_id=tenant)
    manager.start_session(session.id)
    for n in range(answers):
        manager.send_message(session.id, f"Answer {n}: a cache in front of a sharded database.")
    manager.pause_session(session.id)
    manager.resume_session(session.id)
    manager.end_session(session.id, evaluate="now")
    return session.id


class FakeClock:
    """A clock that stands still until a test moves it (the dispatcher's "now")."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or utc_now()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = max(self._now, when)

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self._now += by


@dataclass(frozen=True)
class Arrival:
    """One request an endpoint received (verified)."""

    webhook_id: str
    payload: dict[str, Any]
    arrived: float  # time.monotonic()

    @property
    def session_id(self) -> str:
        return str(self.payload["data"]["session_id"])

    @property
    def event_id(self) -> int:
        return int(self.payload["data"]["event_id"])


@dataclass
class Endpoint:
    """One path of the receiver: how it answers, and what it received."""

    path: str
    url: str
    secret: str | None = None
    #: The status of the n-th request (1, 2, 3 ...).
    answer: Callable[[int], int] = lambda _n: 200
    #: Seconds each request takes (a slow endpoint).
    delay: float = 0.0
    #: Requests whose number is in here wait for ``release`` before answering.
    hold: frozenset[int] = frozenset()
    release: threading.Event = field(default_factory=threading.Event)
    arrivals: list[Arrival] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    #: The most requests carrying one webhook-id that were ever in flight at once.
    max_concurrent_per_id: int = 0
    requests: int = 0

    def events(self, session_id: str | None = None) -> list[tuple[str, int]]:
        """(session, event cursor) of every arrival, in arrival order."""
        return [
            (a.session_id, a.event_id)
            for a in self.arrivals
            if session_id is None or a.session_id == session_id
        ]


class Receiver:
    """An HTTP server on a free loopback port; each endpoint a path."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._endpoints: dict[str, Endpoint] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def endpoint(self, name: str, **behaviour: Any) -> Endpoint:
        host, port = self._server.server_address[:2]
        path = f"/hooks/{name}"
        made = Endpoint(path=path, url=f"http://{host!s}:{port}{path}", **behaviour)
        self._endpoints[path] = made
        return made

    def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, timeout=timeout):
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")

    def close(self) -> None:
        for endpoint in self._endpoints.values():
            endpoint.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        endpoint = self._endpoints.get(request.path)
        body = request.rfile.read(int(request.headers.get("content-length", 0)))
        if endpoint is None or endpoint.secret is None:
            request.send_response(404)
            request.end_headers()
            return
        headers = {k.lower(): v for k, v in request.headers.items()}
        webhook_id = headers.get("webhook-id", "")
        try:
            payload = StandardWebhook(endpoint.secret).verify(body, headers)
        except Exception as exc:
            with self._changed:
                endpoint.refused.append(f"{webhook_id}: {exc}")
                self._changed.notify_all()
            request.send_response(400)
            request.end_headers()
            return
        with self._changed:
            endpoint.requests += 1
            number = endpoint.requests
            endpoint.in_flight[webhook_id] += 1
            endpoint.max_concurrent_per_id = max(
                endpoint.max_concurrent_per_id, endpoint.in_flight[webhook_id]
            )
            endpoint.arrivals.append(Arrival(webhook_id, payload, time.monotonic()))
            self._changed.notify_all()
        try:
            if number in endpoint.hold:
                endpoint.release.wait(DEADLINE)
            if endpoint.delay:
                time.sleep(endpoint.delay)  # the endpoint is slow by design
            request.send_response(endpoint.answer(number))
            request.send_header("content-length", "0")
            request.end_headers()
        finally:
            with self._changed:
                endpoint.in_flight[webhook_id] -= 1
                self._changed.notify_all()


@contextmanager
def dispatching(dispatcher: WebhookDispatcher) -> Iterator[DispatchReport]:
    """``dispatcher.run`` on a thread for the length of the block (stopped at its end)."""
    stop = threading.Event()
    report = DispatchReport()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            dispatcher.run(stop, report=report)
        except BaseException as exc:  # handed to the test
            failure.append(exc)

    thread = threading.Thread(target=run, name="test-dispatcher", daemon=True)
    thread.start()
    try:
        yield report
    finally:
        stop.set()
        dispatcher.wake()
        thread.join(DEADLINE)
    assert not thread.is_alive(), "the dispatcher did not stop"
    assert not failure, failure


def payload_types(endpoint: Endpoint, session_id: str) -> list[str]:
    return [a.payload["type"] for a in endpoint.arrivals if a.session_id == session_id]

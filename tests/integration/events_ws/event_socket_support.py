"""What the event WebSocket tests share: paths, callers made with the real ``AccessManager``, a
receive with a deadline (the test client's own waits forever), and a transport that stalls
chosen sockets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
from starlette.testclient import WebSocketTestSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from interview_orchestrator import Container
from interview_orchestrator.access_manager import AccessManager
from interview_orchestrator.clock import utc_now

API = "/api/v1"
#: Seconds between the socket's permission checks (``service.websocket_ping_seconds``).
HEARTBEAT = 0.3
#: Bounds every wait: a socket that never answers fails its test instead of hanging.
WAIT = 20.0
TENANT = "acme"
OTHER_TENANT = "globex"


def events_path(session_id: str, *, token: str | None = None, after: int | None = None) -> str:
    query = [f"token={token}"] if token is not None else []
    if after is not None:
        query.append(f"after={after}")
    return f"{API}/sessions/{session_id}/events" + ("?" + "&".join(query) if query else "")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def receive(socket: WebSocketTestSession, timeout: float = WAIT) -> dict[str, Any]:
    """The next frame, decoded; ``WebSocketDisconnect`` (code, reason) when the service
    closed the socket instead; ``TimeoutError`` after ``timeout``."""

    async def next_message() -> Message:
        with anyio.fail_after(timeout):
            message: Message = await socket._send_rx.receive()
            return message

    message = socket.portal.call(next_message)
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason") or "")
    frame: dict[str, Any] = json.loads(message["text"])
    return frame


def frames_until(
    socket: WebSocketTestSession, last_id: int, timeout: float = WAIT
) -> list[dict[str, Any]]:
    """Frames up to and including the one with ``last_id`` (each within ``timeout``)."""
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1]["id"] < last_id:
        frames.append(receive(socket, timeout))
    return frames


def close_of(socket: WebSocketTestSession, timeout: float = WAIT) -> WebSocketDisconnect:
    """How the service closed the socket (frames before the close are skipped)."""
    while True:
        try:
            receive(socket, timeout)
        except WebSocketDisconnect as closed:
            return closed


@dataclass
class Callers:
    """Keys of a role and tenant, links of a kind: made as ``keys create`` and the links route
    make them."""

    container: Container

    @property
    def access(self) -> AccessManager:
        manager: AccessManager = self.container.access_manager()
        return manager

    def key(self, role: str = "admin", tenant: str = TENANT) -> str:
        return self.access.create_key(f"{role} of {tenant}", role, tenant)[1]

    def link(self, session_id: str, kind: str = "candidate") -> tuple[str, str]:
        """A new link to the session: its id and its token."""
        session = self.container.session_manager().get_session(session_id)
        link, token = self.access.create_link(session, kind, 60)
        return link.id, token

    def link_expiring_in(self, session_id: str, seconds: float) -> str:
        """A one-minute link made so long ago that it has ``seconds`` left."""
        made_earlier = AccessManager(
            self.container.access_store(),
            self.container.rate_limit_store(),
            clock=lambda: utc_now() - timedelta(seconds=60 - seconds),
            logger=self.container.logger(),
        )
        session = self.container.session_manager().get_session(session_id)
        return made_earlier.create_link(session, "candidate", 1)[1]


class StalledClients:
    """Wraps the app: frames to a WebSocket opened with ``stall=1`` in its query are never
    delivered, as to a client that stopped reading (its transport is full)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or b"stall=1" not in scope["query_string"]:
            await self.app(scope, receive, send)
            return

        async def stalled(message: Message) -> None:
            if message["type"] == "websocket.send":
                await anyio.sleep_forever()
            await send(message)

        await self.app(scope, receive, stalled)

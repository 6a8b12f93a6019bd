"""A session's event log: ``GET /sessions/{session_id}/events`` reads it a page at a time (a
replay, an audit); ``WS /sessions/{session_id}/events`` reads it after a cursor, then live.

The WebSocket: each event is one JSON text frame (``SessionEventOut``: ``id``, ``type``,
``session_id``, ``data``, ``created_at``), in log order, each once; a client that reconnects with
``after=<the last id it saw>`` loses nothing. The token comes in the ``token`` query
parameter (browsers cannot set headers on a WebSocket) or ``Authorization: Bearer``.

The socket is accepted before anything is checked, so that a refusal reaches a browser as a
close code and a reason (a refused handshake shows only 1006). Close codes are 4000 plus the
status an HTTP route answers for the same error: 4401 no or bad token, 4403 the caller may
not read events or its key or link was revoked or expired while the socket was open, 4404
unknown session or another tenant's (never told apart), 4422 a bad cursor or session id.
1013 "try again later": the client left frames untaken for a heartbeat, or the database was
away when it connected; 1011 an unexpected failure. Reconnecting with the cursor resumes.

Per socket: one reader (log pages in the thread pool into a bounded queue, woken by the
process's ``EventHub`` or its periodic re-read), one sender, one task that notices the
client leaving, one guard that re-checks the token every ``service.websocket_ping_seconds``.
The WebSocket pings themselves are the server's (uvicorn's ``ws_ping_interval``): ASGI gives
an application no ping frame.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, WebSocket
from pydantic import BaseModel, Field
from starlette.websockets import WebSocketDisconnect, WebSocketState

from ...access import Capability, LinkKind, Principal
from ...errors import (
    AuthenticationError,
    DataStoreError,
    InterviewPlatformError,
    InvalidInputError,
)
from ...log_events import LogEvent, Logger
from ...models import MAX_CURSOR, MAX_EVENT_PAGE, EventType, SessionEvent, parse_cursor
from ...serialization import SessionEventOut
from ...session_manager import SessionManager
from .. import problems
from ..deps import (
    allowed,
    authenticate,
    container_of,
    manager_for,
    run_sync,
    session_of,
    websocket_token,
)
from ..hub import SAFETY_SECONDS, Follower, hub_for
from ..permissions import Authorized

router = APIRouter(tags=["events"])

#: Events read from the log at once.
PAGE: Final = 100
#: Frames waiting for a client; full for a whole heartbeat, the client is too slow.
SEND_QUEUE_FRAMES: Final = 200
TRY_AGAIN_LATER: Final = 1013
INTERNAL_ERROR: Final = 1011
#: A close frame's reason is at most 123 bytes of UTF-8.
_MAX_REASON_BYTES: Final = 123
#: Cursors fit PostgreSQL's bigint.
_MAX_CURSOR_DIGITS: Final = 18


@dataclass(frozen=True)
class Close:
    """How the service ends a socket: a close code and a reason for the client."""

    code: int
    reason: str


def close_for(exc: InterviewPlatformError) -> Close:
    """The close of a library error: 4000 + the status its problem document would have."""
    status, title = next(
        ((code, words) for cls, code, _slug, words in problems.STATUS_OF if isinstance(exc, cls)),
        (500, "Internal error"),
    )
    if isinstance(exc, DataStoreError):
        return Close(TRY_AGAIN_LATER, "The database is unavailable: reconnect later")
    if status >= 500:
        return Close(INTERNAL_ERROR, "Internal error: reconnect later")
    return Close(4000 + status, _reason(f"{title}: {exc}"))


def _reason(text: str) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= _MAX_REASON_BYTES:
        return text
    return encoded[: _MAX_REASON_BYTES - 3].decode("utf-8", "ignore") + "..."


def parse_after(raw: str | None) -> int:
    """The ``after`` query parameter: the id of the last event the client saw (0: none)."""
    if raw is None or raw == "":
        return 0
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_CURSOR_DIGITS:
        shown = raw if len(raw) <= 20 else raw[:20] + "..."
        raise InvalidInputError(f"after must be a non-negative integer, got {shown!r}")
    return parse_cursor(int(raw))


def shown_to(principal: Principal, event: SessionEvent) -> SessionEventOut:
    """The event as ``principal`` may see it: a candidate's link never learns its evaluation,
    so its ``evaluation.updated`` events carry the status and nothing of the result."""
    if principal.role == LinkKind.CANDIDATE.value and event.type is EventType.EVALUATION_UPDATED:
        event = replace(event, data={"status": event.data.get("status")})
    return SessionEventOut.from_domain(event)


def _frames(
    manager: SessionManager, principal: Principal, session_id: str, after: int, limit: int
) -> list[tuple[int, str]]:
    """A page of the log as ``(id, frame)`` (serialized in the worker thread, not on the
    loop)."""
    return [
        (event.id, shown_to(principal, event).model_dump_json())
        for event in manager.events(session_id, after=after, limit=limit)
    ]


class EventStream:
    """One open socket following one session, for one caller."""

    def __init__(
        self,
        websocket: WebSocket,
        *,
        principal: Principal,
        token: str | None,
        session_id: str,
        manager: SessionManager,
        after: int,
        heartbeat: float,
    ) -> None:
        self._websocket = websocket
        self._principal = principal
        self._token = token
        self._session_id = session_id
        self._manager = manager
        self._cursor = after
        self._heartbeat = heartbeat
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=SEND_QUEUE_FRAMES)
        self._taken = asyncio.Event()
        self._log = _logger(websocket)
        self.frames_sent = 0

    @property
    def session_id(self) -> str:
        return self._session_id

    @classmethod
    async def open(cls, websocket: WebSocket, session_id: str) -> EventStream:
        """Check the caller, its right to read this session's events, and the cursor."""
        token = websocket_token(websocket)
        principal = await authenticate(websocket, token)
        allowed(principal, Capability.READ_EVENTS)
        sid = session_of(principal, session_id)
        after = parse_after(websocket.query_params.get("after"))
        settings = await run_sync(websocket, container_of(websocket).settings)
        return cls(
            websocket,
            principal=principal,
            token=token,
            session_id=sid,
            manager=manager_for(websocket, principal),
            after=after,
            heartbeat=settings.service.websocket_ping_seconds,
        )

    async def run(self) -> Close | None:
        """Stream until the client leaves (None) or the service ends the socket (a Close).
        Following starts before the first read, so no commit falls between the two."""
        hub = await hub_for(self._websocket)
        with hub.follow(self._session_id) as follower:
            tasks = [
                _task(self._read(follower)),
                _task(self._send()),
                _task(self._until_client_leaves()),
                _task(self._guard()),
            ]
            try:
                done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                await _cancel(tasks)
        first = next(task for task in tasks if task in done)
        return first.result()

    async def _read(self, follower: Follower) -> Close:
        """Pages of the log from the cursor into the send queue; then wait for a wake-up."""
        while True:
            if not await self._room():
                return Close(
                    TRY_AGAIN_LATER, "Too slow: frames were not taken; reconnect with your cursor"
                )
            limit = min(PAGE, SEND_QUEUE_FRAMES - self._queue.qsize())
            try:
                frames = await run_sync(
                    self._websocket,
                    _frames,
                    self._manager,
                    self._principal,
                    self._session_id,
                    self._cursor,
                    limit,
                )
            except DataStoreError:  # the log is the truth: read again after a pause
                self._log.warning(
                    LogEvent.EVENT_SOCKET_READ_FAILED,
                    operation="events_socket",
                    session_id=self._session_id,
                )
                await follower.wait(SAFETY_SECONDS)
                continue
            for event_id, frame in frames:
                self._queue.put_nowait(frame)
                self._cursor = event_id
            if len(frames) < limit:
                await follower.wait(SAFETY_SECONDS)

    async def _room(self) -> bool:
        """Wait for the client to take a frame while the queue is full; False if it takes
        none for a heartbeat."""
        try:
            async with asyncio.timeout(self._heartbeat):
                while self._queue.full():
                    self._taken.clear()
                    await self._taken.wait()
        except TimeoutError:
            return False
        return True

    async def _send(self) -> None:
        while True:
            frame = await self._queue.get()
            self._taken.set()
            try:
                await self._websocket.send_text(frame)
            except (WebSocketDisconnect, OSError, RuntimeError):
                return  # the client went away
            self.frames_sent += 1

    async def _until_client_leaves(self) -> None:
        """Frames from the client are not part of the protocol and are ignored."""
        while True:
            message = await self._websocket.receive()
            if message["type"] == "websocket.disconnect":
                return

    async def _guard(self) -> Close:
        """Re-check the token every heartbeat: a revoked or expired key or link ends the
        socket."""
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                principal = await authenticate(self._websocket, self._token)
            except AuthenticationError:
                return Close(4403, "Not allowed: access to this session was revoked or expired")
            except DataStoreError:
                continue  # cannot tell now; the next heartbeat asks again
            if not _may_follow(principal, self._session_id):
                return Close(4403, "Not allowed: this caller may no longer read these events")


def _may_follow(principal: Principal, session_id: str) -> bool:
    return principal.may(Capability.READ_EVENTS) and principal.may_see(session_id)


def _task(work: Coroutine[Any, Any, Close | None]) -> asyncio.Task[Close | None]:
    return asyncio.create_task(work)


async def _cancel(tasks: list[asyncio.Task[Close | None]]) -> None:
    """Cancel the tasks and wait for them to end (``asyncio.wait``, not ``gather``: a
    cancelled ``gather`` would hide a cancellation of the socket itself from anyio's scopes)."""
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved: the first one to end is reported by the caller


def _logger(websocket: WebSocket) -> Logger:
    logger: Logger = container_of(websocket).logger()
    return logger.bind(component="api")


@router.websocket("/sessions/{session_id}/events")
async def session_events(websocket: WebSocket, session_id: str) -> None:
    """Replay the session's events after ``after``, then stream them live."""
    started = time.perf_counter()
    await websocket.accept()
    stream: EventStream | None = None
    outcome: Close | None
    try:
        stream = await EventStream.open(websocket, session_id)
        outcome = await stream.run()
    except InterviewPlatformError as exc:
        outcome = close_for(exc)
    except Exception:
        _logger(websocket).error(
            LogEvent.EVENT_SOCKET_FAILED, operation="events_socket", exc_info=True
        )
        outcome = Close(INTERNAL_ERROR, "Internal error: reconnect later")
    if outcome is not None and websocket.application_state is not WebSocketState.DISCONNECTED:
        with suppress(WebSocketDisconnect, OSError, RuntimeError):  # the client left first
            await websocket.close(outcome.code, outcome.reason)
    principal = getattr(websocket.state, "principal", None)
    _logger(websocket).info(
        LogEvent.EVENT_SOCKET_CLOSED,
        operation="events_socket",
        session_id=session_id if stream is None else stream.session_id,
        metadata={
            "close_code": None if outcome is None else outcome.code,
            "frames_sent": 0 if stream is None else stream.frames_sent,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "principal": None if principal is None else f"{principal.kind}:{principal.id}",
        },
    )


class EventPage(BaseModel):
    items: list[SessionEventOut]
    next_after: int | None = Field(
        description="Pass as `after` for the next page; null when this page ends the log as "
        "it is now (it grows while the session runs: read again later, or follow the "
        "WebSocket)."
    )


@router.get(
    "/sessions/{session_id}/events",
    response_model=EventPage,
    summary="The session's event log after a cursor, a page at a time",
    description="The same events, in the same order and shape, as the WebSocket's frames: "
    "for a replay of the session's timeline or an audit, where a socket is not wanted.",
)
async def read_events(
    request: Request,
    session_id: str,
    principal: Authorized,
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_CURSOR, description="The `id` of the last event already read (0: all)."),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_EVENT_PAGE, description="At most this many events.")
    ] = PAGE,
) -> EventPage:
    sid = session_of(principal, session_id)
    manager = manager_for(request, principal)
    events = await run_sync(request, lambda: manager.events(sid, after=after, limit=limit))
    return EventPage(
        items=[shown_to(principal, event) for event in events],
        next_after=events[-1].id if len(events) == limit else None,
    )

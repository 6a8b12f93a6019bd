"""One listener per process for the live event sockets.

The communication manager calls its listeners on a thread of its own for every commit that
wrote events (commits of this process; on PostgreSQL, of every process). A listener per
socket would cost a call per socket per commit, and a thread per socket to read; the hub
registers one listener and, on the event loop, wakes only the sockets that follow the
session. A wake-up carries no events: each socket reads the durable log from its own cursor,
so a lost wake-up only delays an event (sockets also re-read every ``SAFETY_SECONDS``) and a
spurious one costs a read, never a duplicate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Final

from fastapi import FastAPI
from starlette.requests import HTTPConnection

from ..ports import CommunicationManager
from .deps import container_of, run_sync

#: How often a socket re-reads its log without a wake-up: the bound on the delay a lost
#: wake-up (a dropped notification, a listener reconnecting) can cause.
SAFETY_SECONDS: Final = 5.0
#: The session id of a wake-up that means "every log may have grown" (the listener
#: reconnected and may have missed notifications).
EVERY_SESSION: Final = "*"


class Follower:
    """One socket's interest in one session's log."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self._woken = asyncio.Event()

    def wake(self) -> None:
        self._woken.set()

    async def wait(self, timeout: float = SAFETY_SECONDS) -> None:
        """Return when the log may have grown since the last return, or after ``timeout``.
        A wake-up that came while the caller was reading is kept for the next wait."""
        try:
            async with asyncio.timeout(timeout):
                await self._woken.wait()
        except TimeoutError:
            pass
        self._woken.clear()


class EventHub:
    """Fans the communication manager's wake-ups out to the followers of each session, on
    the event loop it was made on."""

    def __init__(self, channels: CommunicationManager, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._followers: dict[str, set[Follower]] = {}
        self._stop_listening = channels.listen(self._heard)

    @contextmanager
    def follow(self, session_id: str) -> Iterator[Follower]:
        """Follow ``session_id`` for as long as the block runs (call on the event loop)."""
        follower = Follower(session_id)
        self._followers.setdefault(session_id, set()).add(follower)
        try:
            yield follower
        finally:
            followers = self._followers.get(session_id)
            if followers is not None:
                followers.discard(follower)
                if not followers:
                    del self._followers[session_id]

    @property
    def followed_sessions(self) -> int:
        return len(self._followers)

    def close(self) -> None:
        """Stop listening; followers still open keep their periodic re-read."""
        self._stop_listening()

    def _heard(self, session_id: str, _first: int, _last: int) -> None:
        """On the communication manager's thread: hand the wake-up to the loop."""
        with suppress(RuntimeError):  # a closed loop: the app is shutting down
            self.loop.call_soon_threadsafe(self._wake, session_id)

    def _wake(self, session_id: str) -> None:
        if session_id == EVERY_SESSION:
            for followers in self._followers.values():
                for follower in followers:
                    follower.wake()
            return
        for follower in self._followers.get(session_id, ()):
            follower.wake()


async def hub_for(connection: HTTPConnection) -> EventHub:
    """The app's hub, made on first use on the running loop (and made again if the app now
    runs on another loop, as a test client without a lifespan does)."""
    app: FastAPI = connection.app
    loop = asyncio.get_running_loop()
    hub: EventHub | None = getattr(app.state, "hub", None)
    if hub is not None and hub.loop is loop:
        return hub
    # Building the communication manager may open the database: not on the loop.
    channels = await run_sync(connection, container_of(connection).communication_manager)
    hub = getattr(app.state, "hub", None)  # another socket may have made it meanwhile
    if hub is None or hub.loop is not loop:
        if hub is not None:
            hub.close()
        hub = EventHub(channels, loop)
        app.state.hub = hub
    return hub


def close_hub(app: FastAPI) -> None:
    """Stop the app's hub, if one was made (on shutdown)."""
    hub: EventHub | None = getattr(app.state, "hub", None)
    if hub is not None:
        hub.close()
        app.state.hub = None


__all__ = ["EVERY_SESSION", "SAFETY_SECONDS", "EventHub", "Follower", "close_hub", "hub_for"]

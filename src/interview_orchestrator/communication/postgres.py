"""Wake-ups across processes on PostgreSQL: ``LISTEN`` on the channel the store ``NOTIFY``s.

The store sends ``NOTIFY interview_events, '<session_id> <first> <last>'`` inside the
transaction that wrote the events, so a notification arrives only for committed events and
never before their rows are visible. A notification only wakes readers; the rows are the
truth, so a notification lost while the listening connection was down costs nothing but a
little latency (readers also re-read their logs periodically).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Engine

from ..log_events import LogEvent, Logger
from ..ports import WakeHandler
from ..store.events import NOTIFY_CHANNEL
from .in_process import InProcessCommunicationManager

#: How long one wait for notifications lasts, so that ``close`` is noticed promptly.
_POLL_SECONDS: Final = 0.5
_RECONNECT_MAX_SECONDS: Final = 5.0


class PostgresCommunicationManager(InProcessCommunicationManager):
    """The in-process manager plus a listener thread that hears every process's commits."""

    def __init__(self, engine: Engine, logger: Logger) -> None:
        super().__init__(logger=logger)
        self._engine = engine
        self._listener: threading.Thread | None = None
        self._stopping = threading.Event()
        #: Set once the listening connection is up (tests wait on it).
        self.listening = threading.Event()

    def listen(self, handler: WakeHandler) -> Callable[[], None]:
        stop = super().listen(handler)
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._stopping.clear()
                self._listener = threading.Thread(
                    target=self._listen_forever, name="interview-events-listen", daemon=True
                )
                self._listener.start()
        return stop

    def close(self) -> None:
        self._stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.join(timeout=5)
        super().close()

    def _listen_forever(self) -> None:
        delay = 0.1
        while not self._stopping.is_set():
            try:
                self._listen_once()
                delay = 0.1
            except Exception:
                self.listening.clear()
                self._log.warning(
                    LogEvent.LISTENER_RECONNECTING,
                    operation="listen",
                    metadata={"retry_in_seconds": delay},
                )
                self._stopping.wait(delay)
                delay = min(delay * 2, _RECONNECT_MAX_SECONDS)

    def _listen_once(self) -> None:
        raw = self._engine.raw_connection()
        connection: Any = raw.driver_connection  # read before detaching, which forgets it
        raw.detach()  # a connection of its own, outside the pool, for as long as it listens
        try:
            connection.autocommit = True
            connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self.listening.set()
            # Readers may have missed wakes while the connection was down: wake them all.
            self._wakes.put(("*", 0, 0))
            while not self._stopping.is_set():
                for notification in connection.notifies(timeout=_POLL_SECONDS):
                    self._wakes.put(_parse(notification.payload))
        finally:
            self.listening.clear()
            try:
                raw.close()
            except Exception:
                time.sleep(0)


def _parse(payload: str) -> tuple[str, int, int]:
    session_id, first, last = payload.split(" ")
    return session_id, int(first), int(last)

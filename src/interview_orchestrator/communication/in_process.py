"""Channels and wake-ups within one process (the SQLite deployment, tests, embedding)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from ..log_events import LogEvent, Logger
from ..models import CommunicationMode
from ..ports import WakeHandler

_STOP = ("", 0, 0)


class InProcessCommunicationManager:
    """Thread-safe registry of open modes per session, and wake-ups for log readers.

    The registry is a cache of channels opened in this process; the session's stored config
    and status remain the truth, so another process can reopen a session's channels.
    ``notify`` only queues: listeners run on this manager's dispatcher thread, never on the
    thread that committed the change, so a slow listener cannot hold up an interview.
    """

    def __init__(self, logger: Logger) -> None:
        self._lock = threading.Lock()
        self._modes: dict[str, set[CommunicationMode]] = {}
        self._handlers: list[WakeHandler] = []
        self._wakes: queue.SimpleQueue[tuple[str, int, int]] = queue.SimpleQueue()
        self._dispatcher: threading.Thread | None = None
        self._log = logger.bind(component="CommunicationManager")

    # ------------------------------------------------------------------ channels

    def enable_mode(self, session_id: str, mode: CommunicationMode) -> None:
        with self._lock:
            self._modes.setdefault(session_id, set()).add(CommunicationMode(mode))

    def disable_all_modes(self, session_id: str) -> None:
        with self._lock:
            self._modes.pop(session_id, None)

    def enabled_modes(self, session_id: str) -> frozenset[CommunicationMode]:
        with self._lock:
            return frozenset(self._modes.get(session_id, ()))

    # ------------------------------------------------------------------ wake-ups

    def notify(self, session_id: str, first: int, last: int) -> None:
        if self._handlers:
            self._wakes.put((session_id, first, last))

    def listen(self, handler: WakeHandler) -> Callable[[], None]:
        with self._lock:
            self._handlers.append(handler)
            if self._dispatcher is None or not self._dispatcher.is_alive():
                self._dispatcher = threading.Thread(
                    target=self._dispatch, name="interview-events-dispatch", daemon=True
                )
                self._dispatcher.start()

        def stop() -> None:
            with self._lock:
                if handler in self._handlers:
                    self._handlers.remove(handler)

        return stop

    def close(self) -> None:
        """Stop the dispatcher thread (listeners are dropped)."""
        with self._lock:
            self._handlers.clear()
            dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            self._wakes.put(_STOP)
            dispatcher.join(timeout=5)

    def _dispatch(self) -> None:
        while True:
            wake = self._wakes.get()
            if wake == _STOP:
                return
            self.deliver(*wake)

    def deliver(self, session_id: str, first: int, last: int) -> None:
        """Call every listener; a failing one does not stop the others."""
        with self._lock:
            handlers = list(self._handlers)
        for handler in handlers:
            try:
                handler(session_id, first, last)
            except Exception:
                self._log.error(
                    LogEvent.LISTENER_FAILED,
                    operation="notify",
                    session_id=session_id,
                    metadata={"first": first, "last": last},
                    exc_info=True,
                )

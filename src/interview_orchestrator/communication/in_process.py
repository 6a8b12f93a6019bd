"""Channels and events within one process; a WebSocket layer subscribes like any other handler."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..models import CommunicationMode
from ..ports import EventHandler, SessionEvent


class InProcessCommunicationManager:
    """Thread-safe registry of open modes per session and a list of event subscribers.

    The registry is a cache of channels opened in this process; the session's stored config
    and status remain the truth, so another process can reopen a session's channels.
    """

    def __init__(self, logger: Any = None) -> None:
        self._lock = threading.Lock()
        self._modes: dict[str, set[CommunicationMode]] = {}
        self._handlers: list[EventHandler] = []
        self._log = logger.bind(component="CommunicationManager") if logger is not None else None

    def enable_mode(self, session_id: str, mode: CommunicationMode) -> None:
        with self._lock:
            self._modes.setdefault(session_id, set()).add(CommunicationMode(mode))

    def disable_all_modes(self, session_id: str) -> None:
        with self._lock:
            self._modes.pop(session_id, None)

    def enabled_modes(self, session_id: str) -> frozenset[CommunicationMode]:
        with self._lock:
            return frozenset(self._modes.get(session_id, ()))

    def subscribe(self, handler: EventHandler) -> Callable[[], None]:
        with self._lock:
            self._handlers.append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers:
                    self._handlers.remove(handler)

        return unsubscribe

    def publish(self, event: SessionEvent) -> None:
        with self._lock:
            handlers = list(self._handlers)
        for handler in handlers:
            try:
                handler(event)
            except Exception:  # a broken subscriber must not break the interview
                if self._log is not None:
                    self._log.error(
                        "event subscriber failed",
                        operation="publish",
                        session_id=event.session_id,
                        metadata={"event": event.kind.value},
                        exc_info=True,
                    )

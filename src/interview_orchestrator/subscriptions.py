"""Live delivery of sessions' events, read from the durable log.

A ``Subscription`` owns a thread that reads the log from its cursor and hands each event to
the subscriber's handler, in order, once. Wake-ups from the ``CommunicationManager`` (commits
in this process; on PostgreSQL, in every process) only tell it to read again; it also re-reads
every ``poll_interval`` seconds, so a lost wake-up delays an event, never loses it. Handlers
run on the subscription's thread: never inside the transaction that wrote the event, never on
the thread of the interview that caused it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final

from .errors import InterviewPlatformError, SessionNotFoundError
from .log_events import LogEvent, Logger
from .models import SessionEvent
from .ports import CommunicationManager, DataStore

EventHandler = Callable[[SessionEvent], None]
_PAGE: Final = 200


class Subscription:
    """Delivers the events of one session (``session_id``) after ``after``, or of every
    session of ``tenant_id`` (all tenants if None) committed from now on.

    A whole-log subscription starts each session at the first event it is woken for, so it
    sees what happens while it is open; a subscriber that must not miss anything across
    restarts follows one session with its last cursor.
    """

    def __init__(
        self,
        store: DataStore,
        channels: CommunicationManager,
        handler: EventHandler,
        *,
        session_id: str | None = None,
        after: int = 0,
        tenant_id: str | None = None,
        poll_interval: float = 1.0,
        logger: Logger,
    ) -> None:
        self._store = store
        self._handler = handler
        self._session_id = session_id
        self._tenant_id = tenant_id
        self._poll_interval = poll_interval
        self._log = logger
        self._lock = threading.Lock()
        self._cursors: dict[str, int] = {} if session_id is None else {session_id: after}
        self._due: set[str] = set() if session_id is None else {session_id}
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._stop_listening = channels.listen(self._woken)
        self._thread = threading.Thread(
            target=self._run, name=f"interview-subscription-{session_id or 'all'}", daemon=True
        )
        self._wake.set()
        self._thread.start()

    @property
    def cursor(self) -> int:
        """The id of the last event delivered for the followed session (0: none yet)."""
        with self._lock:
            return self._cursors.get(self._session_id or "", 0)

    def close(self, timeout: float = 5.0) -> None:
        """Stop delivering; waits up to ``timeout`` for a handler that is running."""
        self._stop_listening()
        self._closed.set()
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _woken(self, session_id: str, first: int, _last: int) -> None:
        with self._lock:
            if session_id == "*":  # the listener reconnected: read everything followed again
                self._due.update(self._cursors)
            elif self._session_id is None:
                self._cursors.setdefault(session_id, max(first - 1, 0))
                self._due.add(session_id)
            elif session_id == self._session_id:
                self._due.add(session_id)
            else:
                return
        self._wake.set()

    def _run(self) -> None:
        while not self._closed.is_set():
            if not self._wake.wait(self._poll_interval):
                with self._lock:  # the periodic re-read covers a lost wake-up
                    self._due.update(self._cursors)
            self._wake.clear()
            with self._lock:
                due, self._due = self._due, set()
            for session_id in sorted(due):
                if self._closed.is_set():
                    return
                self._drain(session_id)

    def _drain(self, session_id: str) -> None:
        while not self._closed.is_set():
            with self._lock:
                cursor = self._cursors.get(session_id, 0)
            try:
                page = self._store.events(session_id, after=cursor, limit=_PAGE)
            except SessionNotFoundError:
                with self._lock:  # deleted (purged): nothing more will come
                    self._cursors.pop(session_id, None)
                return
            except InterviewPlatformError:
                self._report(LogEvent.SUBSCRIPTION_READ_FAILED, session_id)
                with self._lock:
                    self._due.add(session_id)
                return
            for event in page:
                if self._closed.is_set():
                    return
                if self._tenant_id is None or event.tenant_id == self._tenant_id:
                    self._deliver(event)
                with self._lock:
                    self._cursors[session_id] = event.id
            if len(page) < _PAGE:
                return

    def _deliver(self, event: SessionEvent) -> None:
        try:
            self._handler(event)
        except Exception:  # a broken subscriber must not stop the others or the log
            self._report(LogEvent.SUBSCRIBER_FAILED, event.session_id, event.type.value)

    def _report(self, event: LogEvent, session_id: str, event_type: str | None = None) -> None:
        self._log.error(
            event,
            operation="subscribe",
            session_id=session_id,
            metadata={"event": event_type},
            exc_info=True,
        )

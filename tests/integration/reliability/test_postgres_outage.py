"""PostgreSQL cut off under load: while the database refuses connections and its sessions are
terminated, operations fail with ``DataStoreError`` (never a raw driver error), nothing is
half-written, and the same process — same container, same engine — recovers on its own.

The outage is made on a database of its own (``ALTER DATABASE … ALLOW_CONNECTIONS false`` and
``pg_terminate_backend`` from an admin connection), never by stopping the shared server.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from interview_orchestrator import (
    DataStoreError,
    InterviewPlatformError,
    Role,
    SessionConfig,
    SessionManager,
    SessionStatus,
)
from interview_orchestrator.store import create_engine_for, upgrade

pytestmark = pytest.mark.postgres

WORKERS = 4
MAX_CALLS_PER_WORKER = 2000  # bounds the loops in count ...
DEADLINE_SECONDS = 30.0  # ... and in time
PHASE_TIMEOUT = 10.0


@dataclass
class Worker:
    """Drives one session in a loop: a message, sometimes a pause and a resume."""

    manager: SessionManager
    sid: str
    stop: threading.Event
    outcomes: list[tuple[float, str, str | None]] = field(default_factory=list)
    sent_ok: list[str] = field(default_factory=list)
    sent_failed: list[str] = field(default_factory=list)
    said_kept: list[str] = field(default_factory=list)
    unexpected: list[BaseException] = field(default_factory=list)

    def successes_since(self, moment: float) -> int:
        return sum(1 for at, _, error in self.outcomes if at >= moment and error is None)

    def failures(self) -> int:
        return sum(1 for _, _, error in self.outcomes if error is not None)

    def run(self) -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        for n in range(MAX_CALLS_PER_WORKER):
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            content = f"{self.sid[:8]} message {n}: keep the write path idempotent"
            op = "send"
            try:
                # The status is read each time: a pause whose commit was cut off may have
                # happened anyway, and the worker must not assume either way.
                status = self.manager.get_session(self.sid).status
                if status is SessionStatus.PAUSED:
                    op = "resume"
                    self.manager.resume_session(self.sid)
                elif n % 5 == 4:
                    op = "pause"
                    self.manager.pause_session(self.sid)
                else:
                    self.manager.send_message(self.sid, content)
            except DataStoreError as exc:
                if op == "send":
                    self.sent_failed.append(content)
                    if "is stored and nothing was lost" in str(exc):
                        self.said_kept.append(content)
                self.outcomes.append((time.monotonic(), op, "DataStoreError"))
            except BaseException as exc:  # anything else is a finding
                self.unexpected.append(exc)
                self.outcomes.append((time.monotonic(), op, type(exc).__name__))
            else:
                if op == "send":
                    self.sent_ok.append(content)
                self.outcomes.append((time.monotonic(), op, None))
            time.sleep(0.005)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PHASE_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.01)


def cut_off(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )


def reconnect(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))


def test_an_outage_under_load_fails_cleanly_and_the_same_process_recovers(
    new_postgres_database: Callable[[], str],
    postgres_server: tuple[URL, Engine],
    make_container: Callable[[str], Any],
    story: Callable[..., Any],
    figures: Callable[..., None],
) -> None:
    _, admin = postgres_server
    url = new_postgres_database()
    name = url.rsplit("/", 1)[-1]
    migrator = create_engine_for(url)
    try:
        upgrade(migrator)
    finally:
        migrator.dispose()

    container = make_container(url)
    manager = container.session_manager()
    engine = container.engine()
    sids = []
    for _ in range(WORKERS):
        sid = manager.create_session(SessionConfig()).id
        manager.start_session(sid)
        sids.append(sid)
    stop = threading.Event()
    workers = [Worker(manager, sid, stop) for sid in sids]
    threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: all(w.successes_since(0) >= 3 for w in workers), "all workers run")
        cut_off(admin, name)
        outage_began = time.monotonic()
        try:
            wait_until(lambda: all(w.failures() >= 2 for w in workers), "every worker saw it")
            time.sleep(0.2)  # a while longer down, under load
        finally:
            reconnect(admin, name)
        restored = time.monotonic()
        wait_until(
            lambda: all(w.successes_since(restored) >= 3 for w in workers), "every worker recovered"
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(PHASE_TIMEOUT)
    assert not any(t.is_alive() for t in threads)

    unexpected = [exc for w in workers for exc in w.unexpected]
    assert not unexpected, [f"{type(e).__module__}.{type(e).__name__}: {e}" for e in unexpected]
    assert container.engine() is engine  # the same engine, no restart

    # Nothing half-written: each session tells one story; every message whose call succeeded
    # is stored exactly once with a reply after it; a failed call stored at most its message.
    for worker in workers:
        stored = story(container, worker.sid)
        candidates = [m.content for m in stored.transcript if m.role is Role.CANDIDATE]
        assert len(candidates) == len(set(candidates))
        assert set(worker.sent_ok) <= set(candidates)
        assert set(candidates) <= set(worker.sent_ok) | set(worker.sent_failed)
        assert set(worker.said_kept) <= set(candidates)  # an error that says "kept" is right
        for index, message in enumerate(stored.transcript):
            if message.content in worker.sent_ok:
                assert stored.transcript[index + 1].role is Role.INTERVIEWER
        # ... and every session can still be carried to its end.
        if stored.session.status is SessionStatus.PAUSED:
            manager.resume_session(worker.sid)
        manager.end_session(worker.sid)
        assert story(container, worker.sid).evaluation.attempts == 1

    tally = collections.Counter((op, error or "ok") for w in workers for _, op, error in w.outcomes)
    failed_sends_kept = sum(
        len(set(w.sent_failed) & {m.content for m in manager.get_transcript(w.sid)})
        for w in workers
    )
    figures(
        worker_threads=WORKERS,
        calls=sum(tally.values()),
        outage_seconds=round(restored - outage_began, 2),
        outcomes={f"{op}:{result}": n for (op, result), n in sorted(tally.items())},
        failed_sends_whose_message_was_kept=failed_sends_kept,
        failed_sends_saying_so=sum(len(w.said_kept) for w in workers),
        errors_other_than_data_store_error=0,
    )


def test_while_cut_off_every_operation_is_a_data_store_error(
    new_postgres_database: Callable[[], str],
    postgres_server: tuple[URL, Engine],
    make_container: Callable[[str], Any],
) -> None:
    """Each kind of call, once, while the database refuses connections."""
    _, admin = postgres_server
    url = new_postgres_database()
    name = url.rsplit("/", 1)[-1]
    container = make_container(url)
    container.config.database.auto_migrate.from_value("always")
    manager = container.session_manager()
    active = manager.create_session(SessionConfig()).id
    manager.start_session(active)
    created = manager.create_session(SessionConfig()).id
    calls: dict[str, Callable[[], object]] = {
        "create_session": lambda: manager.create_session(SessionConfig()),
        "start_session": lambda: manager.start_session(created),
        "send_message": lambda: manager.send_message(active, "hello"),
        "pause_session": lambda: manager.pause_session(active),
        "end_session": lambda: manager.end_session(active),
        "get_transcript": lambda: manager.get_transcript(active),
        "list_sessions": lambda: manager.list_sessions(limit=10),
    }
    cut_off(admin, name)
    try:
        for what, call in calls.items():
            with pytest.raises(InterviewPlatformError) as failed:
                call()
            assert type(failed.value) is DataStoreError, (what, failed.value)
            assert "could not" in str(failed.value)
    finally:
        reconnect(admin, name)
    assert manager.get_session(created).status is SessionStatus.CREATED
    assert container.communication_manager().enabled_modes(created) == set()
    assert manager.get_session(active).status is SessionStatus.ACTIVE
    assert len(manager.get_transcript(active)) == 1
    manager.end_session(active)  # recovered, same container


def test_a_reply_that_cannot_be_stored_says_the_candidates_message_was_kept(
    new_postgres_database: Callable[[], str],
    postgres_server: tuple[URL, Engine],
    make_container: Callable[[str], Any],
    hook_interviewer: Callable[[Any], Any],
    story: Callable[..., Any],
) -> None:
    """The database goes away while the interviewer is replying: the candidate's message is
    stored, the reply cannot be, and the error says what was kept."""
    _, admin = postgres_server
    url = new_postgres_database()
    name = url.rsplit("/", 1)[-1]
    container = make_container(url)
    container.config.database.auto_migrate.from_value("always")
    hooked = hook_interviewer(container)
    manager = container.session_manager()
    sid = manager.create_session(SessionConfig()).id
    manager.start_session(sid)
    hooked.before_reply = lambda: cut_off(admin, name)
    try:
        with pytest.raises(DataStoreError, match="message #2 is stored") as failed:
            manager.send_message(sid, "I would add read replicas.")
    finally:
        reconnect(admin, name)
    assert type(failed.value) is DataStoreError
    stored = story(container, sid)
    assert [(m.seq, m.content) for m in stored.transcript[1:]] == [
        (2, "I would add read replicas.")
    ]
    hooked.before_reply = None
    assert manager.send_message(sid, "And a cache.").seq == 4

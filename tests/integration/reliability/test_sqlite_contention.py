"""SQLite under write contention: no "database is locked" reaches a caller while writers queue
(threads and processes on one file); a lock held beyond the bounded retry becomes a
``DataStoreError`` that says so, with nothing half-written."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dependency_injector import providers

from interview_orchestrator import (
    DataStoreError,
    SessionConfig,
    SessionManager,
    SessionNotFoundError,
    SessionStatus,
)
from interview_orchestrator.store import SqlAlchemyDataStore, create_engine_for

BUSY_TIMEOUT_MS, MAX_ATTEMPTS = 50, 2


@pytest.fixture
def sqlite_container(sqlite_url: str, make_container: Callable[[str], Any]) -> Any:
    return make_container(sqlite_url)


def test_writers_on_one_sqlite_file_never_see_a_locked_database(
    sqlite_container: Any, racers: Any, story: Callable[..., Any], figures: Callable[..., None]
) -> None:
    """Every racer drives its own session — start, then message / pause / resume rounds, then
    end — all on one file at once: every call succeeds."""
    manager = sqlite_container.session_manager()
    rounds = 4 if racers.kind == "threads" else 8
    sids = [manager.create_session(SessionConfig()).id for _ in range(racers.size)]
    jobs = [
        [{"op": "start", "sid": sid}]
        + [
            call
            for n in range(rounds)
            for call in (
                {"op": "send", "sid": sid, "content": f"message {n}: replicate and shard"},
                {"op": "pause", "sid": sid},
                {"op": "resume", "sid": sid},
            )
        ]
        + [{"op": "end", "sid": sid}]
        for sid in sids
    ]
    started = time.monotonic()
    outcomes = [o for result in racers.run(sqlite_container, jobs) for o in result]
    elapsed = time.monotonic() - started
    failures = [f"{o['op']}: {o['error']}: {o['message']}" for o in outcomes if not o["ok"]]
    assert not failures, failures
    for sid in sids:
        stored = story(sqlite_container, sid)
        assert stored.session.status is SessionStatus.COMPLETED
        assert len(stored.transcript) == 1 + 2 * rounds
        assert len(stored.transitions) == 2 + 2 * rounds
        assert stored.evaluation.attempts == 1
    # Write transactions: start 1, each round 2 appends + 2 transitions, end 3 (the
    # transition, the claim and the stored report).
    writes = racers.size * (1 + 4 * rounds + 3)
    figures(
        racers=racers.kind,
        writers=racers.size,
        rounds_per_writer=rounds,
        calls=len(outcomes),
        write_transactions=writes,
        failures=0,
        seconds=round(elapsed, 2),
    )


@pytest.fixture
def impatient(sqlite_url: str, make_container: Callable[[str], Any]) -> Iterator[Any]:
    """A container whose store gives up quickly: 50 ms busy timeout, 2 attempts."""
    engine = create_engine_for(sqlite_url, sqlite_busy_timeout_ms=BUSY_TIMEOUT_MS)
    container = make_container(sqlite_url)
    container.data_store.override(
        providers.Object(SqlAlchemyDataStore(engine, max_attempts=MAX_ATTEMPTS, retry_delay=0.01))
    )
    yield container
    engine.dispose()


class Holder:
    """Another connection holding the write lock (an exclusive transaction) of the file."""

    def __init__(self, sqlite_url: str) -> None:
        self._conn = sqlite3.connect(
            sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
        )

    def hold(self) -> None:
        self._conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()


@pytest.fixture
def holder(sqlite_url: str) -> Iterator[Holder]:
    held = Holder(sqlite_url)
    yield held
    held.close()


def prepared(manager: SessionManager, operation: str) -> str:
    """A session in which ``operation`` is valid."""
    sid = manager.create_session(SessionConfig()).id
    if operation != "start":
        manager.start_session(sid)
    if operation == "resume":
        manager.pause_session(sid)
    return sid


def call(manager: SessionManager, operation: str, sid: str) -> object:
    if operation == "create":
        return manager.create_session(SessionConfig(), session_id=sid)
    if operation == "send":
        return manager.send_message(sid, "I would add read replicas.")
    return getattr(manager, f"{operation}_session")(sid)


def snapshot(container: Any, sid: str) -> tuple[object, ...]:
    store = container.data_store()
    try:
        session = store.get_session(sid)
    except SessionNotFoundError:
        return ("absent",)
    return (
        session,
        store.get_transcript(sid),
        store.list_transitions(sid),
        store.get_evaluation(sid),
        container.communication_manager().enabled_modes(sid),
    )


@pytest.mark.parametrize("operation", ["create", "start", "send", "pause", "resume", "end"])
def test_a_lock_held_beyond_the_bounded_retry_is_a_data_store_error_and_writes_nothing(
    impatient: Any, holder: Holder, operation: str, figures: Callable[..., None]
) -> None:
    manager = impatient.session_manager()
    sid = (
        "0b6e0c7e-5a4c-4d7e-9a55-0d3c5b1f2a10"
        if operation == "create"
        else prepared(manager, operation)
    )
    before = snapshot(impatient, sid)
    holder.hold()
    try:
        started = time.monotonic()
        with pytest.raises(DataStoreError, match="locked by another writer; try again"):
            call(manager, operation, sid)
        waited = time.monotonic() - started
    finally:
        holder.release()
    # It waited out the busy timeout on each attempt, then gave up promptly.
    assert BUSY_TIMEOUT_MS / 1000 * MAX_ATTEMPTS * 0.8 <= waited < 2.0
    assert snapshot(impatient, sid) == before  # nothing half-written, channels as they were
    call(manager, operation, sid)  # the lock gone, the same call goes through
    assert snapshot(impatient, sid) != before
    figures(
        operation=operation,
        busy_timeout_ms=BUSY_TIMEOUT_MS,
        attempts=MAX_ATTEMPTS,
        waited_seconds=round(waited, 3),
        outcome="DataStoreError, nothing written",
    )


def test_a_short_lock_is_waited_out(
    sqlite_container: Any, holder: Holder, story: Callable[..., Any]
) -> None:
    """With the default settings (5 s busy timeout, 5 attempts) a writer holding the lock for
    a moment only delays the call."""
    manager = sqlite_container.session_manager()
    sid = prepared(manager, "end")
    holder.hold()
    release = threading.Timer(0.3, holder.release)
    release.start()
    try:
        report = manager.end_session(sid)
    finally:
        release.join()
    assert report.attempts == 1
    assert story(sqlite_container, sid).session.status is SessionStatus.COMPLETED


def test_a_reply_that_cannot_be_stored_says_the_candidates_message_was_kept(
    impatient: Any,
    holder: Holder,
    hook_interviewer: Callable[[Any], Any],
    story: Callable[..., Any],
) -> None:
    """The lock is taken while the interviewer is replying: the candidate's message is
    stored, the reply cannot be, and the error says what was kept."""
    hooked = hook_interviewer(impatient)
    manager = impatient.session_manager()
    sid = prepared(manager, "send")
    hooked.before_reply = holder.hold
    try:
        with pytest.raises(DataStoreError, match=r"locked.*message #2 is stored") as failed:
            manager.send_message(sid, "I would add read replicas.")
    finally:
        holder.release()
    assert type(failed.value) is DataStoreError
    stored = story(impatient, sid)
    assert [(m.seq, m.content) for m in stored.transcript[1:]] == [
        (2, "I would add read replicas.")
    ]
    hooked.before_reply = None
    assert manager.send_message(sid, "And a cache.").seq == 4

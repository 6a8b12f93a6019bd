"""The floor: the same workload on the same schema with plain ``sqlite3`` or ``psycopg``.

No ORM, no domain objects, no validation: for each operation just the inserts, updates, reads
and commits the library's operation performs for the same durable effect, in as many
transactions (the candidate's message and the interviewer's reply are committed separately,
each with its sequence number taken from ``UPDATE ... RETURNING``), on a database migrated by
the library so that the tables, indexes and constraints are identical. Every change writes its
event rows (numbered by ``sessions.event_count``), as the library's event log does. SQLite
connections use the library's settings: WAL, the same ``synchronous``, foreign keys on,
``BEGIN IMMEDIATE`` for writes; reads run in autocommit, but a turn reads its recent messages
in the transaction that stores the candidate's message, as the library does. PostgreSQL runs
with the server's settings, as the library.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import psycopg
from psycopg.types.json import Json

from .plan import (
    ANSWER,
    CONTEXT_MESSAGES,
    OPENING,
    PROVIDER,
    QUESTIONS,
    TEMPLATE,
    StepClock,
    Workload,
    peak_rss_kib,
    resume,
    stored_config,
)

_DIMENSIONS: Final = ("requirements", "high_level_design", "deep_dive", "trade_offs", "ops")

_INSERT_SESSION: Final = (
    "INSERT INTO sessions (id, user_id, status, template, ai_provider, config, resume_data, "
    "interviewer_state, created_at, last_activity_at, active_seconds, message_count, version) "
    "VALUES (?, ?, 'created', ?, ?, ?, ?, ?, ?, ?, 0, 0, 0)"
)
_READ_SESSION: Final = "SELECT *, version FROM sessions WHERE id = ?"
#: The version is selected again last, so that the floor does not depend on column order.
_VERSION_COLUMN: Final = -1
_START: Final = (
    "UPDATE sessions SET status = 'active', version = version + 1, started_at = ?, "
    "active_since = ?, last_activity_at = ?, interviewer_state = ?, "
    "message_count = message_count + 1, event_count = event_count + 2 "
    "WHERE id = ? AND version = ? AND status = 'created' "
    "RETURNING message_count, event_count, tenant_id"
)
_INSERT_TRANSITION: Final = (
    "INSERT INTO transitions (session_id, from_status, to_status, operation, reason, at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_MESSAGE: Final = (
    "INSERT INTO messages (session_id, seq, role, mode, content, created_at, late) "
    "VALUES (?, ?, ?, 'text', ?, ?, ?)"
)
_BUMP: Final = (
    "UPDATE sessions SET message_count = message_count + 1, event_count = event_count + 1, "
    "last_activity_at = ? WHERE id = ? AND status = 'active' "
    "RETURNING message_count, event_count, tenant_id"
)
_BUMP_WITH_STATE: Final = (
    "UPDATE sessions SET message_count = message_count + 1, event_count = event_count + 1, "
    "last_activity_at = ?, interviewer_state = ? WHERE id = ? AND status = 'active' "
    "RETURNING message_count, event_count, tenant_id"
)
_RECENT: Final = "SELECT * FROM messages WHERE session_id = ? ORDER BY seq DESC LIMIT ?"
_PAUSE: Final = (
    "UPDATE sessions SET status = 'paused', version = version + 1, active_since = NULL, "
    "active_seconds = ?, last_activity_at = ?, event_count = event_count + 1 "
    "WHERE id = ? AND version = ? AND status = 'active' RETURNING event_count, tenant_id"
)
_TRANSCRIPT: Final = "SELECT * FROM messages WHERE session_id = ? ORDER BY seq"
_END: Final = (
    "UPDATE sessions SET status = 'completed', version = version + 1, ended_at = ?, "
    "end_reason = 'requested', last_activity_at = ?, event_count = event_count + 2 "
    "WHERE id = ? AND version = ? AND status = 'paused' RETURNING event_count, tenant_id"
)
_INSERT_EVALUATION: Final = (
    "INSERT INTO evaluations (session_id, status, attempts, created_at, updated_at) "
    "VALUES (?, 'pending', 0, ?, ?)"
)
_CLAIM: Final = (
    "UPDATE evaluations SET status = 'running', attempts = attempts + 1, started_at = ?, "
    "updated_at = ? WHERE session_id = ? AND status = 'pending' AND attempts = 0"
)
_FINISH: Final = (
    "UPDATE evaluations SET status = 'ready', overall_score = ?, coverage = ?, "
    "dimension_scores = ?, strengths = ?, improvements = ?, summary = ?, provider = ?, "
    "model = ?, template = ?, rubric_version = ?, provenance = ?, updated_at = ?, "
    "completed_at = ? WHERE session_id = ? AND status = 'running' AND attempts = 1"
)
_SCORE: Final = "UPDATE sessions SET overall_score = ? WHERE id = ?"
#: The event log: one row per change, numbered by ``sessions.event_count`` (as the library).
_BUMP_EVENTS: Final = (
    "UPDATE sessions SET event_count = event_count + 1 WHERE id = ? "
    "RETURNING event_count, tenant_id"
)
_INSERT_EVENT: Final = (
    "INSERT INTO events (session_id, tenant_id, seq, type, data, message_seq, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_LIST: Final = "SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 50"


class FloorConnection:
    """One plain DB-API connection with the library's durability settings."""

    def __init__(self, *, sqlite_file: str | None, conninfo: str | None, synchronous: str):
        self.sqlite = sqlite_file is not None
        if sqlite_file is not None:
            lite = sqlite3.connect(sqlite_file, isolation_level=None)
            for pragma in (
                "foreign_keys=ON",
                "busy_timeout=5000",
                "journal_mode=WAL",
                f"synchronous={synchronous}",
            ):
                lite.execute(f"PRAGMA {pragma}")
            self._lite: sqlite3.Connection | None = lite
            self._lite_cursor = lite.cursor()
            self._pg: psycopg.Connection[tuple[Any, ...]] | None = None
        else:
            assert conninfo is not None
            self._lite = None
            self._pg = psycopg.connect(conninfo, autocommit=True)
            self._pg_cursor = self._pg.cursor()

    def trace(self, descriptor: int) -> None:
        """Write libpq's protocol trace of this PostgreSQL connection to ``descriptor``."""
        assert self._pg is not None
        self._pg.pgconn.trace(descriptor)

    def close(self) -> None:
        if self._lite is not None:
            self._lite.close()
        if self._pg is not None:
            self._pg.close()

    def rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        if self._lite is not None:
            return self._lite_cursor.execute(sql, params).fetchall()
        self._pg_cursor.execute(_pg(sql), params)
        return self._pg_cursor.fetchall()

    def run(self, sql: str, params: Sequence[Any]) -> None:
        if self._lite is not None:
            self._lite_cursor.execute(sql, params)
        else:
            self._pg_cursor.execute(_pg(sql), params)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite (as the library), ``BEGIN`` on
        PostgreSQL; ``COMMIT`` on success."""
        self.run("BEGIN IMMEDIATE" if self.sqlite else "BEGIN", ())
        try:
            yield
        except BaseException:
            self.run("ROLLBACK", ())
            raise
        self.run("COMMIT", ())

    def stamp(self, moment: datetime) -> Any:
        """A timestamp as the column stores it (SQLite: naive UTC text, as SQLAlchemy does)."""
        if self.sqlite:
            return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return moment

    def json(self, value: Any) -> Any:
        return json.dumps(value) if self.sqlite else Json(value)


def _pg(sql: str) -> str:
    """A statement with psycopg's placeholders."""
    return sql.replace("?", "%s")


def run_floor(
    sqlite_file: str | None, conninfo: str | None, synchronous: str, sessions: int, messages: int
) -> dict[str, Any]:
    """The workload with plain SQL on a database the library has migrated (a SQLite file or
    a PostgreSQL connection URI)."""
    workload = Workload(sessions, messages)
    db = FloorConnection(sqlite_file=sqlite_file, conninfo=conninfo, synchronous=synchronous)
    try:
        clock = StepClock()
        began = time.perf_counter()
        _drive(db, clock, workload)
        total = time.perf_counter() - began
    finally:
        db.close()
    return {"steps": clock.as_dict(), "total_seconds": total, "peak_rss_kib": peak_rss_kib()}


def _drive(db: FloorConnection, clock: StepClock, workload: Workload) -> None:
    ids = [
        clock.run("create", _create, db, workload.user_id(index))
        for index in range(workload.sessions)
    ]
    for sid in ids:
        started = clock.run("start", _start, db, sid)
        for turn in range(1, workload.messages + 1):
            clock.run("turn", _turn, db, sid, turn)
        clock.run("pause", _pause, db, sid, started)
    expected = 1 + 2 * workload.messages
    for sid in ids:
        rows = clock.run("transcript", db.rows, _TRANSCRIPT, (sid,))
        if len(rows) != expected:
            raise RuntimeError(f"transcript of {sid} has {len(rows)} messages, not {expected}")
    for sid in ids:
        clock.run("end", _end, db, sid)
    for call in range(workload.list_calls):
        owner = workload.user_id(call)
        page = clock.run("list", db.rows, _LIST, (owner,))
        if not page:
            raise RuntimeError(f"the listing of {owner} is empty")


def _create(db: FloorConnection, user_id: str) -> str:
    sid = str(uuid.uuid4())
    now = db.stamp(datetime.now(UTC))
    with db.transaction():
        db.run(
            _INSERT_SESSION,
            (
                sid,
                user_id,
                TEMPLATE,
                PROVIDER,
                db.json(stored_config()),
                db.json(resume(user_id)),
                db.json({}),
                now,
                now,
            ),
        )
    return sid


def _version(db: FloorConnection, sid: str) -> int:
    """The state check every operation starts with: read the session, take its version."""
    (row,) = db.rows(_READ_SESSION, (sid,))
    return int(row[_VERSION_COLUMN])


def _event(
    db: FloorConnection,
    sid: str,
    *,
    tenant: str,
    seq: int,
    kind: str,
    data: dict[str, Any],
    now: Any,
    message_seq: int | None = None,
) -> None:
    db.run(_INSERT_EVENT, (sid, tenant, seq, kind, db.json(data), message_seq, now))


def _message_event(
    db: FloorConnection, sid: str, *, tenant: str, seq: int, message_seq: int, role: str, now: Any
) -> None:
    data = {"seq": message_seq, "role": role, "late": False}
    _event(
        db,
        sid,
        tenant=tenant,
        seq=seq,
        kind="message.created",
        data=data,
        now=now,
        message_seq=message_seq,
    )


def _start(db: FloorConnection, sid: str) -> datetime:
    version = _version(db, sid)
    moment = datetime.now(UTC)
    now = db.stamp(moment)
    state = {"by_provider": {PROVIDER: {"turn": 0}}, "serving": PROVIDER}
    with db.transaction():
        ((seq, events, tenant),) = db.rows(_START, (now, now, now, db.json(state), sid, version))
        db.run(_INSERT_TRANSITION, (sid, "created", "active", "start", None, now))
        db.run(_INSERT_MESSAGE, (sid, seq, "interviewer", OPENING, now, _false(db)))
        _event(
            db,
            sid,
            tenant=tenant,
            seq=events - 1,
            kind="session.started",
            data={"status": "active"},
            now=now,
        )
        _message_event(
            db, sid, tenant=tenant, seq=events, message_seq=seq, role="interviewer", now=now
        )
    return moment


def _turn(db: FloorConnection, sid: str, turn: int) -> None:
    _version(db, sid)
    now = db.stamp(datetime.now(UTC))
    with db.transaction():
        ((seq, events, tenant),) = db.rows(_BUMP, (now, sid))
        db.run(_INSERT_MESSAGE, (sid, seq, "candidate", ANSWER, now, _false(db)))
        _message_event(
            db, sid, tenant=tenant, seq=events, message_seq=seq, role="candidate", now=now
        )
        db.rows(_RECENT, (sid, CONTEXT_MESSAGES))
    state = {"by_provider": {PROVIDER: {"turn": turn}}, "serving": PROVIDER}
    now = db.stamp(datetime.now(UTC))
    with db.transaction():
        ((seq, events, tenant),) = db.rows(_BUMP_WITH_STATE, (now, db.json(state), sid))
        question = QUESTIONS[turn % len(QUESTIONS)]
        db.run(_INSERT_MESSAGE, (sid, seq, "interviewer", question, now, _false(db)))
        _message_event(
            db, sid, tenant=tenant, seq=events, message_seq=seq, role="interviewer", now=now
        )


def _pause(db: FloorConnection, sid: str, started: datetime) -> None:
    version = _version(db, sid)
    moment = datetime.now(UTC)
    now = db.stamp(moment)
    with db.transaction():
        ((events, tenant),) = db.rows(
            _PAUSE, ((moment - started).total_seconds(), now, sid, version)
        )
        db.run(_INSERT_TRANSITION, (sid, "active", "paused", "pause", None, now))
        _event(
            db,
            sid,
            tenant=tenant,
            seq=events,
            kind="session.paused",
            data={"status": "paused"},
            now=now,
        )


def _end(db: FloorConnection, sid: str) -> None:
    version = _version(db, sid)
    now = db.stamp(datetime.now(UTC))
    with db.transaction():
        ((events, tenant),) = db.rows(_END, (now, now, sid, version))
        db.run(_INSERT_TRANSITION, (sid, "paused", "completed", "end", "requested", now))
        db.run(_INSERT_EVALUATION, (sid, now, now))
        _event(
            db,
            sid,
            tenant=tenant,
            seq=events - 1,
            kind="session.ended",
            data={"status": "completed"},
            now=now,
        )
        _event(
            db,
            sid,
            tenant=tenant,
            seq=events,
            kind="evaluation.updated",
            data={"status": "pending"},
            now=now,
        )
    now = db.stamp(datetime.now(UTC))
    with db.transaction():
        db.run(_CLAIM, (now, now, sid))
        ((events, tenant),) = db.rows(_BUMP_EVENTS, (sid,))
        _event(
            db,
            sid,
            tenant=tenant,
            seq=events,
            kind="evaluation.updated",
            data={"status": "running"},
            now=now,
        )
    transcript = db.rows(_TRANSCRIPT, (sid,))
    first = next(row[1] for row in transcript if row[2] == "candidate")
    scores = {d: {"score": 3, "evidence": [first], "rationale": "scripted"} for d in _DIMENSIONS}
    now = db.stamp(datetime.now(UTC))
    with db.transaction():
        db.run(
            _FINISH,
            (
                50.0,
                1.0,
                db.json(scores),
                db.json(["clear structure"]),
                db.json(["more numbers"]),
                "Scripted evaluation.",
                PROVIDER,
                "instant",
                "system_design",
                "1",
                db.json({"provider": PROVIDER}),
                now,
                now,
                sid,
            ),
        )
        db.run(_SCORE, (50.0, sid))
        ((events, tenant),) = db.rows(_BUMP_EVENTS, (sid,))
        _event(
            db,
            sid,
            tenant=tenant,
            seq=events,
            kind="evaluation.updated",
            data={"status": "ready"},
            now=now,
        )


def _false(db: FloorConnection) -> Any:
    return 0 if db.sqlite else False

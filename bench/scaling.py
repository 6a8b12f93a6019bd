"""Scaling series: a turn against the transcript's length, a user's page of sessions against
the number of sessions stored, and peak memory against the number of sessions handled."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import psycopg
from sqlalchemy import Connection, event, insert, update
from sqlalchemy.engine import Engine

from interview_orchestrator.models import Role
from interview_orchestrator.store.schema import MESSAGES, SESSIONS

from .databases import libpq_url, migrate, sqlite_path
from .plan import ANSWER, PROVIDER, QUESTIONS, TEMPLATE, stored_config
from .workload import build_container, session_config

PROBE_USER: Final = "probe-user"
#: Sessions of the user whose page is timed, spread evenly over the whole history.
PROBE_SESSIONS: Final = 100
PAGE: Final = 50
_LOAD_BATCH: Final = 20_000
_SESSION_COLUMNS: Final = (
    "id",
    "user_id",
    "status",
    "template",
    "ai_provider",
    "config",
    "resume_data",
    "interviewer_state",
    "created_at",
    "started_at",
    "ended_at",
    "last_activity_at",
    "active_seconds",
    "end_reason",
    "overall_score",
    "message_count",
    "version",
)

# ---------------------------------------------------------------------- turn vs transcript


def turn_time_series(
    url: str, synchronous: str, lengths: Sequence[int], rounds: int
) -> dict[str, Any]:
    """The time of one ``send_message`` on sessions whose transcripts hold exactly each length.

    ``rounds`` sessions per length are started through the library and their transcripts
    filled directly in bulk; then each round times one turn on one session of every length
    (the order rotating from round to round), so every length sees the same conditions.
    """
    container = build_container(url, synchronous=synchronous)
    try:
        manager = container.session_manager()
        engine: Engine = container.engine()
        sessions: dict[int, list[str]] = {}
        for length in lengths:
            sessions[length] = []
            for index in range(rounds):
                owner = f"series-{length}-{index}"
                created = manager.create_session(session_config(owner), user_id=owner)
                manager.start_session(created.id)  # the opening question is message 1
                sessions[length].append(created.id)
        with engine.begin() as conn:
            for length, ids in sessions.items():
                for sid in ids:
                    _fill_transcript(conn, sid, length)
        warm = manager.create_session(session_config("series-warm-up"), user_id="series-warm-up")
        manager.start_session(warm.id)
        for _ in range(5):
            manager.send_message(warm.id, ANSWER)
        samples: dict[int, list[float]] = {length: [] for length in lengths}
        for index in range(rounds):
            shift = index % len(lengths)
            for length in [*lengths[shift:], *lengths[:shift]]:
                sid = sessions[length][index]
                began = time.perf_counter()
                manager.send_message(sid, ANSWER)
                samples[length].append(time.perf_counter() - began)
        for length, ids in sessions.items():
            if len(manager.get_transcript(ids[0])) != length + 2:
                raise RuntimeError(f"the session of length {length} did not take the turn")
    finally:
        container.shutdown_resources()
    return {"samples": {str(length): values for length, values in samples.items()}}


def _fill_transcript(conn: Connection, session_id: str, length: int) -> None:
    """Messages 2..``length`` after the opening question, alternating candidate and
    interviewer, with the session's counter to match."""
    now = datetime.now(UTC)
    rows = [
        {
            "session_id": session_id,
            "seq": seq,
            "role": (Role.CANDIDATE if seq % 2 == 0 else Role.INTERVIEWER).value,
            "mode": "text",
            "content": ANSWER if seq % 2 == 0 else QUESTIONS[seq % len(QUESTIONS)],
            "created_at": now,
            "late": False,
        }
        for seq in range(2, length + 1)
    ]
    if rows:
        conn.execute(insert(MESSAGES), rows)
    conn.execute(update(SESSIONS).where(SESSIONS.c.id == session_id).values(message_count=length))


# ---------------------------------------------------------------------- a user's page


def list_page_series(url: str, size: int, calls: int, repeats: int) -> dict[str, Any]:
    """Bulk-load ``size`` sessions into the migrated schema, then time the library's
    ``list_sessions(user_id=..., limit=50)`` for a user with sessions across all of them."""
    migrate(url)
    began = time.perf_counter()
    if url.startswith("sqlite"):
        _load_sqlite(url, size)
    else:
        _load_postgres(url, size)
    load_seconds = time.perf_counter() - began

    container = build_container(url)
    try:
        manager = container.session_manager()
        statements: list[tuple[str, Any]] = []
        engine = container.engine()

        def capture(*args: Any) -> None:
            statements.append((args[2], args[3]))

        event.listen(engine, "before_cursor_execute", capture)
        page = manager.list_sessions(user_id=PROBE_USER, limit=PAGE)
        event.remove(engine, "before_cursor_execute", capture)
        if len(page) != PAGE or any(s.user_id != PROBE_USER for s in page):
            raise RuntimeError("the probe user's page is wrong")
        if [s.created_at for s in page] != sorted((s.created_at for s in page), reverse=True):
            raise RuntimeError("the probe user's page is not newest first")
        statement, parameters = next(s for s in statements if s[0].lstrip().startswith("SELECT"))
        plan = _query_plan(engine, statement, parameters)
        for _ in range(20):
            manager.list_sessions(user_id=PROBE_USER, limit=PAGE)
        per_call: list[float] = []
        for _ in range(repeats):
            began = time.perf_counter()
            for _ in range(calls):
                manager.list_sessions(user_id=PROBE_USER, limit=PAGE)
            per_call.append((time.perf_counter() - began) / calls)
    finally:
        container.shutdown_resources()
    return {
        "size": size,
        "load_seconds": load_seconds,
        "per_call_seconds": per_call,
        "plan": plan,
        "sql": " ".join(statement.split()),
    }


def _query_plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return [str(row[-1]) for row in rows]
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return [str(row[0]) for row in rows]


def _history(size: int) -> Iterator[tuple[Any, ...]]:
    """``size`` completed sessions, one a second, ending now; ``PROBE_USER`` owns
    ``PROBE_SESSIONS`` of them spread evenly, the others belong to ``size / 10`` users."""
    users = max(1, size // 10)
    stride = max(1, size // PROBE_SESSIONS)
    first = datetime.now(UTC) - timedelta(seconds=size + 60)
    config = json.dumps(stored_config())
    state = json.dumps({"by_provider": {PROVIDER: {"turn": 20}}, "serving": PROVIDER})
    for index in range(size):
        owner = PROBE_USER if index % stride == 0 else f"user-{index % users:07d}"
        resume = json.dumps({"user_id": owner, "skills": ["python"], "years_experience": 6})
        created = first + timedelta(seconds=index)
        yield (
            str(uuid.uuid4()),
            owner,
            "completed",
            TEMPLATE,
            PROVIDER,
            config,
            resume,
            state,
            created,
            created,
            created + timedelta(minutes=40),
            created + timedelta(minutes=40),
            2400.0,
            "requested",
            float(index % 101),
            41,
            3,
        )


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _LOAD_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Timestamps as SQLAlchemy stores them in SQLite: naive UTC text."""
    return tuple(
        value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value
        for value in row
    )


def _load_sqlite(url: str, size: int) -> None:
    columns = ", ".join(_SESSION_COLUMNS)
    marks = ", ".join("?" for _ in _SESSION_COLUMNS)
    conn = sqlite3.connect(sqlite_path(url), isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")  # a bulk load, not a measurement
        conn.execute("BEGIN")
        for batch in _batches(_history(size)):
            conn.executemany(
                f"INSERT INTO sessions ({columns}) VALUES ({marks})",
                [_sqlite_row(row) for row in batch],
            )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _load_postgres(url: str, size: int) -> None:
    columns = ", ".join(_SESSION_COLUMNS)
    with psycopg.connect(libpq_url(url)) as conn:
        with conn.cursor() as cursor:
            copy_sql = f"COPY sessions ({columns}) FROM STDIN"
            with cursor.copy(copy_sql) as copy:
                for row in _history(size):
                    copy.write_row(row)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE sessions")  # what autovacuum does after a bulk load


# ---------------------------------------------------------------------- memory

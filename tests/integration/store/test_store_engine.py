"""Engines and database guarantees: SQLite pragmas and locking, URLs, foreign keys, cascades,
lock retries and error translation."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, Table, delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from interview_orchestrator.errors import DataStoreError, InvalidInputError
from interview_orchestrator.lifecycle import Operation
from interview_orchestrator.models import Role, new_id
from interview_orchestrator.store import SqlAlchemyDataStore, create_engine_for
from interview_orchestrator.store.engine import normalize_url
from interview_orchestrator.store.schema import EVALUATIONS, MESSAGES, SESSIONS, TRANSITIONS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import Driver


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = create_engine_for(sqlite_url)
    yield engine
    engine.dispose()


def _pragma(engine: Engine, name: str) -> object:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_foreign_keys_are_on(sqlite_engine: Engine) -> None:
    assert _pragma(sqlite_engine, "foreign_keys") == 1


def test_sqlite_uses_wal_full_sync_and_a_busy_timeout(sqlite_engine: Engine) -> None:
    assert _pragma(sqlite_engine, "journal_mode") == "wal"
    assert _pragma(sqlite_engine, "synchronous") == 2  # FULL
    assert _pragma(sqlite_engine, "busy_timeout") == 5000


def test_sqlite_synchronous_is_a_parameter(sqlite_url: str) -> None:
    engine = create_engine_for(sqlite_url, sqlite_synchronous="NORMAL")
    try:
        assert _pragma(engine, "synchronous") == 1
    finally:
        engine.dispose()
    with pytest.raises(InvalidInputError):
        create_engine_for(sqlite_url, sqlite_synchronous="SOMETIMES")  # type: ignore[arg-type]


def test_sqlite_write_transactions_take_the_write_lock_at_begin(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with sqlite_engine.begin(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_sqlite_readers_do_not_wait_for_a_writer(
    sqlite_url: str, sqlite_engine: Engine, sqlite_driver: Driver
) -> None:
    store = SqlAlchemyDataStore(create_engine_for(sqlite_url, sqlite_busy_timeout_ms=0))
    session = sqlite_driver.created()
    try:
        with sqlite_engine.begin():  # a writer holds the lock
            assert store.get_session(session.id) == session
            assert store.get_transcript(session.id) == []
    finally:
        store.engine.dispose()


def test_sqlite_lock_contention_is_retried(sqlite_url: str, sqlite_driver: Driver) -> None:
    engine = create_engine_for(sqlite_url, sqlite_busy_timeout_ms=10)
    store = SqlAlchemyDataStore(engine, max_attempts=8, retry_delay=0.05)
    session = sqlite_driver.active()
    holder = sqlite3.connect(
        sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        message = sqlite_driver.text_message("hi", sqlite_driver.t0)
        stored = store.append_message(session.id, message)
        assert stored.seq == 1
    finally:
        release.join()
        holder.close()
        engine.dispose()


def test_sqlite_lock_held_too_long_becomes_data_store_error(
    sqlite_url: str, sqlite_driver: Driver
) -> None:
    engine = create_engine_for(sqlite_url, sqlite_busy_timeout_ms=10)
    store = SqlAlchemyDataStore(engine, max_attempts=3, retry_delay=0.01)
    session = sqlite_driver.active()
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(DataStoreError, match="locked"):
            store.append_message(session.id, sqlite_driver.text_message("hi", sqlite_driver.t0))
        assert time.monotonic() - started < 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()
    assert sqlite_driver.store.get_transcript(session.id) == []


def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "interviews.db"
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert path.exists()


@pytest.mark.parametrize(
    ("given", "driver_name"),
    [
        ("postgresql://u@db.example:5432/app", "postgresql+psycopg"),
        ("postgres://u:secret@db.example/app", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db.example/app", "postgresql+psycopg"),
        ("sqlite:///var/interviews.db", "sqlite"),
    ],
)
def test_urls_are_normalised(given: str, driver_name: str) -> None:
    assert normalize_url(given).drivername == driver_name


@pytest.mark.parametrize(
    "given", ["", "   ", "not a url", "mysql://u@h/db", "sqlite+aiosqlite:///x"]
)
def test_invalid_urls_are_refused_clearly(given: str) -> None:
    with pytest.raises(InvalidInputError, match=r"URL|database|driver"):
        create_engine_for(given)


def test_foreign_keys_are_enforced(engine: Engine, driver: Driver) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(MESSAGES).values(
                session_id=new_id(),
                seq=1,
                role="candidate",
                mode="text",
                content="orphan",
                created_at=driver.t0,
                late=False,
            )
        )


def test_status_check_constraint_is_enforced(engine: Engine, driver: Driver) -> None:
    session = driver.created()
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(SESSIONS.update().where(SESSIONS.c.id == session.id).values(status="lost"))


def test_deleting_a_session_cascades_to_its_rows(
    store: SqlAlchemyDataStore, driver: Driver, engine: Engine
) -> None:
    keep = driver.completed(user_id="keep")
    gone = driver.active(user_id="gone")
    store.append_message(gone.id, driver.text_message("a", driver.t0))
    driver.transition(
        store.get_session(gone.id),
        Operation.END,
        driver.t0 + timedelta(hours=1),
        messages=[driver.text_message("bye", driver.t0, Role.INTERVIEWER)],
    )
    with engine.begin() as conn:
        conn.execute(delete(SESSIONS).where(SESSIONS.c.id == gone.id))

    def count(table: Table, session_id: str) -> int:
        query = select(func.count()).select_from(table).where(table.c.session_id == session_id)
        with engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    for table in (MESSAGES, TRANSITIONS, EVALUATIONS):
        assert count(table, gone.id) == 0
    assert count(TRANSITIONS, keep.id) == 2
    assert count(EVALUATIONS, keep.id) == 1


def test_delete_session_removes_everything(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.completed()
    assert store.delete_session(session.id) is True
    assert store.delete_session(session.id) is False
    with pytest.raises(LookupError):
        store.get_session(session.id)


def test_missing_schema_becomes_data_store_error(blank_database_url: str) -> None:
    engine = create_engine_for(blank_database_url)
    try:
        with pytest.raises(DataStoreError, match="could not read session") as failed:
            SqlAlchemyDataStore(engine).get_session(new_id())
        assert failed.value.__cause__ is not None
    finally:
        engine.dispose()


def test_unreachable_postgres_becomes_data_store_error() -> None:
    engine = create_engine_for("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    try:
        with pytest.raises(DataStoreError, match="could not list sessions"):
            SqlAlchemyDataStore(engine).list_sessions(user_id=None, status=None, limit=1, offset=0)
    finally:
        engine.dispose()

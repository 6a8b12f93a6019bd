"""A SQLite file removed or replaced under a running process: the next write fails with
``DataStoreError`` instead of reporting success for turns that would vanish with the unlinked
file (persist, then report)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from interview_orchestrator import Container, DataStoreError, SessionConfig, SessionManager
from interview_orchestrator.store import SqlAlchemyDataStore, create_engine_for

GONE = "was removed or replaced while in use"


@pytest.fixture
def container(sqlite_url: str) -> Iterator[Container]:
    container = Container()
    container.config.database.url.from_value(sqlite_url)
    container.config.logging.enabled.from_value(False)
    yield container
    container.shutdown_resources()


def database_path(sqlite_url: str) -> Path:
    return Path(sqlite_url.removeprefix("sqlite:///"))


def interview(manager: SessionManager) -> str:
    session = manager.create_session(SessionConfig())
    manager.start_session(session.id)
    manager.send_message(session.id, "First I would clarify the requirements.")
    return session.id


def test_a_send_after_the_database_files_were_unlinked_fails_and_says_so(
    sqlite_url: str, container: Any
) -> None:
    manager = container.session_manager()
    sid = interview(manager)
    path = database_path(sqlite_url)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink()

    with pytest.raises(DataStoreError, match=GONE) as refused:
        manager.send_message(sid, "Then I would shard by user id.")

    assert str(path) in str(refused.value)
    # Every later write says the same, and no empty database appears in its place.
    with pytest.raises(DataStoreError, match=GONE):
        manager.send_message(sid, "Hello?")
    assert not path.exists()


def test_a_send_after_the_database_file_was_replaced_fails_and_says_so(
    sqlite_url: str, container: Container, tmp_path: Path
) -> None:
    manager = container.session_manager()
    sid = interview(manager)
    path = database_path(sqlite_url)
    copy = tmp_path / "copy.db"
    source, target = sqlite3.connect(path), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    copy.replace(path)

    with pytest.raises(DataStoreError, match=GONE):
        manager.send_message(sid, "Then I would shard by user id.")


def test_a_write_whose_file_is_unlinked_before_its_commit_is_not_reported_stored(
    sqlite_url: str,
) -> None:
    path = database_path(sqlite_url)
    store = SqlAlchemyDataStore(create_engine_for(sqlite_url))

    def write_then_lose_the_file(conn: Connection) -> None:
        conn.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink()

    try:
        with pytest.raises(DataStoreError, match=GONE):
            store.transactions.write("write a scratch table", write_then_lose_the_file)
    finally:
        store.engine.dispose()

"""An erased candidate leaves no text in the SQLite file or its WAL, whatever the SQLite
build's default for ``secure_delete``: the store sets the pragma on every connection and
checkpoints the WAL after a deletion.

A build without ``secure_delete`` by default is simulated with a connect listener placed before
the store's own; the control test forces the pragma off after the store's, to show that text
left behind is caught by the byte scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from interview_orchestrator import Container, SessionConfig
from interview_orchestrator.archive import forget_user
from interview_orchestrator.store import create_engine_for
from interview_orchestrator.store.archive import SqlAlchemyArchive
from interview_orchestrator.store.encryption import ENV_VAR as ENCRYPTION_KEYS

RESUME_TEXT = "Planted-Resume-Kestrel-Harbour-7f3a9c"
MESSAGE_TEXT = "Planted-Message-Juniper-Lantern-2b8e41"
CANDIDATE = "erase-me"


def secure_delete_off(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA secure_delete=OFF")


@pytest.fixture
def planted(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The database path, holding one interview of CANDIDATE with RESUME_TEXT in its résumé
    and MESSAGE_TEXT in a message, in clear. The writer's connections stay open (as in a
    running service), so its WAL is not checkpointed away on close."""
    monkeypatch.delenv(ENCRYPTION_KEYS, raising=False)
    container = Container()
    container.config.database.url.from_value(sqlite_url)
    container.config.logging.enabled.from_value(False)
    manager = container.session_manager()
    session = manager.create_session(
        SessionConfig(resume_data={"summary": f"{RESUME_TEXT}, ten years of storage."}),
        user_id=CANDIDATE,
    )
    manager.start_session(session.id)
    manager.send_message(session.id, f"I would start with {MESSAGE_TEXT} as the shard key.")
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    assert found_in(path) == {RESUME_TEXT, MESSAGE_TEXT}
    yield path
    container.shutdown_resources()


def found_in(path: Path) -> set[str]:
    """Which planted texts appear in the bytes of the database file or of its WAL."""
    stored = b"".join(
        candidate.read_bytes() for candidate in (path, Path(f"{path}-wal")) if candidate.exists()
    )
    return {text for text in (RESUME_TEXT, MESSAGE_TEXT) if text.encode() in stored}


def forget_with(url: str, prepare: Callable[[Engine], None]) -> None:
    engine = create_engine_for(url)
    prepare(engine)
    try:
        report = forget_user(SqlAlchemyArchive(engine), CANDIDATE)
        assert report.deleted.sessions == 1
    finally:
        engine.dispose()


def test_the_byte_scan_catches_what_an_erasure_without_secure_delete_leaves(
    sqlite_url: str, planted: Path
) -> None:
    forget_with(sqlite_url, lambda engine: event.listen(engine, "connect", secure_delete_off))

    assert found_in(planted) == {RESUME_TEXT, MESSAGE_TEXT}


def test_a_forgotten_candidates_text_is_in_neither_the_file_nor_the_wal(
    sqlite_url: str, planted: Path
) -> None:
    # A SQLite build whose default is secure_delete=OFF (python.org's, macOS's).
    forget_with(
        sqlite_url,
        lambda engine: event.listen(engine, "connect", secure_delete_off, insert=True),
    )

    assert found_in(planted) == set()

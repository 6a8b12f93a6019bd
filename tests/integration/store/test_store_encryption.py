"""Encryption at rest: résumés, message texts and notes never reach the disk in clear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from interview_orchestrator import Container, DataStoreError, InvalidInputError, SessionConfig
from interview_orchestrator.store.encryption import ENV_VAR, reencrypt

SECRET_NAME = "Philippa Cipherfield"
SECRET_EMAIL = "philippa.cipherfield@example.org"
SECRET_ANSWER = "my unguessable answer about quasar-lattice caching"


def build(url: str, monkeypatch: pytest.MonkeyPatch, keys: list[str] | None) -> Any:
    if keys is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, ",".join(keys))
    container = Container()
    container.config.database.url.from_value(url)
    container.config.database.auto_migrate.from_value("always")
    container.config.logging.enabled.from_value(False)
    container.field_cipher()  # read the keys now, while the environment holds them
    return container


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


def interview(container: Any) -> str:
    manager = container.session_manager()
    session = manager.create_session(
        SessionConfig(resume_data={"name": SECRET_NAME, "email": SECRET_EMAIL, "skills": ["redis"]})
    )
    manager.start_session(session.id)
    manager.send_message(session.id, SECRET_ANSWER)
    return session.id


def raw_values(container: Any) -> str:
    """Everything the protected columns hold, as stored."""
    with container.engine().connect() as conn:
        rows = [
            *conn.execute(text("SELECT CAST(resume_data AS TEXT) FROM sessions")).scalars(),
            *conn.execute(text("SELECT content FROM messages")).scalars(),
            *conn.execute(text("SELECT content FROM interviewer_notes")).scalars(),
        ]
    return "\n".join(str(r) for r in rows)


def test_protected_columns_are_stored_encrypted_and_read_back_in_clear(
    database_url: str, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    container = build(database_url, monkeypatch, [key])
    try:
        sid = interview(container)
        manager = container.session_manager()
        assert manager.get_session(sid).config.resume_data["name"] == SECRET_NAME
        assert manager.get_transcript(sid)[1].content == SECRET_ANSWER
        stored = raw_values(container)
        assert "enc:v1:" in stored
        for secret in (SECRET_NAME, SECRET_EMAIL, SECRET_ANSWER):
            assert secret not in stored
    finally:
        container.shutdown_resources()


def test_the_sqlite_file_contains_none_of_the_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    url = f"sqlite:///{tmp_path / 'sealed.db'}"
    container = build(url, monkeypatch, [key])
    try:
        sid = interview(container)
        container.session_manager().end_session(sid)
    finally:
        container.shutdown_resources()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("sealed.db*"))
    assert raw
    for secret in (SECRET_NAME, SECRET_EMAIL, SECRET_ANSWER):
        assert secret.encode() not in raw


def test_encrypted_data_without_a_key_is_a_clear_error(
    database_url: str, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    sealed = build(database_url, monkeypatch, [key])
    try:
        sid = interview(sealed)
    finally:
        sealed.shutdown_resources()
    keyless = build(database_url, monkeypatch, None)
    try:
        with pytest.raises(DataStoreError, match=ENV_VAR):
            keyless.session_manager().get_transcript(sid)
    finally:
        keyless.shutdown_resources()


def test_key_rotation_reencrypts_existing_rows(
    database_url: str, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    old = build(database_url, monkeypatch, [key])
    try:
        sid = interview(old)
    finally:
        old.shutdown_resources()
    new_key = Fernet.generate_key().decode()
    both = build(database_url, monkeypatch, [new_key, key])
    try:
        counts = reencrypt(both.engine(), batch_size=2)
        assert counts["messages"] == 3 and counts["sessions"] == 1
    finally:
        both.shutdown_resources()
    only_new = build(database_url, monkeypatch, [new_key])
    only_old = build(database_url, monkeypatch, [key])
    try:
        assert only_new.session_manager().get_transcript(sid)[1].content == SECRET_ANSWER
        with pytest.raises(DataStoreError, match="not configured"):
            only_old.session_manager().get_transcript(sid)
    finally:
        only_new.shutdown_resources()
        only_old.shutdown_resources()


def test_rows_stored_before_encryption_stay_readable_and_get_encrypted(
    database_url: str, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    plain = build(database_url, monkeypatch, None)
    try:
        sid = interview(plain)
        assert SECRET_ANSWER in raw_values(plain)
    finally:
        plain.shutdown_resources()
    sealed = build(database_url, monkeypatch, [key])
    try:
        assert sealed.session_manager().get_transcript(sid)[1].content == SECRET_ANSWER
        reencrypt(sealed.engine())
        assert SECRET_ANSWER not in raw_values(sealed)
        assert sealed.session_manager().get_transcript(sid)[1].content == SECRET_ANSWER
    finally:
        sealed.shutdown_resources()


def test_a_malformed_key_is_refused_with_how_to_make_one(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidInputError, match="Fernet"):
        build(database_url, monkeypatch, ["not-a-key"])

"""Rows become domain objects without the constructors' checks (``stored_instance``): what
comes back must be exactly what the constructors would have built, field for field."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

from interview_orchestrator.models import (
    CommunicationMode,
    Message,
    Role,
    Session,
    SessionConfig,
    SessionStatus,
)
from interview_orchestrator.store import SqlAlchemyDataStore

if TYPE_CHECKING:
    from conftest import Driver


def rebuilt(instance: object) -> object:
    """``instance`` built again through its class's own constructor (with its checks)."""
    kind = type(instance)
    return kind(**{f.name: getattr(instance, f.name) for f in fields(kind)})  # type: ignore[call-arg]


def test_a_stored_session_reads_back_as_its_constructor_builds_it(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    read = store.get_session(session.id)
    assert set(vars(read)) == {f.name for f in fields(Session)}
    assert set(vars(read.config)) == {f.name for f in fields(SessionConfig)}
    assert read == rebuilt(read)
    assert read.config == rebuilt(read.config)
    assert read.status is SessionStatus.ACTIVE
    assert all(type(mode) is CommunicationMode for mode in read.config.enabled_modes)
    assert read.config == session.config


def test_a_page_of_sessions_holds_whole_sessions(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    driver.active()
    (listed,) = store.list_sessions(user_id=None, status=None, limit=10, offset=0)
    assert listed == rebuilt(listed)
    assert listed.config == rebuilt(listed.config)


def test_stored_messages_read_back_as_their_constructor_builds_them(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    sent = store.append_message(session.id, driver.text_message("hello", driver.t0))
    (read,) = store.get_transcript(session.id)
    assert set(vars(read)) == {f.name for f in fields(Message)}
    assert read == rebuilt(read) == sent
    assert read.role is Role.CANDIDATE and type(read.mode) is CommunicationMode

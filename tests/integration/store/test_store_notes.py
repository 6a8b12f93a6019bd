"""The interviewer's private notes: stored with their message in one transaction, read back in
order, never part of the transcript, deleted with the session."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import inspect, text

from interview_orchestrator.errors import (
    InvalidInputError,
    InvalidStateTransitionError,
    SessionNotFoundError,
)
from interview_orchestrator.models import InterviewerNote, Role
from interview_orchestrator.store import SqlAlchemyDataStore, upgrade
from interview_orchestrator.store.migrate import downgrade

if TYPE_CHECKING:
    from conftest import Driver


def test_notes_are_stored_with_the_message_they_came_with(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    store.append_message(session.id, driver.text_message("answer", driver.t0))
    reply = store.append_message(
        session.id,
        driver.text_message("why?", driver.t0, Role.INTERVIEWER),
        notes=["probed: caching", "no numbers given"],
    )
    assert store.get_notes(session.id) == [
        InterviewerNote(session.id, reply.seq, "probed: caching", driver.t0),
        InterviewerNote(session.id, reply.seq, "no numbers given", driver.t0),
    ]


def test_notes_are_never_part_of_the_transcript(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.active()
    store.append_message(
        session.id, driver.text_message("why?", driver.t0, Role.INTERVIEWER), notes=["hidden"]
    )
    assert [m.content for m in store.get_transcript(session.id)] == ["why?"]


def test_notes_are_read_in_the_order_they_were_written(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    for turn in range(3):
        store.append_message(
            session.id,
            driver.text_message(f"q{turn}", driver.t0, Role.INTERVIEWER),
            notes=[f"n{turn}a", f"n{turn}b"],
        )
    assert [n.content for n in store.get_notes(session.id)] == [
        "n0a",
        "n0b",
        "n1a",
        "n1b",
        "n2a",
        "n2b",
    ]
    assert [n.message_seq for n in store.get_notes(session.id)] == [1, 1, 2, 2, 3, 3]


def test_a_refused_append_stores_no_notes(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.completed()
    with pytest.raises(InvalidStateTransitionError):
        store.append_message(
            session.id, driver.text_message("late?", driver.t0, Role.INTERVIEWER), notes=["x"]
        )
    assert store.get_notes(session.id) == []


def test_a_late_reply_keeps_its_notes(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.completed()
    late = store.append_message(
        session.id,
        driver.text_message("late reply", driver.t0, Role.INTERVIEWER),
        allow_late=True,
        notes=["written after the end"],
    )
    assert late.late and store.get_notes(session.id)[0].message_seq == late.seq


def test_blank_notes_are_skipped_and_long_ones_clipped(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    store.append_message(
        session.id,
        driver.text_message("q", driver.t0, Role.INTERVIEWER),
        notes=["  ", "nul\x00byte", "x" * 10_000],
    )
    assert [len(n.content) for n in store.get_notes(session.id)] == [7, 4000]


def test_notes_must_be_strings(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.active()
    with pytest.raises(InvalidInputError, match="sequence of strings"):
        store.append_message(
            session.id, driver.text_message("q", driver.t0, Role.INTERVIEWER), notes="oops"
        )
    assert store.get_transcript(session.id) == []


def test_notes_of_an_unknown_session_are_refused(store: SqlAlchemyDataStore) -> None:
    with pytest.raises(SessionNotFoundError):
        store.get_notes("00000000-0000-4000-8000-000000000000")


def test_deleting_a_session_deletes_its_notes(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.active()
    store.append_message(
        session.id, driver.text_message("q", driver.t0, Role.INTERVIEWER), notes=["n"]
    )
    assert store.delete_session(session.id)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM interviewer_notes")).scalar() == 0


def test_the_notes_migration_goes_down_and_up(store: SqlAlchemyDataStore) -> None:
    downgrade(store.engine, "0001")
    assert "interviewer_notes" not in inspect(store.engine).get_table_names()
    upgrade(store.engine)
    assert "interviewer_notes" in inspect(store.engine).get_table_names()

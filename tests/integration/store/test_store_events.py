"""The event log: written in the change's transaction, numbered per session, read by cursor,
joined with the message it is about, and announced after the commit."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, func, select

from interview_orchestrator.errors import InvalidStateTransitionError, SessionNotFoundError
from interview_orchestrator.lifecycle import Operation
from interview_orchestrator.models import EventType, NewEvent
from interview_orchestrator.store import SqlAlchemyDataStore
from interview_orchestrator.store.schema import EVENTS

if TYPE_CHECKING:
    from conftest import Driver


def test_a_transition_writes_its_event_and_its_messages_events_in_order(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    created = driver.created()
    opening = driver.text_message("Shall we begin?", driver.t0)
    result = store.save_transition(
        created,
        driver.after(created, Operation.START, driver.t0),
        operation=Operation.START,
        reason=None,
        messages=[opening],
        events=[NewEvent(EventType.PHASE_CHANGED, {"phase": "requirements"})],
    )
    events = store.events(created.id)
    assert [(e.id, e.type) for e in events] == [
        (1, EventType.SESSION_STARTED),
        (2, EventType.MESSAGE_CREATED),
        (3, EventType.PHASE_CHANGED),
    ]
    assert events[1].data["message"]["content"] == "Shall we begin?"
    assert events[1].data["message"]["seq"] == 1
    assert [e.id for e in result.events] == [1, 2, 3]
    assert store.get_session(created.id).event_count == 3


def test_reading_after_a_cursor_gives_only_what_follows(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    driver.transition(session, Operation.PAUSE, driver.t0 + timedelta(minutes=1))
    assert [e.type for e in store.events(session.id, after=1)] == [EventType.SESSION_PAUSED]
    assert store.events(session.id, after=2) == []
    assert [e.id for e in store.events(session.id, after=0, limit=1)] == [1]


def test_an_ending_logs_the_completion_and_the_pending_evaluation(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.completed()
    last_two = store.events(session.id)[-2:]
    assert [e.type for e in last_two] == [EventType.SESSION_COMPLETED, EventType.EVALUATION_UPDATED]
    assert last_two[0].data["end_reason"] == "requested"
    assert last_two[1].data["status"] == "pending"


def test_a_refused_change_writes_no_event(
    store: SqlAlchemyDataStore, driver: Driver, engine: Engine
) -> None:
    created = driver.created()
    active = driver.transition(created, Operation.START).session
    with pytest.raises(InvalidStateTransitionError):
        driver.transition(created, Operation.START)  # stale: it is ACTIVE already
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(EVENTS)).scalar_one()
    assert count == 1 and active.event_count == 1


def test_events_of_an_unknown_session_are_not_found(store: SqlAlchemyDataStore) -> None:
    with pytest.raises(SessionNotFoundError):
        store.events("3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d")


def test_commits_are_announced_once_the_events_are_readable(engine: Engine, driver: Driver) -> None:
    heard: list[tuple[str, int, int, list[int]]] = []
    store = SqlAlchemyDataStore(engine)
    # What a listener reads when it is told: the rows must already be committed.
    store.transactions.on_events = lambda sid, first, last: heard.append(
        (sid, first, last, [e.id for e in store.events(sid)])
    )
    session = type(driver)(store).active()
    assert heard == [(session.id, 1, 1, [1])]


def test_a_refused_change_announces_nothing(engine: Engine, driver: Driver) -> None:
    heard: list[tuple[str, int, int]] = []
    store = SqlAlchemyDataStore(engine, on_events=lambda *wake: heard.append(wake))
    announcing = type(driver)(store)
    created = announcing.created()
    announcing.transition(created, Operation.START)
    with pytest.raises(InvalidStateTransitionError):
        announcing.transition(created, Operation.START)
    assert heard == [(created.id, 1, 1)]

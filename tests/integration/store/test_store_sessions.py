"""Sessions: storing, reading, listing, timestamps and unknown ids."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from interview_orchestrator.errors import InvalidInputError, SessionNotFoundError
from interview_orchestrator.lifecycle import Operation
from interview_orchestrator.models import Session, SessionStatus, new_id
from interview_orchestrator.store import SqlAlchemyDataStore

if TYPE_CHECKING:
    from conftest import Driver

RESUME = {
    "user_id": "cand-1",
    "name": "Zoë Ødegård",
    "skills": ["python", "kafka"],
    "years": 7,
    "nested": {"a": [1, 2.5, None, True]},
}


def test_added_session_reads_back_equal(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.make_session(resume=RESUME, state={"phase": "intro", "asked": []})
    stored = store.add_session(session)
    assert stored == session
    assert store.get_session(session.id) == session
    assert store.get_session(session.id).config.resume_data == RESUME


def test_session_without_resume_keeps_none(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = store.add_session(driver.make_session(resume=None))
    assert store.get_session(session.id).config.resume_data is None


def test_add_session_with_a_taken_id_returns_the_stored_one(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    first = store.add_session(driver.make_session(user_id="first"))
    again = store.add_session(driver.make_session(user_id="second", session_id=first.id))
    assert again == first
    assert store.get_session(first.id).user_id == "first"


def test_unknown_ids_raise_session_not_found(store: SqlAlchemyDataStore, driver: Driver) -> None:
    missing = new_id()
    ghost = driver.make_session(session_id=missing)
    calls = [
        lambda: store.get_session(missing),
        lambda: store.get_transcript(missing),
        lambda: store.recent_messages(missing, 5),
        lambda: store.list_transitions(missing),
        lambda: store.get_evaluation(missing),
        lambda: store.append_message(missing, driver.text_message("hi", driver.t0)),
        lambda: driver.transition(ghost, Operation.START),
        lambda: store.claim_evaluation(
            missing, force=False, now=driver.t0, lease=timedelta(minutes=5)
        ),
    ]
    for call in calls:
        with pytest.raises(SessionNotFoundError):
            call()


def test_existing_session_without_messages_has_an_empty_transcript(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.created()
    assert store.get_transcript(session.id) == []
    assert store.recent_messages(session.id, 10) == []
    assert store.list_transitions(session.id) == []
    assert store.get_evaluation(session.id) is None


def test_timestamps_come_back_timezone_aware_utc(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2026, 11, 21, 14, 30, 15, 123456, tzinfo=india)
    session = store.add_session(driver.make_session(created_at=local))
    started = driver.transition(session, Operation.START, local + timedelta(seconds=1)).session
    message = store.append_message(
        session.id, driver.text_message("hello", local + timedelta(seconds=2))
    )
    read = store.get_session(session.id)
    stamps = [
        read.created_at,
        read.started_at,
        read.active_since,
        read.last_activity_at,
        message.created_at,
        store.get_transcript(session.id)[0].created_at,
        store.list_transitions(session.id)[0].at,
    ]
    for stamp in stamps:
        assert stamp is not None
        assert stamp.tzinfo is UTC
    assert read.created_at == local
    assert read.created_at.hour == 9
    assert started.started_at == local + timedelta(seconds=1)


def test_naive_timestamps_are_refused(store: SqlAlchemyDataStore, driver: Driver) -> None:
    naive = datetime(2026, 11, 21, 9, 0)
    with pytest.raises(InvalidInputError, match="naive"):
        store.add_session(driver.make_session(created_at=naive))
    session = driver.active()
    with pytest.raises(ValueError, match="timezone-aware"):
        store.append_message(session.id, driver.text_message("hi", naive))
    assert store.get_transcript(session.id) == []


def test_list_is_newest_first_with_filters_and_paging(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    ids = []
    for minute in range(5):
        user = "ann" if minute % 2 == 0 else "bob"
        at = driver.t0 + timedelta(minutes=minute)
        ids.append(store.add_session(driver.make_session(user_id=user, created_at=at)).id)
    driver.transition(store.get_session(ids[2]), Operation.START)

    def listed(**kwargs: object) -> list[str]:
        query = {"user_id": None, "status": None, "limit": 50, "offset": 0, **kwargs}
        return [s.id for s in store.list_sessions(**query)]  # type: ignore[arg-type]

    assert listed() == ids[::-1]
    assert listed(user_id="ann") == [ids[4], ids[2], ids[0]]
    assert listed(status=SessionStatus.ACTIVE) == [ids[2]]
    assert listed(user_id="ann", status=SessionStatus.CREATED) == [ids[4], ids[0]]
    assert listed(limit=2, offset=1) == [ids[3], ids[2]]
    assert listed(offset=10) == []


def test_list_breaks_creation_time_ties_by_id_descending(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    ids = [store.add_session(driver.make_session()).id for _ in range(4)]
    listed = store.list_sessions(user_id=None, status=None, limit=10, offset=0)
    assert [s.id for s in listed] == sorted(ids, reverse=True)


def test_list_refuses_bad_paging(store: SqlAlchemyDataStore) -> None:
    with pytest.raises(InvalidInputError):
        store.list_sessions(user_id=None, status=None, limit=0, offset=0)
    with pytest.raises(InvalidInputError):
        store.list_sessions(user_id=None, status=None, limit=10, offset=-1)


def test_find_active_session_is_the_most_recently_started(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    assert store.find_active_session(None) is None
    early = driver.transition(driver.created(user_id="u1"), Operation.START, driver.t0).session
    late = driver.transition(
        driver.created(user_id="u2"), Operation.START, driver.t0 + timedelta(minutes=1)
    ).session
    driver.created(user_id="u3")
    assert store.find_active_session(None) == late
    assert store.find_active_session("u1") == early
    assert store.find_active_session("u3") is None
    assert store.find_active_session("nobody") is None


def test_racing_adds_of_one_id_store_it_once(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session_id = new_id()
    barrier = threading.Barrier(4)
    results: list[Session] = []

    def add(user: str) -> None:
        barrier.wait()
        results.append(store.add_session(driver.make_session(session_id=session_id, user_id=user)))

    threads = [threading.Thread(target=add, args=(f"user-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert len({r.user_id for r in results}) == 1
    assert results[0] == store.get_session(session_id)

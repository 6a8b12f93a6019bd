"""One turn at a time, decided by the database: claiming, finishing, releasing, resuming."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from interview_orchestrator.errors import (
    InvalidStateTransitionError,
    SessionNotFoundError,
    TurnInProgressError,
)
from interview_orchestrator.models import NewMessage, Role
from interview_orchestrator.store import SqlAlchemyDataStore

if TYPE_CHECKING:
    from conftest import Driver

LEASE = timedelta(minutes=5)


def candidate(
    driver: Driver, text: str = "my answer", *, minutes: float = 1, key: str | None = None
) -> NewMessage:
    message = driver.text_message(text, driver.t0 + timedelta(minutes=minutes))
    return NewMessage(
        message.role, message.mode, message.content, message.created_at, client_message_id=key
    )


def reply(driver: Driver, candidate_seq: int, *, minutes: float = 2) -> NewMessage:
    return NewMessage(
        Role.INTERVIEWER,
        candidate(driver).mode,
        "Why that queue?",
        driver.t0 + timedelta(minutes=minutes),
        reply_to=candidate_seq,
    )


def begin(
    store: SqlAlchemyDataStore,
    driver: Driver,
    session_id: str,
    *,
    minutes: float = 1,
    key: str | None = None,
    text: str = "my answer",
):  # type: ignore[no-untyped-def]
    message = candidate(driver, text, minutes=minutes, key=key)
    return store.begin_turn(
        session_id, message, expires_at=message.created_at + LEASE, context_messages=20
    )


def test_a_candidates_message_claims_the_turn_and_comes_with_the_recent_window(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    started = begin(store, driver, session.id)
    assert started.candidate.seq == 1 and started.candidate.role is Role.CANDIDATE
    assert [m.seq for m in started.recent] == [1]
    stored = store.get_session(session.id)
    assert stored.turn_seq == 1
    assert stored.turn_in_progress_at(driver.t0 + timedelta(minutes=2))


def test_a_second_message_while_the_turn_is_pending_is_refused_and_stores_nothing(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    begin(store, driver, session.id)
    with pytest.raises(TurnInProgressError) as refused:
        begin(store, driver, session.id, minutes=2, text="again")
    assert refused.value.awaiting_seq == 1
    assert [m.content for m in store.get_transcript(session.id)] == ["my answer"]
    assert store.get_session(session.id).message_count == 1


def test_the_reply_releases_the_turn_and_answers_its_message(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    started = begin(store, driver, session.id)
    answer = store.finish_turn(
        session.id,
        started.candidate.seq,
        reply(driver, 1),
        interviewer_state={"asked": ["q1"]},
        notes=["probed"],
        phase="deep_dive",
    )
    assert (answer.seq, answer.reply_to, answer.late) == (2, 1, False)
    stored = store.get_session(session.id)
    assert stored.turn_seq is None and stored.phase == "deep_dive"
    assert stored.interviewer_state == {"asked": ["q1"]}
    assert [n.message_seq for n in store.get_notes(session.id)] == [2]
    assert begin(store, driver, session.id, minutes=3, text="next").candidate.seq == 3


def test_an_expired_turn_is_taken_over_and_its_late_reply_refused(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    begin(store, driver, session.id, minutes=1)
    taken = begin(store, driver, session.id, minutes=1 + LEASE.total_seconds() / 60, text="hello?")
    assert taken.candidate.seq == 2
    with pytest.raises(InvalidStateTransitionError, match="expired and was taken over"):
        store.finish_turn(session.id, 1, reply(driver, 1), interviewer_state={})
    assert [m.role for m in store.get_transcript(session.id)] == [Role.CANDIDATE, Role.CANDIDATE]


def test_a_released_turn_leaves_the_message_and_accepts_the_next(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    begin(store, driver, session.id)
    store.release_turn(session.id, 1)
    assert store.get_session(session.id).turn_seq is None
    assert begin(store, driver, session.id, minutes=2, text="next").candidate.seq == 2


def test_resume_claims_the_turn_of_the_unanswered_last_message(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    begin(store, driver, session.id)
    store.release_turn(session.id, 1)
    now = driver.t0 + timedelta(minutes=3)
    resumed = store.resume_turn(session.id, now=now, expires_at=now + LEASE, context_messages=20)
    assert resumed.candidate.seq == 1 and resumed.candidate.content == "my answer"
    assert store.get_session(session.id).turn_seq == 1
    with pytest.raises(TurnInProgressError):
        store.resume_turn(session.id, now=now, expires_at=now + LEASE, context_messages=20)


def test_resume_with_nothing_unanswered_is_refused(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    started = begin(store, driver, session.id)
    store.finish_turn(session.id, started.candidate.seq, reply(driver, 1), interviewer_state={})
    now = driver.t0 + timedelta(minutes=3)
    with pytest.raises(InvalidStateTransitionError, match="last message is the interviewer's"):
        store.resume_turn(session.id, now=now, expires_at=now + LEASE, context_messages=20)


def test_resume_of_a_message_that_is_no_longer_the_last_is_refused(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    begin(store, driver, session.id)
    store.release_turn(session.id, 1)
    begin(store, driver, session.id, minutes=2, text="second")
    store.release_turn(session.id, 2)
    now = driver.t0 + timedelta(minutes=3)
    with pytest.raises(InvalidStateTransitionError, match="no longer the last one"):
        store.resume_turn(
            session.id, now=now, expires_at=now + LEASE, context_messages=20, candidate_seq=1
        )


def test_a_turn_is_refused_unless_the_session_is_active(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.created()
    with pytest.raises(InvalidStateTransitionError, match="it is created"):
        begin(store, driver, session.id)
    with pytest.raises(SessionNotFoundError):
        begin(store, driver, "3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d")


def test_a_reply_after_the_end_is_stored_late(store: SqlAlchemyDataStore, driver: Driver) -> None:
    from interview_orchestrator.lifecycle import Operation

    session = driver.active()
    started = begin(store, driver, session.id)
    driver.transition(
        store.get_session(session.id), Operation.END, driver.t0 + timedelta(minutes=2)
    )
    answer = store.finish_turn(
        session.id, started.candidate.seq, reply(driver, 1, minutes=3), interviewer_state={}
    )
    assert answer.late


def test_a_client_message_id_finds_its_turn(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.active()
    assert store.find_turn(session.id, "c-1") is None
    started = begin(store, driver, session.id, key="c-1")
    pending = store.find_turn(session.id, "c-1")
    assert pending is not None and pending.reply is None
    assert pending.candidate.client_message_id == "c-1"
    store.finish_turn(session.id, started.candidate.seq, reply(driver, 1), interviewer_state={})
    found = store.find_turn(session.id, "c-1")
    assert found is not None and found.reply is not None and found.reply.seq == 2


def test_a_client_message_id_is_unique_per_session_only(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    first, second = driver.active(user_id="a"), driver.active(user_id="b")
    begin(store, driver, first.id, key="same")
    assert begin(store, driver, second.id, key="same").candidate.seq == 1


def test_begin_turn_shows_admit_the_session_as_stored_and_returns_it(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    shown = []
    message = candidate(driver)
    started = store.begin_turn(
        session.id,
        message,
        expires_at=message.created_at + LEASE,
        context_messages=20,
        admit=shown.append,
    )
    assert [s.id for s in shown] == [session.id]
    assert shown[0].turn_seq is None  # read before the claim
    assert started.session == shown[0]


def test_a_turn_refused_by_admit_stores_nothing_and_claims_nothing(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    before = store.get_session(session.id)

    def refuse(_: object) -> None:
        raise InvalidStateTransitionError(session.id, "active", "send a message to", "refused")

    message = candidate(driver)
    with pytest.raises(InvalidStateTransitionError):
        store.begin_turn(
            session.id,
            message,
            expires_at=message.created_at + LEASE,
            context_messages=20,
            admit=refuse,
        )
    assert store.get_transcript(session.id) == []
    assert store.events(session.id) == store.events(session.id)[: before.event_count]
    assert store.get_session(session.id) == before

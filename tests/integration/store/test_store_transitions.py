"""Status changes: compare-and-set, audit rows, messages stored with them, one active per user."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from interview_orchestrator.errors import InvalidInputError, InvalidStateTransitionError
from interview_orchestrator.lifecycle import Operation
from interview_orchestrator.models import (
    EndReason,
    EvaluationStatus,
    Role,
    Session,
    SessionStatus,
    TransitionRecord,
)
from interview_orchestrator.store import SqlAlchemyDataStore

if TYPE_CHECKING:
    from conftest import Driver


def test_transition_stores_the_after_state(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.created()
    at = driver.t0 + timedelta(minutes=1)
    result = driver.transition(session, Operation.START, at)
    # The change wrote one event (session.started): the session's log cursor moved to 1.
    expected = driver.after(session, Operation.START, at).with_changes(event_count=1)
    assert result.session == expected
    assert store.get_session(session.id) == expected
    assert result.session.version == 1
    assert [event.type.value for event in result.events] == ["session.started"]


def test_stale_before_is_refused_and_changes_nothing(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    created = driver.created()
    active = driver.transition(created, Operation.START).session
    paused = driver.transition(active, Operation.PAUSE, driver.t0 + timedelta(minutes=5)).session

    with pytest.raises(InvalidStateTransitionError) as refused:
        driver.transition(
            active,
            Operation.END,
            driver.t0 + timedelta(minutes=6),
            messages=[driver.text_message("bye", driver.t0)],
        )
    assert refused.value.status == "paused"
    assert refused.value.operation == "end"
    assert "changed concurrently" in str(refused.value)
    assert store.get_session(created.id) == paused
    assert store.get_transcript(created.id) == []
    assert len(store.list_transitions(created.id)) == 2
    assert store.get_evaluation(created.id) is None


def test_same_status_but_older_version_is_refused(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    active = driver.active()
    paused = driver.transition(active, Operation.PAUSE).session
    resumed = driver.transition(paused, Operation.RESUME).session
    with pytest.raises(InvalidStateTransitionError):
        driver.transition(active, Operation.PAUSE)
    assert store.get_session(active.id) == resumed


def test_transition_writes_an_audit_row(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.created()
    t1, t2 = driver.t0 + timedelta(minutes=1), driver.t0 + timedelta(minutes=2)
    active = driver.transition(session, Operation.START, t1).session
    driver.transition(active, Operation.PAUSE, t2, reason="candidate break")
    assert store.list_transitions(session.id) == [
        TransitionRecord(
            session.id, SessionStatus.CREATED, SessionStatus.ACTIVE, "start", None, t1
        ),
        TransitionRecord(
            session.id, SessionStatus.ACTIVE, SessionStatus.PAUSED, "pause", "candidate break", t2
        ),
    ]


def test_ending_creates_a_pending_evaluation(store: SqlAlchemyDataStore, driver: Driver) -> None:
    active = driver.active()
    ended_at = driver.t0 + timedelta(minutes=30)
    ended = driver.transition(active, Operation.END, ended_at).session
    assert ended.status is SessionStatus.COMPLETED
    assert ended.end_reason is EndReason.REQUESTED
    assert ended.ended_at == ended_at
    report = store.get_evaluation(active.id)
    assert report is not None
    assert report.status is EvaluationStatus.PENDING
    assert report.attempts == 0
    assert report.created_at == ended_at


def test_transition_messages_are_numbered_after_the_transcript(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.created()
    opening = driver.text_message("Design a URL shortener.", driver.t0, Role.INTERVIEWER)
    result = driver.transition(session, Operation.START, messages=[opening])
    assert [m.seq for m in result.messages] == [1]
    assert result.session.message_count == 1
    store.append_message(session.id, driver.text_message("ok", driver.t0))
    closing = [
        driver.text_message("Thanks!", driver.t0, Role.INTERVIEWER),
        driver.text_message("Bye", driver.t0, Role.SYSTEM),
    ]
    ended = driver.transition(
        result.session.with_changes(message_count=2), Operation.END, messages=closing
    )
    assert [m.seq for m in ended.messages] == [3, 4]
    assert ended.session.message_count == 4
    assert [m.content for m in store.get_transcript(session.id)] == [
        "Design a URL shortener.",
        "ok",
        "Thanks!",
        "Bye",
    ]
    assert list(ended.messages) == store.get_transcript(session.id)[2:]


def test_interviewer_state_is_written_only_when_the_transition_changes_it(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.created(state={"phase": "none"})
    start = driver.after(session, Operation.START, driver.t0).with_changes(
        interviewer_state={"phase": "intro"}
    )
    active = store.save_transition(session, start, operation=Operation.START, reason=None).session
    assert active.interviewer_state == {"phase": "intro"}
    # An append replaces the state without bumping the version ...
    store.append_message(
        session.id, driver.text_message("hi", driver.t0), interviewer_state={"phase": "design"}
    )
    # ... and a transition computed from the older copy does not undo it.
    paused = driver.transition(active, Operation.PAUSE).session
    assert paused.interviewer_state == {"phase": "design"}


def test_two_threads_racing_the_same_transition_have_one_winner(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    for round_ in range(5):
        active = driver.active(user_id=f"racer-{round_}")
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def end(
            session: Session = active,
            gate: threading.Barrier = barrier,
            sink: list[object] = outcomes,
        ) -> None:
            gate.wait()
            try:
                sink.append(driver.transition(session, Operation.END).session)
            except InvalidStateTransitionError as exc:
                sink.append(exc)

        threads = [threading.Thread(target=end) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [o for o in outcomes if isinstance(o, Session)]
        losers = [o for o in outcomes if isinstance(o, InvalidStateTransitionError)]
        assert len(winners) == 1
        assert len(losers) == 1
        assert losers[0].status == "completed"
        assert len(store.list_transitions(active.id)) == 2


def test_second_active_session_of_a_user_is_refused_naming_the_first(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    first = driver.active(user_id="alice")
    second = driver.created(user_id="alice")
    with pytest.raises(InvalidStateTransitionError) as refused:
        driver.transition(second, Operation.START)
    assert first.id in str(refused.value)
    assert refused.value.status == "created"
    assert store.get_session(second.id) == second
    assert store.list_transitions(second.id) == []
    # Once the first is paused, the second may start; the first may not resume meanwhile.
    paused = driver.transition(first, Operation.PAUSE).session
    driver.transition(second, Operation.START)
    with pytest.raises(InvalidStateTransitionError, match=second.id):
        driver.transition(paused, Operation.RESUME)


def test_other_users_may_be_active_at_once(store: SqlAlchemyDataStore, driver: Driver) -> None:
    driver.active(user_id="a")
    driver.active(user_id="b")
    assert (
        len(store.list_sessions(user_id=None, status=SessionStatus.ACTIVE, limit=10, offset=0)) == 2
    )


def test_transition_must_increase_the_version(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.created()
    same = driver.after(session, Operation.START, driver.t0).with_changes(version=0)
    with pytest.raises(InvalidInputError):
        store.save_transition(session, same, operation=Operation.START, reason=None)
    assert store.get_session(session.id) == session


def test_racing_starts_of_one_users_sessions_leave_one_active(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    sessions = [driver.created(user_id="eager") for _ in range(4)]
    barrier = threading.Barrier(len(sessions))
    outcomes: list[object] = []

    def start(session: Session) -> None:
        barrier.wait()
        try:
            outcomes.append(driver.transition(session, Operation.START).session)
        except InvalidStateTransitionError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if isinstance(o, Session)]
    assert len(winners) == 1
    assert all(winners[0].id in str(o) for o in outcomes if not isinstance(o, Session))
    assert store.find_active_session("eager") == winners[0]

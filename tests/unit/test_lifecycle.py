"""The transition tables (sessions, evaluations), what each action requires, the active-time
clock and the time rules (pure domain, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_orchestrator import (
    InvalidStateTransitionError,
    Session,
    SessionConfig,
    SessionStatus,
)
from interview_orchestrator.lifecycle import (
    EVALUATION_TRANSITIONS,
    FINISHED_EVALUATION,
    TRANSITIONS,
    Action,
    EvaluationOperation,
    Operation,
    TimePolicy,
    allowed_operations,
    apply,
    due_action,
    evaluation_claim,
    evaluation_targets,
    next_status,
    require,
)
from interview_orchestrator.models import EndReason, EvaluationStatus

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ALLOWED = {
    (Operation.START, SessionStatus.CREATED): SessionStatus.ACTIVE,
    (Operation.PAUSE, SessionStatus.ACTIVE): SessionStatus.PAUSED,
    (Operation.RESUME, SessionStatus.PAUSED): SessionStatus.ACTIVE,
    (Operation.END, SessionStatus.ACTIVE): SessionStatus.COMPLETED,
    (Operation.END, SessionStatus.PAUSED): SessionStatus.COMPLETED,
}


def new_session(status: SessionStatus = SessionStatus.CREATED, minutes: int = 45) -> Session:
    return Session(
        id="3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d",
        user_id="u",
        status=status,
        config=SessionConfig(duration_minutes=minutes),
        created_at=T0,
        last_activity_at=T0,
    )


def test_the_table_holds_exactly_the_specified_transitions() -> None:
    assert dict(TRANSITIONS) == ALLOWED


@pytest.mark.parametrize("operation", list(Operation))
@pytest.mark.parametrize("status", list(SessionStatus))
def test_every_pair_outside_the_table_is_refused_with_its_names(
    operation: Operation, status: SessionStatus
) -> None:
    if (operation, status) in ALLOWED:
        assert next_status("s-1", status, operation) is ALLOWED[(operation, status)]
        return
    with pytest.raises(InvalidStateTransitionError) as raised:
        next_status("s-1", status, operation)
    assert "s-1" in str(raised.value) and status.value in str(raised.value)
    assert raised.value.operation == operation.value


def test_completed_allows_nothing() -> None:
    assert allowed_operations(SessionStatus.COMPLETED) == frozenset()


def test_paused_time_does_not_count_against_the_duration() -> None:
    started = apply(new_session(), Operation.START, T0)
    paused = apply(started, Operation.PAUSE, T0 + timedelta(minutes=10))
    resumed = apply(paused, Operation.RESUME, T0 + timedelta(hours=3))
    ended = apply(resumed, Operation.END, T0 + timedelta(hours=3, minutes=5))
    assert paused.active_seconds == 600
    assert resumed.active_seconds_at(T0 + timedelta(hours=3, minutes=1)) == 660
    assert ended.active_seconds == 900
    assert ended.ended_at == T0 + timedelta(hours=3, minutes=5)
    assert ended.end_reason is EndReason.REQUESTED
    assert ended.started_at == T0 and ended.version == 4


@given(
    st.lists(st.sampled_from(list(Operation)), max_size=12),
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=12, max_size=12),
)
def test_any_sequence_keeps_the_clock_consistent(ops: list[Operation], gaps: list[int]) -> None:
    session, now = new_session(), T0
    for op, gap in zip(ops, gaps, strict=False):
        now += timedelta(seconds=gap)
        try:
            after = apply(session, op, now)
        except InvalidStateTransitionError:
            continue
        assert after.version == session.version + 1
        assert after.active_seconds >= session.active_seconds
        assert (after.active_since is not None) == (after.status is SessionStatus.ACTIVE)
        assert after.active_seconds_at(now) <= (now - T0).total_seconds()
        session = after


def test_an_active_session_past_its_duration_is_due_to_end() -> None:
    active = apply(new_session(minutes=30), Operation.START, T0)
    assert (
        due_action(active, T0 + timedelta(minutes=29), TimePolicy(idle_timeout=timedelta(hours=1)))
        is None
    )
    action = due_action(active, T0 + timedelta(minutes=30), TimePolicy())
    assert action is not None
    assert (action.operation, action.end_reason) == (Operation.END, EndReason.TIME_LIMIT)


def test_an_idle_active_session_is_due_to_pause() -> None:
    active = apply(new_session(), Operation.START, T0)
    action = due_action(
        active, T0 + timedelta(minutes=31), TimePolicy(idle_timeout=timedelta(minutes=30))
    )
    assert action is not None
    assert (action.operation, action.reason) == (Operation.PAUSE, "idle")


def test_a_long_paused_session_is_abandoned_and_a_recent_one_is_not() -> None:
    paused = apply(apply(new_session(), Operation.START, T0), Operation.PAUSE, T0)
    policy = TimePolicy(abandon_after=timedelta(hours=24))
    assert due_action(paused, T0 + timedelta(hours=23), policy) is None
    action = due_action(paused, T0 + timedelta(hours=24), policy)
    assert action is not None and action.end_reason is EndReason.ABANDONED


@pytest.mark.parametrize("status", [SessionStatus.CREATED, SessionStatus.COMPLETED])
def test_created_and_completed_sessions_are_never_due(status: SessionStatus) -> None:
    assert due_action(new_session(status), T0 + timedelta(days=400), TimePolicy()) is None


# ---------------------------------------------------------------- evaluations

T = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("status", [None, EvaluationStatus.PENDING, EvaluationStatus.FAILED])
def test_a_waiting_failed_or_missing_evaluation_may_be_claimed(
    status: EvaluationStatus | None,
) -> None:
    assert evaluation_claim(status, None, now=T, force=False) is EvaluationOperation.CLAIM


def test_a_running_evaluation_is_taken_over_only_once_its_lease_expired() -> None:
    later = T + timedelta(seconds=1)
    assert evaluation_claim(EvaluationStatus.RUNNING, later, now=T, force=True) is None
    assert (
        evaluation_claim(EvaluationStatus.RUNNING, T, now=T, force=False)
        is EvaluationOperation.TAKE_OVER
    )


@pytest.mark.parametrize("status", sorted(FINISHED_EVALUATION))
def test_a_finished_evaluation_is_claimed_only_when_forced(status: EvaluationStatus) -> None:
    assert evaluation_claim(status, None, now=T, force=False) is None
    assert evaluation_claim(status, None, now=T, force=True) is EvaluationOperation.FORCE


def test_only_a_running_evaluation_finishes_fails_or_is_released() -> None:
    for operation in (
        EvaluationOperation.FINISH,
        EvaluationOperation.FAIL,
        EvaluationOperation.RELEASE,
    ):
        sources = {s for (op, s) in EVALUATION_TRANSITIONS if op is operation}
        assert sources == {EvaluationStatus.RUNNING}
    assert evaluation_targets(EvaluationOperation.FINISH) == FINISHED_EVALUATION
    assert evaluation_targets(EvaluationOperation.RELEASE) == {EvaluationStatus.PENDING}


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        (Action.SEND, {SessionStatus.ACTIVE}),
        (Action.RETRY_REPLY, {SessionStatus.ACTIVE}),
        (Action.EVALUATE, {SessionStatus.COMPLETED}),
    ],
)
def test_each_action_requires_its_statuses(action: Action, allowed: set[SessionStatus]) -> None:
    for status in SessionStatus:
        if status in allowed:
            require("s", status, action)
        else:
            with pytest.raises(InvalidStateTransitionError, match=action.value):
                require("s", status, action)

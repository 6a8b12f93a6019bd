"""Sweeper on a mocked store and manager: what it enforces, how it pages, what it counts as
raced or failed, and the one line it logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest
from pytest_mock import MockerFixture

from interview_orchestrator.errors import (
    DataStoreError,
    EvaluationError,
    InvalidStateTransitionError,
)
from interview_orchestrator.lifecycle import DueAction, Operation, TimePolicy
from interview_orchestrator.log_events import LogEvent
from interview_orchestrator.models import (
    EndReason,
    EvaluationReport,
    EvaluationStatus,
    Session,
    SessionConfig,
    SessionStatus,
)
from interview_orchestrator.ports import DataStore
from interview_orchestrator.session_manager import SessionManager
from interview_orchestrator.sweeper import Sweeper
from interview_orchestrator.testing.pytest_plugin import capturing_logger

NOW: Final = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
POLICY: Final = TimePolicy(idle_timeout=timedelta(minutes=30), abandon_after=timedelta(hours=24))
PAUSE_IDLE: Final = DueAction(Operation.PAUSE, "idle")
END_TIME_LIMIT: Final = DueAction(Operation.END, "time_limit", EndReason.TIME_LIMIT)
END_ABANDONED: Final = DueAction(Operation.END, "abandoned", EndReason.ABANDONED)


def session(number: int, status: SessionStatus, **changes: Any) -> Session:
    return Session(
        id=f"00000000-0000-4000-8000-{number:012d}",
        user_id=f"cand-{number}",
        status=status,
        config=SessionConfig(duration_minutes=45),
        created_at=NOW - timedelta(days=3),
        **changes,
    )


def over_time(number: int) -> Session:
    return session(
        number, SessionStatus.ACTIVE, active_since=NOW - timedelta(minutes=46), last_activity_at=NOW
    )


def idle(number: int) -> Session:
    return session(
        number,
        SessionStatus.ACTIVE,
        active_since=NOW - timedelta(minutes=35),
        last_activity_at=NOW - timedelta(minutes=31),
    )


def abandoned(number: int) -> Session:
    return session(number, SessionStatus.PAUSED, last_activity_at=NOW - timedelta(days=2))


def in_time(number: int) -> Session:
    return session(
        number, SessionStatus.ACTIVE, active_since=NOW - timedelta(minutes=5), last_activity_at=NOW
    )


@pytest.fixture
def store(mocker: MockerFixture) -> Any:
    mock = mocker.create_autospec(DataStore, instance=True, spec_set=True)
    mock.sessions_to_sweep.return_value = []
    mock.evaluations_to_resume.return_value = []
    return mock


@pytest.fixture
def manager(mocker: MockerFixture) -> Any:
    return mocker.create_autospec(SessionManager, instance=True, spec_set=True)


def sweeper_on(store: Any, manager: Any, lines: list[dict[str, Any]], **kw: Any) -> Sweeper:
    return Sweeper(
        store, manager, time_policy=POLICY, clock=lambda: NOW, logger=capturing_logger(lines), **kw
    )


def test_each_due_session_is_enforced_and_counted_by_what_was_done(
    store: Any, manager: Any
) -> None:
    due = {1: END_TIME_LIMIT, 2: PAUSE_IDLE, 3: END_ABANDONED}
    store.sessions_to_sweep.return_value = [over_time(1), idle(2), abandoned(3), in_time(4)]
    manager.enforce_time_rules.side_effect = lambda sid: due[int(sid[-12:])]
    report = sweeper_on(store, manager, []).run()
    assert report.ended_time_limit == [over_time(1).id]
    assert report.paused_idle == [idle(2).id]
    assert report.ended_abandoned == [abandoned(3).id]
    assert in_time(4).id not in [c.args[0] for c in manager.enforce_time_rules.call_args_list]


def test_a_session_changed_since_it_was_listed_counts_as_raced(store: Any, manager: Any) -> None:
    store.sessions_to_sweep.return_value = [over_time(1), idle(2)]
    manager.enforce_time_rules.side_effect = [
        None,  # resumed meanwhile: nothing was due any more
        InvalidStateTransitionError(idle(2).id, "paused", "pause"),
    ]
    report = sweeper_on(store, manager, []).run()
    assert report.raced == 2 and report.errors == []
    assert report.paused_idle == report.ended_time_limit == []


def test_a_failure_on_one_session_is_reported_and_the_sweep_goes_on(
    store: Any, manager: Any
) -> None:
    store.sessions_to_sweep.return_value = [over_time(1), over_time(2)]
    manager.enforce_time_rules.side_effect = [DataStoreError("disk full"), END_TIME_LIMIT]
    report = sweeper_on(store, manager, []).run()
    assert report.errors == [f"{over_time(1).id}: disk full"]
    assert report.ended_time_limit == [over_time(2).id]


def test_sessions_are_read_in_pages_after_the_last_id_of_the_previous_one(
    store: Any, manager: Any
) -> None:
    store.sessions_to_sweep.side_effect = [[in_time(1), in_time(2)], [in_time(3)]]
    sweeper_on(store, manager, [], batch_size=2).run()
    cursors = [c.kwargs["after_id"] for c in store.sessions_to_sweep.call_args_list]
    assert cursors == [None, in_time(2).id]
    assert store.sessions_to_sweep.call_args.kwargs["abandoned_before"] == NOW - timedelta(hours=24)


def test_pending_evaluations_left_by_a_crash_are_generated_again(store: Any, manager: Any) -> None:
    store.evaluations_to_resume.return_value = ["s-ready", "s-running", "s-failed"]

    def retry(session_id: str) -> EvaluationReport:
        if session_id == "s-ready":
            return EvaluationReport(session_id, EvaluationStatus.READY)
        raise EvaluationError("evaluator down")

    manager.retry_evaluation.side_effect = retry
    store.get_evaluation.side_effect = lambda sid: EvaluationReport(
        sid, EvaluationStatus.RUNNING if sid == "s-running" else EvaluationStatus.FAILED
    )
    report = sweeper_on(store, manager, [], pending_grace=timedelta(minutes=2)).run()
    assert report.evaluations_generated == ["s-ready"]
    assert report.evaluations_failed == ["s-failed"]
    assert report.raced == 1  # another runner holds s-running
    assert store.evaluations_to_resume.call_args.kwargs["pending_before"] == NOW - timedelta(
        minutes=2
    )


def test_a_sweep_logs_one_line_with_its_counts(store: Any, manager: Any) -> None:
    store.sessions_to_sweep.return_value = [over_time(1)]
    manager.enforce_time_rules.return_value = END_TIME_LIMIT
    lines: list[dict[str, Any]] = []
    sweeper_on(store, manager, lines).run()
    (line,) = lines
    assert line["message"] == LogEvent.SWEEP_DONE and line["operation"] == "sweep"
    assert line["component"] == "Sweeper"
    assert line["metadata"]["ended_time_limit"] == 1 and line["metadata"]["raced"] == 0

"""Time enforced server-side through the real container: sweep and the lazy rules."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers

from interview_orchestrator import (
    Container,
    EndReason,
    EvaluationStatus,
    InvalidInputError,
    InvalidStateTransitionError,
    SessionConfig,
    SessionManager,
    SessionStatus,
    lifecycle,
)


class MovableClock:
    """A clock the test moves forward; thread-safe enough for reads."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime.now(UTC))


@pytest.fixture
def container(database_url: str, clock: MovableClock) -> Iterator[Container]:
    """The container on a migrated test database with a movable clock, logging off."""
    built = Container()
    built.config.database.url.from_value(database_url)
    built.config.database.auto_migrate.from_value("always")
    built.config.logging.enabled.from_value(False)
    built.clock.override(providers.Object(clock))
    yield built
    built.shutdown_resources()


@pytest.fixture
def manager(container: Container) -> SessionManager:
    manager: SessionManager = container.session_manager()
    return manager


def started(manager: SessionManager, minutes: int = 30, user: str = "u") -> str:
    session = manager.create_session(SessionConfig(duration_minutes=minutes), user_id=user)
    manager.start_session(session.id)
    return session.id


def test_sweep_ends_a_session_past_its_time_limit_and_evaluates_it(
    container: Container, manager: SessionManager, clock: MovableClock
) -> None:
    sid = started(manager, minutes=20)
    manager.send_message(sid, "I would shard the data and add a cache for reads.")
    clock.advance(minutes=19)
    manager.send_message(sid, "and replicate each shard for failover")
    clock.advance(minutes=2)
    report = container.sweeper().run()
    assert report.ended_time_limit == [sid]
    session = manager.get_session(sid)
    assert session.status is SessionStatus.COMPLETED
    assert session.end_reason is EndReason.TIME_LIMIT
    evaluation = manager.get_evaluation(sid)
    assert evaluation is not None and evaluation.status is EvaluationStatus.READY


def test_sweep_pauses_an_idle_session_and_keeps_paused_time_off_the_clock(
    container: Container, manager: SessionManager, clock: MovableClock
) -> None:
    sid = started(manager, minutes=120)
    clock.advance(minutes=31)
    assert container.sweeper().run().paused_idle == [sid]
    paused = manager.get_session(sid)
    assert paused.status is SessionStatus.PAUSED
    assert container.data_store().list_transitions(sid)[-1].reason == "idle"
    clock.advance(hours=5)
    resumed = manager.resume_session(sid)
    assert resumed.active_seconds == pytest.approx(31 * 60)


def test_sweep_ends_a_session_paused_past_the_abandonment_age(
    container: Container, manager: SessionManager, clock: MovableClock
) -> None:
    sid = started(manager)
    manager.pause_session(sid)
    clock.advance(hours=23)
    assert container.sweeper().run().ended_abandoned == []
    clock.advance(hours=2)
    assert container.sweeper().run().ended_abandoned == [sid]
    assert manager.get_session(sid).end_reason is EndReason.ABANDONED


def test_sweep_leaves_sessions_in_time_alone(
    container: Container, manager: SessionManager, clock: MovableClock
) -> None:
    sid = started(manager)
    clock.advance(minutes=5)
    report = container.sweeper().run()
    assert report.as_dict() == container.sweeper().run().as_dict()
    assert not (report.ended_time_limit or report.paused_idle or report.ended_abandoned)
    assert manager.get_session(sid).status is SessionStatus.ACTIVE


def test_sweep_regenerates_an_evaluation_left_pending_by_a_crash(
    container: Container, manager: SessionManager, clock: MovableClock
) -> None:
    sid = started(manager)
    manager.send_message(sid, "First I'd clarify requirements and estimate the read load.")
    store = container.data_store()
    session = store.get_session(sid)

    after = lifecycle.apply(session, lifecycle.Operation.END, clock())
    store.save_transition(session, after, operation=lifecycle.Operation.END, reason="requested")
    assert manager.get_evaluation(sid).status is EvaluationStatus.PENDING  # the "crash"
    clock.advance(minutes=2)
    report = container.sweeper().run()
    assert report.evaluations_generated == [sid]
    assert manager.get_evaluation(sid).status is EvaluationStatus.READY


def test_a_message_after_the_time_limit_ends_the_session_and_says_so(
    manager: SessionManager, clock: MovableClock
) -> None:
    sid = started(manager, minutes=10)
    clock.advance(minutes=11)
    with pytest.raises(InvalidStateTransitionError, match="time limit"):
        manager.send_message(sid, "late answer")
    assert manager.get_session(sid).end_reason is EndReason.TIME_LIMIT
    assert len(manager.get_transcript(sid)) == 1


def test_sweeps_racing_each_other_end_each_session_once(
    container: Container, manager: SessionManager, clock: MovableClock
) -> None:
    ids = [started(manager, minutes=5, user=f"racer-{i}") for i in range(6)]
    clock.advance(minutes=6)
    reports: list[Any] = []
    barrier = threading.Barrier(4)

    def sweep() -> None:
        barrier.wait()
        reports.append(container.sweeper().run())

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ended = [sid for report in reports for sid in report.ended_time_limit]
    assert sorted(ended) == sorted(ids)
    assert not [e for report in reports for e in report.errors]
    for sid in ids:
        evaluation = manager.get_evaluation(sid)
        assert evaluation is not None and evaluation.attempts == 1
        assert [t.to_status for t in container.data_store().list_transitions(sid)].count(
            SessionStatus.COMPLETED
        ) == 1


# ------------------------------------------------------------------ listing


def test_list_pages_by_keyset_cursor_without_gaps_or_repeats(
    manager: SessionManager, clock: MovableClock
) -> None:
    ids = []
    for _ in range(7):
        ids.append(manager.create_session(SessionConfig(), user_id="pager").id)
        clock.advance(seconds=1)
    seen: list[str] = []
    after = None
    while True:
        page = manager.list_sessions(user_id="pager", limit=3, after=after)
        if not page:
            break
        seen.extend(s.id for s in page)
        after = page[-1].id
    assert seen == ids[::-1]


def test_list_filters_by_creation_window_and_score(
    manager: SessionManager, clock: MovableClock
) -> None:
    early = manager.create_session(SessionConfig(), user_id="window").id
    clock.advance(days=2)
    late = started(manager, user="window")
    manager.send_message(
        late, "I'd clarify requirements, shard by key, replicate and cache hot keys."
    )
    manager.end_session(late)
    middle = clock() - timedelta(days=1)
    assert [s.id for s in manager.list_sessions(user_id="window", until=middle)] == [early]
    assert [s.id for s in manager.list_sessions(user_id="window", since=middle)] == [late]
    assert [s.id for s in manager.list_sessions(user_id="window", min_score=0)] == [late]


def test_an_unknown_cursor_is_refused(manager: SessionManager) -> None:
    with pytest.raises(InvalidInputError, match="cursor"):
        manager.list_sessions(after="00000000-0000-4000-8000-000000000000")


def test_stats_count_statuses_days_scores_and_failures(
    container: Container, manager: SessionManager, clock: MovableClock
) -> None:
    started(manager, user="s1")
    done = started(manager, user="s2")
    manager.send_message(done, "Let me clarify the requirements and assume a read-heavy load.")
    manager.end_session(done)
    manager.create_session(SessionConfig(), user_id="s3")
    stats = container.data_store().session_stats(since=clock() - timedelta(days=7))
    assert stats.by_status[SessionStatus.ACTIVE] == 1
    assert stats.by_status[SessionStatus.COMPLETED] == 1
    assert stats.by_status[SessionStatus.CREATED] == 1
    assert sum(n for _, n in stats.per_day) == 3
    assert stats.scored_sessions == 1 and sum(stats.score_histogram) == 1
    assert stats.evaluations_by_status[EvaluationStatus.READY] == 1

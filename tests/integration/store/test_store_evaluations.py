"""Evaluations: claim, finish and fail by compare-and-set on (status, attempts)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, delete

from interview_orchestrator.errors import (
    EvaluationError,
    InvalidInputError,
    InvalidStateTransitionError,
)
from interview_orchestrator.models import DimensionScore, EvaluationReport, EvaluationStatus
from interview_orchestrator.ports import EvaluationOutcome
from interview_orchestrator.store import SqlAlchemyDataStore
from interview_orchestrator.store.schema import EVALUATIONS

if TYPE_CHECKING:
    from conftest import Driver

STALE = timedelta(minutes=10)


def outcome(
    score: float | None = 72.5,
    status: EvaluationStatus = EvaluationStatus.READY,
) -> EvaluationOutcome:
    return EvaluationOutcome(
        status=status,
        overall_score=score,
        coverage=0.8,
        dimension_scores={
            "requirements": DimensionScore("requirements", 4, (2, 4), "asked about scale"),
            "scalability": DimensionScore("scalability", None, (), "not discussed"),
            "api_design": DimensionScore("api_design", 3, (6,), "REST endpoints"),
        },
        strengths=("clarifies requirements", "names trade-offs"),
        improvements=("capacity estimates",),
        summary="Solid, with gaps in scaling.",
        provider="offline",
        model=None,
        template="system_design",
        rubric_version="2026.1",
        provenance={"questions": ["q1", "q2"], "seed": 7},
    )


def claim(
    store: SqlAlchemyDataStore,
    session_id: str,
    driver: Driver,
    *,
    minutes: float = 60,
    force: bool = False,
) -> EvaluationReport | None:
    now = driver.t0 + timedelta(minutes=minutes)
    return store.claim_evaluation(session_id, force=force, now=now, lease=STALE)


def test_claim_marks_running_and_a_second_claim_gets_none(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.completed()
    first = claim(store, session.id, driver)
    assert first is not None
    assert first.status is EvaluationStatus.RUNNING
    assert first.attempts == 1
    assert claim(store, session.id, driver, minutes=61) is None
    assert store.get_evaluation(session.id) == first


def test_finish_stores_the_outcome_and_the_session_score(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.completed()
    claimed = claim(store, session.id, driver)
    assert claimed is not None
    done_at = driver.t0 + timedelta(minutes=61)
    report = store.finish_evaluation(session.id, outcome(), attempt=1, now=done_at)
    assert report.status is EvaluationStatus.READY
    assert report.overall_score == 72.5
    assert list(report.dimension_scores) == ["requirements", "scalability", "api_design"]
    assert report.dimension_scores["requirements"] == DimensionScore(
        "requirements", 4, (2, 4), "asked about scale"
    )
    assert report.dimension_scores["scalability"].score is None
    assert report.strengths == ("clarifies requirements", "names trade-offs")
    assert report.provenance == {"questions": ["q1", "q2"], "seed": 7}
    assert report.completed_at == done_at
    assert report.rubric_version == "2026.1"
    assert report.attempts == 1
    assert store.get_evaluation(session.id) == report
    assert store.get_session(session.id).overall_score == 72.5


def test_no_evidence_outcome_has_no_score(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.completed()
    claim(store, session.id, driver)
    report = store.finish_evaluation(
        session.id, outcome(None, EvaluationStatus.NO_EVIDENCE), attempt=1, now=driver.t0
    )
    assert report.status is EvaluationStatus.NO_EVIDENCE
    assert report.overall_score is None
    assert store.get_session(session.id).overall_score is None


def test_finish_with_a_stale_attempt_is_refused(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.completed()
    claim(store, session.id, driver)
    before = store.get_evaluation(session.id)
    with pytest.raises(EvaluationError, match="attempt 2"):
        store.finish_evaluation(session.id, outcome(), attempt=2, now=driver.t0)
    assert store.get_evaluation(session.id) == before
    assert store.get_session(session.id).overall_score is None


def test_finish_refuses_an_unfinished_status(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.completed()
    claim(store, session.id, driver)
    with pytest.raises(InvalidInputError):
        store.finish_evaluation(
            session.id, outcome(status=EvaluationStatus.RUNNING), attempt=1, now=driver.t0
        )


def test_ready_is_not_reclaimed_without_force(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.completed()
    claim(store, session.id, driver)
    ready = store.finish_evaluation(session.id, outcome(), attempt=1, now=driver.t0)
    assert claim(store, session.id, driver, minutes=600) is None
    assert store.get_evaluation(session.id) == ready
    forced = claim(store, session.id, driver, minutes=600, force=True)
    assert forced is not None
    assert forced.status is EvaluationStatus.RUNNING
    assert forced.attempts == 2


def test_failed_is_recorded_and_reclaimable(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.completed()
    claim(store, session.id, driver)
    failed = store.fail_evaluation(
        session.id, error="provider timed out", attempt=1, now=driver.t0 + timedelta(minutes=62)
    )
    assert failed.status is EvaluationStatus.FAILED
    assert failed.error == "provider timed out"
    again = claim(store, session.id, driver, minutes=63)
    assert again is not None
    assert again.attempts == 2
    assert again.error is None
    with pytest.raises(EvaluationError):
        store.fail_evaluation(session.id, error="late failure", attempt=1, now=driver.t0)
    assert store.get_evaluation(session.id) == again


def test_stale_running_is_reclaimable_and_the_old_runner_loses(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.completed()
    claim(store, session.id, driver, minutes=60)
    assert claim(store, session.id, driver, minutes=60 + 9) is None
    taken = claim(store, session.id, driver, minutes=60 + 10)
    assert taken is not None
    assert taken.attempts == 2
    with pytest.raises(EvaluationError):
        store.finish_evaluation(session.id, outcome(), attempt=1, now=driver.t0)
    report = store.finish_evaluation(session.id, outcome(), attempt=2, now=driver.t0)
    assert report.status is EvaluationStatus.READY


def test_claim_inserts_a_missing_evaluation(
    store: SqlAlchemyDataStore, driver: Driver, engine: Engine
) -> None:
    session = driver.completed()
    with engine.begin() as conn:
        conn.execute(delete(EVALUATIONS).where(EVALUATIONS.c.session_id == session.id))
    assert store.get_evaluation(session.id) is None
    claimed = claim(store, session.id, driver)
    assert claimed is not None
    assert claimed.status is EvaluationStatus.RUNNING
    assert claimed.attempts == 1


def test_claim_of_a_session_not_completed_is_refused(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    with pytest.raises(InvalidStateTransitionError) as refused:
        claim(store, session.id, driver)
    assert refused.value.operation == "evaluate"
    assert refused.value.status == "active"
    assert store.get_evaluation(session.id) is None


def test_racing_claims_have_one_winner(
    store: SqlAlchemyDataStore, driver: Driver, engine: Engine
) -> None:
    for round_ in range(4):
        session = driver.completed(user_id=f"eval-{round_}")
        if round_ % 2:  # also race the insert of a missing row
            with engine.begin() as conn:
                conn.execute(delete(EVALUATIONS).where(EVALUATIONS.c.session_id == session.id))
        barrier = threading.Barrier(4)
        results: list[EvaluationReport | None] = []

        def run(
            session_id: str = session.id,
            gate: threading.Barrier = barrier,
            sink: list[EvaluationReport | None] = results,
        ) -> None:
            gate.wait()
            sink.append(claim(store, session_id, driver))

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 4
        assert len([r for r in results if r is not None]) == 1
        stored = store.get_evaluation(session.id)
        assert stored is not None
        assert stored.attempts == 1


# ---------------------------------------------------------------- workers' claims and leases


def test_a_worker_claims_the_oldest_pending_evaluation_with_a_lease(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    first, second = driver.completed(user_id="a"), driver.completed(user_id="b")
    now = driver.t0 + timedelta(hours=1)
    claimed = store.claim_next_evaluation(now=now, lease=STALE, worker="w-1")
    assert claimed is not None and claimed.session_id in (first.id, second.id)
    assert claimed.status is EvaluationStatus.RUNNING and claimed.attempts == 1
    other = store.claim_next_evaluation(now=now, lease=STALE, worker="w-2")
    assert other is not None and other.session_id != claimed.session_id
    assert store.claim_next_evaluation(now=now, lease=STALE, worker="w-3") is None


def test_a_worker_does_not_pick_up_a_failed_evaluation(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.completed()
    claimed = claim(store, session.id, driver)
    assert claimed is not None
    store.fail_evaluation(session.id, error="provider down", attempt=1, now=driver.t0)
    now = driver.t0 + timedelta(hours=2)
    assert store.claim_next_evaluation(now=now, lease=STALE, worker="w") is None


def test_a_worker_takes_over_an_evaluation_whose_lease_expired(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.completed()
    claim(store, session.id, driver, minutes=60)
    before_expiry = driver.t0 + timedelta(minutes=69)
    assert store.claim_next_evaluation(now=before_expiry, lease=STALE, worker="w") is None
    taken = store.claim_next_evaluation(
        now=driver.t0 + timedelta(minutes=70), lease=STALE, worker="w"
    )
    assert taken is not None and taken.attempts == 2


def test_a_renewed_lease_is_not_taken_over(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.completed()
    claim(store, session.id, driver, minutes=60)
    assert store.renew_evaluation(session.id, attempt=1, until=driver.t0 + timedelta(minutes=80))
    at_75 = driver.t0 + timedelta(minutes=75)
    assert store.claim_next_evaluation(now=at_75, lease=STALE, worker="w") is None
    assert not store.renew_evaluation(session.id, attempt=2, until=at_75)


def test_a_released_evaluation_is_pending_again_for_another_worker(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.completed()
    claim(store, session.id, driver, minutes=60)
    assert store.release_evaluation(session.id, attempt=1, now=driver.t0 + timedelta(minutes=61))
    report = store.get_evaluation(session.id)
    assert report is not None and report.status is EvaluationStatus.PENDING
    again = store.claim_next_evaluation(
        now=driver.t0 + timedelta(minutes=62), lease=STALE, worker="w-2"
    )
    assert again is not None and again.attempts == 2
    assert not store.release_evaluation(session.id, attempt=1, now=driver.t0)


def test_each_step_of_an_evaluation_is_logged_as_an_event(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.completed()
    claim(store, session.id, driver)
    store.finish_evaluation(session.id, outcome(), attempt=1, now=driver.t0)
    updates = [
        (e.data["status"], e.data["overall_score"])
        for e in store.events(session.id)
        if e.type.value == "evaluation.updated"
    ]
    assert updates == [("pending", None), ("running", None), ("ready", 72.5)]

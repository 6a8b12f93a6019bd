"""EvaluationService on a mocked store: one claim per run, the evidence it keeps, the failure it
stores, the fallback evaluator and the refusal that names the runner holding the lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest
from pytest_mock import MockerFixture

from interview_orchestrator.catalog import YamlTemplateCatalog
from interview_orchestrator.errors import (
    EvaluationError,
    EvaluationInProgressError,
    ProviderError,
)
from interview_orchestrator.evaluation.service import EvaluationService
from interview_orchestrator.log_events import LogEvent
from interview_orchestrator.logging import build_logger
from interview_orchestrator.models import (
    CommunicationMode,
    DimensionScore,
    EvaluationReport,
    EvaluationStatus,
    Message,
    Role,
    Session,
    SessionConfig,
    SessionStatus,
)
from interview_orchestrator.ports import (
    DataStore,
    EvaluationDraft,
    EvaluationLease,
    EvaluationOutcome,
    EvaluationRequest,
)
from interview_orchestrator.testing.pytest_plugin import capturing_logger

NOW: Final = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SID: Final = "3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d"
CATALOG: Final = YamlTemplateCatalog()


def ended_session(provider: str = "offline", fallback: str | None = None) -> Session:
    return Session(
        id=SID,
        user_id="cand-9",
        status=SessionStatus.COMPLETED,
        config=SessionConfig(ai_provider=provider, fallback_provider=fallback),
        created_at=NOW - timedelta(minutes=50),
    )


TRANSCRIPT: Final = (
    Message(SID, 1, Role.INTERVIEWER, CommunicationMode.TEXT, "How would you shard it?", NOW),
    Message(SID, 2, Role.CANDIDATE, CommunicationMode.TEXT, "By user id, with a cache.", NOW),
)


class Evaluator:
    """An evaluator that answers ``draft`` (or raises ``error``) and keeps what it was asked."""

    def __init__(self, draft: EvaluationDraft | None = None, error: Exception | None = None):
        self.draft, self.error = draft, error
        self.requests: list[EvaluationRequest] = []

    def evaluate(self, request: EvaluationRequest) -> EvaluationDraft:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        assert self.draft is not None
        return self.draft


def draft_citing(*seqs: int) -> EvaluationDraft:
    """Every dimension of the template scored 4, citing ``seqs``."""
    template = CATALOG.get(SessionConfig().template)
    return EvaluationDraft(
        dimension_scores={
            dim.id: DimensionScore(dim.id, 4, tuple(seqs), "reasoned")
            for dim in template.rubric.dimensions
        },
        strengths=("clear",),
        improvements=(),
        summary="A fair answer.",
        model="scripted",
    )


@pytest.fixture
def store(mocker: MockerFixture) -> Any:
    """A store whose claim succeeds (attempt 1) and that stores what it is given."""
    mock = mocker.create_autospec(DataStore, instance=True, spec_set=True)
    mock.claim_evaluation.return_value = EvaluationReport(SID, EvaluationStatus.RUNNING, attempts=1)
    mock.read_for_evaluation.return_value = (ended_session(), list(TRANSCRIPT), [])

    def finish(session_id: str, outcome: EvaluationOutcome, **_: Any) -> EvaluationReport:
        return EvaluationReport(
            session_id,
            outcome.status,
            overall_score=outcome.overall_score,
            provider=outcome.provider,
        )

    mock.finish_evaluation.side_effect = finish
    return mock


def service_on(store: Any, logger: Any = None, **evaluators: Evaluator) -> EvaluationService:
    return EvaluationService(
        store,
        evaluators,
        CATALOG,
        clock=lambda: NOW,
        lease=timedelta(seconds=30),
        logger=logger or build_logger(enabled=False),
    )


def stored_outcome(store: Any) -> EvaluationOutcome:
    outcome: EvaluationOutcome = store.finish_evaluation.call_args.args[1]
    return outcome


def test_an_evaluation_is_claimed_scored_and_stored_by_the_attempt_that_claimed_it(
    store: Any,
) -> None:
    report = service_on(store, offline=Evaluator(draft_citing(2))).generate_evaluation(SID)
    assert report.status is EvaluationStatus.READY and report.overall_score is not None
    assert store.claim_evaluation.call_args.kwargs["lease"] == timedelta(seconds=30)
    assert store.finish_evaluation.call_args.kwargs["attempt"] == 1
    assert stored_outcome(store).provenance["provider"] == "offline"


def test_evidence_that_is_not_the_candidates_is_dropped_and_leaves_no_score(store: Any) -> None:
    service_on(store, offline=Evaluator(draft_citing(1, 9))).generate_evaluation(SID)
    outcome = stored_outcome(store)
    assert outcome.status is EvaluationStatus.NO_EVIDENCE and outcome.overall_score is None
    assert all(score.evidence == () for score in outcome.dimension_scores.values())


def test_a_finished_evaluation_is_returned_without_running_the_evaluator(store: Any) -> None:
    ready = EvaluationReport(SID, EvaluationStatus.READY, overall_score=70.0)
    store.claim_evaluation.return_value = None
    store.get_evaluation.return_value = ready
    evaluator = Evaluator(draft_citing(2))
    assert service_on(store, offline=evaluator).generate_evaluation(SID) is ready
    assert evaluator.requests == []


def test_an_evaluation_held_by_another_runner_is_refused_naming_it_and_its_lease(
    store: Any,
) -> None:
    store.claim_evaluation.return_value = None
    store.get_evaluation.return_value = EvaluationReport(SID, EvaluationStatus.RUNNING)
    store.evaluation_lease.return_value = EvaluationLease(
        "worker-host:41:ab12cd", NOW + timedelta(seconds=25)
    )
    with pytest.raises(EvaluationInProgressError) as refused:
        service_on(store, offline=Evaluator(draft_citing(2))).generate_evaluation(SID)
    assert "runner 'worker-host:41:ab12cd'" in str(refused.value)
    assert "2026-11-21T10:00:25Z (in 25 s)" in str(refused.value)


def test_a_failing_evaluator_is_stored_as_failed_and_reported_as_retriable(store: Any) -> None:
    broken = Evaluator(error=RuntimeError("rubric blew up"))
    with pytest.raises(EvaluationError, match="retry_evaluation"):
        service_on(store, offline=broken).generate_evaluation(SID)
    store.fail_evaluation.assert_called_once_with(
        SID, error="RuntimeError: rubric blew up", attempt=1, now=NOW
    )
    store.finish_evaluation.assert_not_called()


def test_a_provider_without_an_evaluator_is_stored_as_failed(store: Any) -> None:
    with pytest.raises(EvaluationError, match="no evaluator is configured"):
        service_on(store).generate_evaluation(SID)
    assert "no evaluator" in store.fail_evaluation.call_args.kwargs["error"]


def test_the_fallback_evaluator_scores_when_the_primary_fails_and_the_switch_is_logged(
    store: Any,
) -> None:
    session = ended_session("openai", fallback="offline")
    store.read_for_evaluation.return_value = (session, list(TRANSCRIPT), [])
    lines: list[dict[str, Any]] = []
    service = service_on(
        store,
        capturing_logger(lines),
        openai=Evaluator(error=ProviderError("the AI provider timed out")),
        offline=Evaluator(draft_citing(2)),
    )
    report = service.generate_evaluation(SID)
    assert report.provider == "offline"
    assert stored_outcome(store).provenance["fallback_from"] == "openai"
    (line,) = [line for line in lines if line["message"] == LogEvent.EVALUATOR_FALLBACK]
    assert line["level"] == "warning" and line["session_id"] == SID
    assert (line["metadata"]["from"], line["metadata"]["to"]) == ("openai", "offline")

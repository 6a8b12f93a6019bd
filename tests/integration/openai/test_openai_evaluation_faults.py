"""Evaluations on the openai provider over HTTP: invalid answers are retried then stored as
FAILED (with the reason, never a score), bad evidence is re-asked once, and a READY report is
not regenerated unless forced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.planted import PLANTED_MESSAGE

from interview_orchestrator import (
    EvaluationError,
    EvaluationStatus,
    SessionConfig,
    SessionManager,
)
from interview_orchestrator.testing import (
    RecordedRequest,
    ScriptedOpenAIServer,
    ScriptedResponse,
    completion,
    evaluation,
    malformed_body,
    plausible_responder,
    truncated,
)

DIMENSIONS = (
    "requirements_scoping",
    "high_level_design",
    "data_model_apis",
    "deep_dive",
    "scalability_reliability",
    "trade_offs",
    "communication",
)


def interviewer_only(request: RecordedRequest) -> ScriptedResponse | None:
    """Interviewer turns answered plausibly; evaluations only from the queue."""
    return plausible_responder(request) if request.schema_name == "interviewer_turn" else None


def scores(score: int | None = 4, evidence: tuple[int, ...] = (2, 4), **overrides: Any) -> Any:
    chosen = {d: (score, evidence) for d in DIMENSIONS}
    chosen.update(overrides)
    return completion(evaluation(chosen))


@pytest.fixture
def completed(
    manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    openai_config: Callable[..., SessionConfig],
) -> Callable[..., str]:
    """Runs an interview of two candidate answers (seqs 2 and 4; the interviewer's are 1, 3
    and 5), then ends it while the queue holds ``evaluation_responses``; returns its id."""

    def run(*evaluation_responses: ScriptedResponse, expect_failure: bool = False) -> str:
        scripted_openai_server.handler = interviewer_only
        session = manager.create_session(openai_config())
        manager.start_session(session.id)
        manager.send_message(session.id, PLANTED_MESSAGE)
        manager.send_message(session.id, "A load balancer, API servers, a cache and a database.")
        scripted_openai_server.clear_requests()
        scripted_openai_server.enqueue(*evaluation_responses)
        if expect_failure:
            with pytest.raises(EvaluationError, match="stored as failed"):
                manager.end_session(session.id)
        else:
            manager.end_session(session.id)
        return session.id

    return run


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (completion("{this is not json"), "not valid JSON"),
        (completion({"dimensions": {}, "summary": "?"}), "dimensions missing"),
        (scores(7), "does not match the schema"),
        (truncated('{"dimensions": {"requirements_scoping": {"score": 4'), "cut off"),
        (malformed_body(), "not a chat completion"),
    ],
    ids=["bad-json", "missing-dimensions", "score-out-of-range", "truncated", "malformed-body"],
)
def test_an_invalid_answer_is_retried_then_stored_as_failed_with_no_score(
    manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    completed: Callable[..., str],
    bad: ScriptedResponse,
    reason: str,
) -> None:
    session_id = completed(bad, bad, expect_failure=True)
    report = manager.get_evaluation(session_id)
    assert report is not None and report.status is EvaluationStatus.FAILED
    assert reason in (report.error or "") and "2 attempt(s)" in (report.error or "")
    assert report.overall_score is None and report.dimension_scores == {}
    assert manager.get_session(session_id).overall_score is None
    assert len(scripted_openai_server.chat_requests) == 2


def test_a_failed_evaluation_is_regenerated_by_retry_evaluation(
    manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    completed: Callable[..., str],
) -> None:
    session_id = completed(truncated(), truncated(), expect_failure=True)
    scripted_openai_server.enqueue(scores(4))
    report = manager.retry_evaluation(session_id)
    assert report.status is EvaluationStatus.READY and report.overall_score == 75.0
    assert report.attempts == 2 and report.error is None


def test_an_invalid_answer_followed_by_a_valid_one_is_ready(
    manager: SessionManager, completed: Callable[..., str]
) -> None:
    session_id = completed(completion("not json"), scores(4))
    report = manager.get_evaluation(session_id)
    assert report is not None and report.status is EvaluationStatus.READY
    assert report.provenance["requests"] == 2


def test_evidence_that_does_not_exist_is_re_asked_once_and_corrected(
    manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    completed: Callable[..., str],
) -> None:
    session_id = completed(scores(4, deep_dive=(5, (99,))), scores(4, deep_dive=(2, (4,))))
    report = manager.get_evaluation(session_id)
    assert report is not None
    assert report.dimension_scores["deep_dive"].score == 2
    assert report.dimension_scores["deep_dive"].evidence == (4,)
    reask = scripted_openai_server.chat_requests[1]
    assert "#99 does not exist" in reask.messages[-1]["content"]
    assert report.provenance["reasked_dimensions"] == ["deep_dive"]


def test_a_score_citing_a_real_and_a_missing_message_keeps_the_real_one(
    manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    completed: Callable[..., str],
) -> None:
    session_id = completed(scores(4, deep_dive=(5, (2, 99))))
    report = manager.get_evaluation(session_id)
    assert report is not None and report.status is EvaluationStatus.READY
    deep_dive = report.dimension_scores["deep_dive"]
    assert (deep_dive.score, deep_dive.evidence) == (5, (2,))
    assert report.provenance["dropped_citations"] == {"deep_dive": [99]}
    assert report.provenance["reasked_dimensions"] == []
    assert len(scripted_openai_server.chat_requests) == 1


def test_evidence_that_still_fails_after_the_re_ask_is_insufficient_evidence(
    manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    completed: Callable[..., str],
) -> None:
    cites_the_interviewer = scores(4, deep_dive=(5, (3,)))
    session_id = completed(cites_the_interviewer, cites_the_interviewer)
    report = manager.get_evaluation(session_id)
    assert report is not None and report.status is EvaluationStatus.READY
    deep_dive = report.dimension_scores["deep_dive"]
    assert deep_dive.score is None and deep_dive.evidence == ()
    assert "not the candidate's message" in deep_dive.rationale
    assert report.coverage is not None and report.coverage < 1.0
    assert len(scripted_openai_server.chat_requests) == 2  # asked once, re-asked once


def test_retrying_a_ready_evaluation_makes_no_request_unless_forced(
    manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    completed: Callable[..., str],
) -> None:
    session_id = completed(scores(4))
    first = manager.get_evaluation(session_id)
    scripted_openai_server.clear_requests()

    again = manager.retry_evaluation(session_id)
    assert again == first and scripted_openai_server.chat_requests == []

    scripted_openai_server.enqueue(scores(5))
    forced = manager.retry_evaluation(session_id, force=True)
    assert len(scripted_openai_server.chat_requests) == 1
    assert forced.overall_score == 100.0 and forced.attempts == 2

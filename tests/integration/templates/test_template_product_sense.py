"""The built-in product sense template (a grocery delivery app for older adults): it loads, a
whole interview runs on it offline and through the openai provider on each database, and its
rubric ranks the planted candidates by their quality."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from bench.candidates.product_sense import PLANTED

from interview_orchestrator import (
    CommunicationMode,
    Container,
    EvaluationReport,
    EvaluationStatus,
    SessionConfig,
    SessionManager,
    SessionStatus,
)
from interview_orchestrator.catalog.yaml_catalog import YamlTemplateCatalog
from interview_orchestrator.testing import ScriptedOpenAIServer, plausible_responder

TEMPLATE = "product_sense"
DIMENSIONS = {
    "user_empathy",
    "problem_framing",
    "solution_creativity",
    "prioritisation",
    "metrics",
    "communication",
}


def run_interview(
    manager: SessionManager, answers: Sequence[str], *, provider: str = "offline"
) -> tuple[str, EvaluationReport]:
    config = SessionConfig(
        template=TEMPLATE,
        ai_provider=provider,
        enabled_modes=[CommunicationMode.TEXT],
        duration_minutes=45,
    )
    session = manager.create_session(config)
    manager.start_session(session.id)
    for answer in answers:
        manager.send_message(session.id, answer)
    return session.id, manager.end_session(session.id)


def test_the_template_loads_with_its_phases_and_rubric() -> None:
    template = YamlTemplateCatalog().get(TEMPLATE)
    assert template.name == TEMPLATE
    assert [p.id for p in template.phases] == [
        "users_segments",
        "problem_framing",
        "solutions_prioritisation",
        "metrics",
        "wrap_up",
    ]
    assert {d.id for d in template.rubric.dimensions} == DIMENSIONS
    assert sum(p.share for p in template.phases) == pytest.approx(1.0)
    assert sum(d.weight for d in template.rubric.dimensions) == pytest.approx(1.0)
    assert TEMPLATE in YamlTemplateCatalog().names()


def test_an_offline_interview_scores_every_dimension(manager: SessionManager) -> None:
    session_id, report = run_interview(manager, PLANTED["strong"])

    transcript = manager.get_transcript(session_id)
    assert transcript[0].content.startswith("Hi, and thanks for joining!")
    assert "older adults" in transcript[0].content
    assert manager.get_session(session_id).status is SessionStatus.COMPLETED
    assert report.status is EvaluationStatus.READY
    assert report.template == TEMPLATE
    assert set(report.dimension_scores) == DIMENSIONS
    assert all(score.score is not None for score in report.dimension_scores.values())
    assert report.coverage == 1.0


def test_the_offline_evaluator_ranks_strong_above_average_above_weak(
    manager: SessionManager,
) -> None:
    overall = {
        name: run_interview(manager, answers)[1].overall_score for name, answers in PLANTED.items()
    }
    strong, average, weak = overall["strong"], overall["average"], overall["weak"]
    assert strong is not None and average is not None and weak is not None, overall
    assert strong > average > weak, overall


@pytest.fixture
def openai_manager(
    container: Container, scripted_openai_server: ScriptedOpenAIServer
) -> SessionManager:
    """The production container on the test database, its openai provider pointed at the
    scripted server (which answers every request plausibly)."""
    scripted_openai_server.connect(container, timeout=5.0, max_retries=0)
    scripted_openai_server.handler = plausible_responder
    built: SessionManager = container.session_manager()
    return built


def test_an_interview_through_the_openai_provider_is_scored_on_the_template_rubric(
    openai_manager: SessionManager, scripted_openai_server: ScriptedOpenAIServer
) -> None:
    _, report = run_interview(openai_manager, PLANTED["average"][:4], provider="openai")

    assert report.status is EvaluationStatus.READY
    assert report.provider == "openai"
    assert set(report.dimension_scores) == DIMENSIONS
    assert {score.score for score in report.dimension_scores.values()} == {3}
    first_request = scripted_openai_server.chat_requests[0]
    assert "senior product manager" in first_request.text
    evaluation_request = scripted_openai_server.chat_requests[-1]
    assert evaluation_request.schema_name == "evaluation"
    assert "Product sense: a grocery delivery app for older adults" in evaluation_request.text

"""The built-in product sense template (a grocery delivery app for older adults): it loads, a
whole interview runs on it offline and through the openai provider on each database, and its
rubric ranks the planted candidates by their quality."""

from __future__ import annotations

import pytest
from bench.candidates.product_sense import PLANTED
from tests.integration.templates.interviews import (
    overall_scores,
    run_interview,
    scripted_openai_manager,
)

from interview_orchestrator import (
    Container,
    EvaluationStatus,
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
    session_id, report = run_interview(manager, TEMPLATE, PLANTED["strong"])

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
    overall = overall_scores(manager, TEMPLATE, PLANTED)
    strong, average, weak = overall["strong"], overall["average"], overall["weak"]
    assert strong is not None and average is not None and weak is not None, overall
    assert strong > average > weak, overall


@pytest.fixture
def openai_manager(
    container: Container, scripted_openai_server: ScriptedOpenAIServer
) -> SessionManager:
    """The production container on the test database, its openai provider pointed at the
    scripted server (which answers every request plausibly)."""
    return scripted_openai_manager(container, scripted_openai_server, plausible_responder)


def test_an_interview_through_the_openai_provider_is_scored_on_the_template_rubric(
    openai_manager: SessionManager, scripted_openai_server: ScriptedOpenAIServer
) -> None:
    _, report = run_interview(openai_manager, TEMPLATE, PLANTED["average"][:4], provider="openai")

    assert report.status is EvaluationStatus.READY
    assert report.provider == "openai"
    assert set(report.dimension_scores) == DIMENSIONS
    assert {score.score for score in report.dimension_scores.values()} == {3}
    first_request = scripted_openai_server.chat_requests[0]
    assert "senior product manager" in first_request.text
    evaluation_request = scripted_openai_server.chat_requests[-1]
    assert evaluation_request.schema_name == "evaluation"
    assert "Product sense: a grocery delivery app for older adults" in evaluation_request.text

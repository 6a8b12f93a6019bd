"""The built-in ``ml_system_design`` template (ranking a social feed): it loads, runs whole
interviews on both databases with the offline and the openai provider, and its rubric orders
the planted strong, average and weak candidates."""

from __future__ import annotations

import pytest
from bench.candidates.ml_system_design import PLANTED
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
from interview_orchestrator.catalog import YamlTemplateCatalog
from interview_orchestrator.catalog.yaml_catalog import (
    builtin_templates_directory,
    load_template_file,
)
from interview_orchestrator.testing import ScriptedOpenAIServer, plausible_responder

TEMPLATE = "ml_system_design"
DIMENSIONS = {
    "problem_framing",
    "data",
    "features",
    "modeling",
    "evaluation",
    "serving_infrastructure",
    "monitoring_iteration",
    "communication",
}
RESUME = {"skills": ["pytorch", "spark"], "years_experience": 6, "current_role": "ml engineer"}


def test_the_template_file_loads_and_validates() -> None:
    source = builtin_templates_directory().joinpath(f"{TEMPLATE}.yaml")
    template = load_template_file(source, expected_name=TEMPLATE)

    assert TEMPLATE in YamlTemplateCatalog().names()
    assert [p.id for p in template.phases] == [
        "problem_framing",
        "data",
        "features",
        "model_choice",
        "evaluation",
        "serving",
        "monitoring",
        "wrap_up",
    ]
    assert {d.id for d in template.rubric.dimensions} == DIMENSIONS
    assert all(q.follow_ups for p in template.phases for q in p.questions)


def test_the_planted_candidates_answer_every_main_question_in_order() -> None:
    template = YamlTemplateCatalog().get(TEMPLATE)
    questions = [q for p in template.phases for q in p.questions]
    assert {name: len(answers) for name, answers in PLANTED.items()} == {
        "strong": len(questions),
        "average": len(questions),
        "weak": len(questions),
    }


def test_a_whole_offline_interview_ends_with_every_dimension_scored(
    manager: SessionManager,
) -> None:
    _, report = run_interview(manager, TEMPLATE, PLANTED["strong"], resume_data=RESUME)

    assert manager.get_session(report.session_id).status is SessionStatus.COMPLETED
    assert report.status is EvaluationStatus.READY
    assert set(report.dimension_scores) == DIMENSIONS
    assert all(s.score is not None for s in report.dimension_scores.values())
    assert report.coverage == 1.0
    transcript = manager.get_transcript(report.session_id)
    assert transcript[0].content.startswith("Hi, and thanks for joining!")
    assert "home feed" in transcript[0].content


def test_the_offline_evaluator_orders_strong_above_average_above_weak(
    manager: SessionManager,
) -> None:
    scores = overall_scores(manager, TEMPLATE, PLANTED, resume_data=RESUME)
    strong, average, weak = (scores[n] for n in ("strong", "average", "weak"))

    assert strong is not None and average is not None and weak is not None
    assert strong > average > weak


@pytest.fixture
def openai_manager(
    container: Container, scripted_openai_server: ScriptedOpenAIServer
) -> SessionManager:
    """The production container on the test database with its openai provider pointed at the
    scripted server, which answers every turn and the evaluation plausibly."""
    return scripted_openai_manager(container, scripted_openai_server, plausible_responder)


def test_an_openai_interview_is_evaluated_on_the_templates_dimensions(
    openai_manager: SessionManager, scripted_openai_server: ScriptedOpenAIServer
) -> None:
    _, report = run_interview(
        openai_manager, TEMPLATE, PLANTED["average"][:3], provider="openai", resume_data=RESUME
    )

    assert report.status is EvaluationStatus.READY and report.provider == "openai"
    assert set(report.dimension_scores) == DIMENSIONS
    assert all(s.score == 3 for s in report.dimension_scores.values())
    opening_request = scripted_openai_server.chat_requests[0]
    assert "ranking and recommendation" in opening_request.text  # the template's persona
    evaluation_request = scripted_openai_server.chat_requests[-1]
    assert evaluation_request.schema_name == "evaluation"
    schema = evaluation_request.json["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]["dimensions"]["properties"]) == DIMENSIONS

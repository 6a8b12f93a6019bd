"""The built-in behavioral template (ownership, conflict, failure and influence told as STAR
stories): it loads, a whole interview runs on it offline and through the openai provider on
each database, its follow-ups answer the candidate's own words, and its rubric ranks the
planted candidates by their quality."""

from __future__ import annotations

from itertools import pairwise

import pytest
from bench.candidates.behavioral import PLANTED
from tests.integration.templates.interviews import (
    overall_scores,
    run_interview,
    scripted_openai_manager,
)

from interview_orchestrator import (
    Container,
    EvaluationStatus,
    Role,
    SessionManager,
    SessionStatus,
)
from interview_orchestrator.catalog.yaml_catalog import YamlTemplateCatalog
from interview_orchestrator.interview_template import InterviewTemplate, comparable, mentions
from interview_orchestrator.testing import (
    RecordedRequest,
    ScriptedOpenAIServer,
    ScriptedResponse,
    completion,
    evaluation,
    plausible_responder,
)

TEMPLATE = "behavioral"
DIMENSIONS = {
    "star_structure",
    "ownership",
    "collaboration_conflict",
    "learning_from_failure",
    "influence",
    "communication",
}
#: The follow-ups the strong candidate's own words call for, in the order they are asked.
STRONG_FOLLOW_UPS = [
    "bg_own_part",
    "own_measured_result",
    "own_delay_communication",
    "conf_evidence",
    "conf_direct_conversation",
    "fail_first_hour",
    "fail_postmortem",
    "infl_proposal",
    "infl_objection",
    "wu_differently",
]


@pytest.fixture(scope="module")
def template() -> InterviewTemplate:
    return YamlTemplateCatalog().get(TEMPLATE)


def test_the_template_loads_with_its_phases_and_star_rubric(template: InterviewTemplate) -> None:
    assert template.name == TEMPLATE
    assert [p.id for p in template.phases] == [
        "background",
        "ownership",
        "collaboration_conflict",
        "failure_learning",
        "influence",
        "wrap_up",
    ]
    assert {d.id for d in template.rubric.dimensions} == DIMENSIONS
    assert sum(p.share for p in template.phases) == pytest.approx(1.0)
    assert sum(d.weight for d in template.rubric.dimensions) == pytest.approx(1.0)
    star = next(d for d in template.rubric.dimensions if d.id == "star_structure")
    assert {"situation", "my task", "as a result"} <= set(star.signals)
    assert TEMPLATE in YamlTemplateCatalog().names()


def test_an_offline_interview_opens_with_the_template_and_scores_every_dimension(
    manager: SessionManager, template: InterviewTemplate
) -> None:
    session_id, report = run_interview(manager, TEMPLATE, PLANTED["strong"])

    transcript = manager.get_transcript(session_id)
    assert transcript[0].role is Role.INTERVIEWER
    assert transcript[0].content == template.opening
    assert manager.get_session(session_id).status is SessionStatus.COMPLETED
    assert report.status is EvaluationStatus.READY
    assert report.template == TEMPLATE
    assert set(report.dimension_scores) == DIMENSIONS
    assert all(score.score is not None for score in report.dimension_scores.values())
    assert report.coverage == 1.0


def test_the_strong_candidates_words_trigger_the_follow_ups_that_probe_them(
    manager: SessionManager, template: InterviewTemplate
) -> None:
    session_id, _ = run_interview(manager, TEMPLATE, PLANTED["strong"])

    transcript = manager.get_transcript(session_id)
    follow_ups = {
        f.text: f for phase in template.phases for q in phase.questions for f in q.follow_ups
    }
    asked = []
    for before, message in pairwise(transcript):
        follow_up = follow_ups.get(message.content)
        if follow_up is None:
            continue
        asked.append(follow_up.id)
        answer = comparable(before.content)
        assert before.role is Role.CANDIDATE
        assert any(mentions(answer, trigger) for trigger in follow_up.triggers), follow_up.id
    assert asked == STRONG_FOLLOW_UPS
    main_questions = [q.text for phase in template.phases for q in phase.questions]
    said = " ".join(m.content for m in transcript if m.role is Role.INTERVIEWER)
    assert all(text in said for text in main_questions)


def test_the_offline_evaluator_ranks_strong_above_average_above_weak(
    manager: SessionManager,
) -> None:
    overall = overall_scores(manager, TEMPLATE, PLANTED)
    strong, average, weak = overall["strong"], overall["average"], overall["weak"]
    assert strong is not None and average is not None and weak is not None, overall
    assert strong > average > weak, overall


SCRIPTED_SCORES = {
    "star_structure": 5,
    "ownership": 4,
    "collaboration_conflict": 4,
    "learning_from_failure": 3,
    "influence": 3,
    "communication": 4,
}


def scripted_evaluator(request: RecordedRequest) -> ScriptedResponse | None:
    """Interviewer turns answered plausibly; the evaluation scores the behavioral rubric's
    dimensions, citing the candidate's first two messages (seqs 2 and 4)."""
    if request.schema_name == "evaluation":
        return completion(evaluation({d: (s, (2, 4)) for d, s in SCRIPTED_SCORES.items()}))
    return plausible_responder(request)


@pytest.fixture
def openai_manager(
    container: Container, scripted_openai_server: ScriptedOpenAIServer
) -> SessionManager:
    """The production container on the test database, its openai provider pointed at the
    scripted server."""
    return scripted_openai_manager(container, scripted_openai_server, scripted_evaluator)


def test_an_interview_through_the_openai_provider_uses_the_template_and_its_rubric(
    openai_manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    template: InterviewTemplate,
) -> None:
    _, report = run_interview(openai_manager, TEMPLATE, PLANTED["strong"][:3], provider="openai")

    opening_request = scripted_openai_server.chat_requests[0]
    system = opening_request.messages[0]
    assert system["role"] == "system"
    assert template.persona in system["content"]
    assert template.phases[0].questions[0].text in system["content"]
    assert template.opening in opening_request.text
    evaluation_request = scripted_openai_server.chat_requests[-1]
    assert evaluation_request.schema_name == "evaluation"
    assert "Structured, specific stories (STAR)" in evaluation_request.text
    assert report.status is EvaluationStatus.READY
    assert report.provider == "openai"
    scores = {d: s.score for d, s in report.dimension_scores.items()}
    assert scores == SCRIPTED_SCORES
    assert report.overall_score == pytest.approx(72.5)

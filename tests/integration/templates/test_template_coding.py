"""The built-in ``coding`` template: it loads, a whole interview with code on the whiteboard is
scored on its rubric offline, the offline evaluator ranks the planted candidates, and the
openai provider runs it against the scripted server. Each database in turn."""

from __future__ import annotations

from collections.abc import Sequence

from bench.candidates.coding import PLANTED, is_code
from tests.integration.templates.interviews import run_interview, scripted_openai_manager

from interview_orchestrator import (
    CommunicationMode,
    Container,
    EvaluationReport,
    EvaluationStatus,
    Role,
    SessionManager,
)
from interview_orchestrator.testing import ScriptedOpenAIServer, plausible_responder

TEMPLATE = "coding"
DIMENSIONS = {
    "problem_solving",
    "correctness_edge_cases",
    "complexity",
    "code_quality",
    "testing",
    "communication",
}
MODES = [CommunicationMode.TEXT, CommunicationMode.WHITEBOARD]
RESUME = {"skills": ["python"], "years_experience": 5}


def on_the_board_if_code(answer: str) -> CommunicationMode:
    """Code answers go on the whiteboard, prose in the chat."""
    return CommunicationMode.WHITEBOARD if is_code(answer) else CommunicationMode.TEXT


def interview(
    manager: SessionManager, answers: Sequence[str], *, provider: str = "offline"
) -> tuple[str, EvaluationReport]:
    """One whole interview: code answers on the whiteboard, prose in the chat."""
    return run_interview(
        manager,
        TEMPLATE,
        answers,
        provider=provider,
        modes=MODES,
        resume_data=RESUME,
        mode_of=on_the_board_if_code,
    )


def test_the_coding_template_loads_with_its_phases_and_rubric(container: Container) -> None:
    catalog = container.templates()
    template = catalog.get(TEMPLATE)
    assert TEMPLATE in catalog.names()
    assert template.name == TEMPLATE
    assert [p.id for p in template.phases] == ["clarify", "approach", "code", "test", "wrap_up"]
    assert {d.id for d in template.rubric.dimensions} == DIMENSIONS
    assert all(sorted(d.levels) == [1, 2, 3, 4, 5] for d in template.rubric.dimensions)


def test_a_whole_offline_interview_with_code_on_the_whiteboard_is_scored_on_every_dimension(
    manager: SessionManager,
) -> None:
    session_id, report = interview(manager, PLANTED["strong"])

    board = [
        m
        for m in manager.get_transcript(session_id)
        if m.role is Role.CANDIDATE and m.mode is CommunicationMode.WHITEBOARD
    ]
    assert [m.content for m in board] == [a for a in PLANTED["strong"] if is_code(a)]
    assert report.status is EvaluationStatus.READY
    assert set(report.dimension_scores) == DIMENSIONS
    assert all(score.score is not None for score in report.dimension_scores.values())
    # The code written on the whiteboard is evidence too, not only the prose.
    assert set(report.dimension_scores["code_quality"].evidence) & {m.seq for m in board}


def test_the_offline_evaluator_ranks_strong_above_average_above_weak(
    manager: SessionManager,
) -> None:
    scores = {name: interview(manager, PLANTED[name])[1].overall_score for name in PLANTED}
    strong, average, weak = scores["strong"], scores["average"], scores["weak"]
    assert strong is not None and average is not None and weak is not None
    assert strong > average > weak


def test_an_interview_on_the_openai_provider_is_scored_on_the_coding_rubric(
    container: Container, scripted_openai_server: ScriptedOpenAIServer
) -> None:
    manager = scripted_openai_manager(container, scripted_openai_server, plausible_responder)

    _, report = interview(manager, PLANTED["average"][:4], provider="openai")

    assert report.status is EvaluationStatus.READY and report.provider == "openai"
    assert set(report.dimension_scores) == DIMENSIONS
    assert all(score.score == 3 for score in report.dimension_scores.values())
    opening_request = scripted_openai_server.chat_requests[0]
    assert "merge overlapping intervals" in opening_request.text.lower()

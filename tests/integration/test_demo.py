"""The scripted interview of ``make demo`` on the real container, on both databases: the
candidate answers the question it was asked, and the interview is printed once."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from rich.console import Console

from interview_orchestrator import Container
from interview_orchestrator.demo import (
    DEMO_TEMPLATE,
    SCRIPTED_ANSWERS,
    DemoResult,
    asked_question_id,
    run_demo,
    scripted_answer,
)
from interview_orchestrator.interview_template import InterviewTemplate
from interview_orchestrator.interviewer.offline import CLOSING_ID_PREFIX, FINISHED_MESSAGE
from interview_orchestrator.models import EvaluationStatus, Role


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = Container.from_settings(database_url=database_url)
    yield built
    built.shutdown_resources()


@pytest.fixture
def template(container: Container) -> InterviewTemplate:
    found: InterviewTemplate = container.templates().get(DEMO_TEMPLATE)
    return found


@pytest.fixture
def demo(container: Container) -> tuple[DemoResult, str]:
    """One demo run and what it printed (wide enough that no message is wrapped)."""
    printed = io.StringIO()
    console = Console(file=printed, width=4000, color_system=None)
    result = run_demo(container.session_manager(), container.templates(), console)
    return result, printed.getvalue()


def test_every_candidate_answer_is_the_scripted_answer_to_the_question_just_asked(
    demo: tuple[DemoResult, str], template: InterviewTemplate
) -> None:
    transcript = demo[0].transcript
    answers = [i for i, m in enumerate(transcript) if m.role is Role.CANDIDATE]
    assert len(answers) >= 10
    for index in answers:
        question = transcript[index - 1]
        assert question.role is Role.INTERVIEWER
        question_id = asked_question_id(template, question.content)
        assert question_id is not None, question.content
        assert transcript[index].content == SCRIPTED_ANSWERS[question_id], question.content


def test_the_demo_answers_every_question_up_to_the_interviewers_last_word(
    demo: tuple[DemoResult, str],
) -> None:
    result = demo[0]
    assert result.transcript[-1].role is Role.INTERVIEWER
    assert result.transcript[-1].content == FINISHED_MESSAGE
    assert result.report.status is EvaluationStatus.READY


def test_each_message_is_printed_once(demo: tuple[DemoResult, str]) -> None:
    result, printed = demo
    for message in result.transcript:
        assert printed.count(message.content) == 1, message.content
    assert printed.count("Overall:") == 1


def test_a_question_after_a_phase_change_is_recognised(template: InterviewTemplate) -> None:
    question = template.phases[1].questions[0]
    said = f"Let's move on to the next part: {template.phases[1].title}. {question.text}"
    assert asked_question_id(template, said) == question.id


def test_a_question_outside_the_template_gets_no_scripted_answer(
    template: InterviewTemplate,
) -> None:
    assert scripted_answer(template, "Which shard key would you pick for the users table?") is None


def test_every_scripted_answer_belongs_to_a_question_of_the_template(
    template: InterviewTemplate,
) -> None:
    ids = {"opening"} | {f"{CLOSING_ID_PREFIX}{i}" for i in range(len(template.closing))}
    for phase in template.phases:
        for question in phase.questions:
            ids |= {question.id} | {follow_up.id for follow_up in question.follow_ups}
    assert set(SCRIPTED_ANSWERS) <= ids

"""OfflineInterviewer: phases, follow-ups, skills, the clock, determinism and its state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interview_orchestrator.catalog import YamlTemplateCatalog
from interview_orchestrator.catalog.yaml_catalog import builtin_templates_directory
from interview_orchestrator.errors import InvalidInputError
from interview_orchestrator.interview_template import InterviewTemplate
from interview_orchestrator.interviewer.offline import (
    FINISHED_MESSAGE,
    TIME_SHORT_TRANSITION,
    OfflineInterviewer,
)
from interview_orchestrator.models import Role, SessionConfig
from interview_orchestrator.ports import InterviewContext, InterviewerReply

from .scripted_interviews import NOW, SimulatedInterview, make_session, transcript

NEUTRAL_ANSWER = "I would think about that carefully and keep the design simple."


def spoken_texts(template: InterviewTemplate) -> dict[str, str]:
    """Every question, follow-up and closing line of the template, by its text."""
    texts = {line: f"closing:{n}" for n, line in enumerate(template.closing)}
    for phase in template.phases:
        for question in phase.questions:
            texts[question.text] = question.id
            texts.update({f.text: f.id for f in question.follow_ups})
    return texts


def asked_item(reply: InterviewerReply, template: InterviewTemplate) -> str | None:
    """The id of the template text the reply asks (after any transition), None if none."""
    matches = [i for text, i in spoken_texts(template).items() if reply.content.endswith(text)]
    assert len(matches) <= 1
    return matches[0] if matches else None


def reply_to(
    interviewer: OfflineInterviewer,
    answer: str,
    *,
    state: dict[str, Any],
    elapsed_fraction: float = 0.0,
    config: SessionConfig | None = None,
) -> InterviewerReply:
    session = make_session(config=config, state=state, elapsed_fraction=elapsed_fraction)
    messages = transcript((Role.INTERVIEWER, "previous question?"), (Role.CANDIDATE, answer))
    return interviewer.reply(InterviewContext(session, messages, NOW))


def state_after(*asked: str, phase: int = 0, skills: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"phase": phase, "turns_in_phase": 1, "asked": ["opening", *asked], "skills": [*skills]}


# --------------------------------------------------------------------------- configuration


def test_check_config_rejects_an_unknown_template(interviewer: OfflineInterviewer) -> None:
    config = SessionConfig(template="behavioural")
    with pytest.raises(InvalidInputError, match=r"available templates: .*system_design"):
        interviewer.check_config(config)


def test_check_config_accepts_the_builtin_template(interviewer: OfflineInterviewer) -> None:
    interviewer.check_config(SessionConfig(ai_provider="anything"))


def test_initial_state_keeps_only_the_resume_skills_some_question_prefers(
    interviewer: OfflineInterviewer,
) -> None:
    resume = {
        "name": "Ada Example",
        "email": "ada@example.org",
        "school": "Example University",
        "skills": ["Kafka", " Redis ", "COBOL", 7],
        "current_role": "Backend engineer",
    }
    config = SessionConfig(resume_data=resume)
    state = interviewer.initialize("s-1", resume, config=config)
    assert state == {"phase": 0, "turns_in_phase": 0, "asked": [], "skills": ["kafka", "redis"]}


def test_skills_outside_the_templates_resume_fields_are_not_read(tmp_path: Path) -> None:
    text = builtin_templates_directory().joinpath("system_design.yaml").read_text("utf-8")
    data = {**yaml.safe_load(text), "name": "no_skills", "resume_fields": ["current_role"]}
    (tmp_path / "no_skills.yaml").write_text(yaml.safe_dump(data), "utf-8")
    interviewer = OfflineInterviewer(YamlTemplateCatalog([tmp_path]))
    resume = {"skills": ["kafka"]}
    config = SessionConfig(template="no_skills", resume_data=resume)
    assert interviewer.initialize("s-1", resume, config=config)["skills"] == []


def test_opening_question_is_the_template_opening_recorded_as_asked(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    interview = SimulatedInterview(interviewer)
    reply = interview.start()
    assert reply.content == template.opening
    assert reply.state["asked"] == ["opening"]


# --------------------------------------------------------------------------- choosing questions


def test_first_reply_asks_the_first_requirements_question(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    interview = SimulatedInterview(interviewer)
    interview.start()
    reply = interview.answer(NEUTRAL_ANSWER)
    assert reply.content == template.phases[0].questions[0].text


def test_trigger_word_in_the_answer_yields_its_follow_up(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    answer = "Users should be able to pick a CUSTOM   ALIAS for their links."
    reply = reply_to(interviewer, answer, state=state_after("req_core_features"))
    assert asked_item(reply, template) == "req_custom_alias"
    assert "probed: custom alias" in reply.notes


def test_trigger_matches_a_plural(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    answer = "Two caches would sit in front of the servers."
    reply = reply_to(interviewer, answer, state=state_after("hld_components", phase=1))
    assert asked_item(reply, template) == "hld_cache_layer"


def test_trigger_inside_another_word_does_not_count(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    answer = "The bulb of the lamp flickered; nginxish is not a word."
    reply = reply_to(interviewer, answer, state=state_after("hld_components", phase=1))
    assert asked_item(reply, template) == "hld_key_generation"


def test_a_follow_up_is_asked_only_once(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    answer = "A custom alias again, and more about the custom alias."
    state = state_after("req_core_features", "req_custom_alias")
    reply = reply_to(interviewer, answer, state=state)
    assert asked_item(reply, template) == "req_scale_estimates"


def test_only_the_latest_candidate_message_triggers_follow_ups(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    session = make_session(state=state_after("req_core_features"))
    messages = transcript(
        (Role.CANDIDATE, "We need a custom alias."),
        (Role.INTERVIEWER, "Go on?"),
        (Role.CANDIDATE, NEUTRAL_ANSWER),
    )
    reply = interviewer.reply(InterviewContext(session, messages, NOW))
    assert asked_item(reply, template) == "req_scale_estimates"


def test_resume_skills_prefer_the_matching_question(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    resume = {"skills": ["Kafka"]}
    config = SessionConfig(resume_data=resume)
    skills = interviewer.initialize("s-1", resume, config=config)["skills"]
    state = {**state_after(phase=2, skills=tuple(skills)), "turns_in_phase": 0}
    with_kafka = reply_to(interviewer, NEUTRAL_ANSWER, state=state, elapsed_fraction=0.5)
    assert asked_item(with_kafka, template) == "dd_click_analytics"


def test_without_matching_skills_questions_come_in_template_order(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    state = {**state_after(phase=2), "turns_in_phase": 0}
    reply = reply_to(interviewer, NEUTRAL_ANSWER, state=state, elapsed_fraction=0.5)
    assert asked_item(reply, template) == "dd_data_model"


def test_notes_never_quote_the_candidate(interviewer: OfflineInterviewer) -> None:
    answer = "Zanzibarian hyperlinks would live in a Redis cache, obviously."
    reply = reply_to(interviewer, answer, state=state_after("hld_components", phase=1))
    notes = " ".join(reply.notes).lower()
    assert "probed: cache" in notes
    assert "zanzibarian" not in notes
    assert "obviously" not in notes


def test_notes_record_the_topics_an_answer_did_not_touch(
    interviewer: OfflineInterviewer,
) -> None:
    reply = reply_to(interviewer, NEUTRAL_ANSWER, state=state_after("req_core_features"))
    assert "no mention of: custom alias, analytics, expire" in reply.notes


# --------------------------------------------------------------------------- phases and the clock


def test_phase_moves_on_when_its_turns_are_used_up(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    requirements = template.phases[0]
    state = {**state_after("req_core_features"), "turns_in_phase": requirements.max_turns}
    reply = reply_to(interviewer, NEUTRAL_ANSWER, state=state)
    assert reply.state["phase"] == 1
    assert reply.content.startswith("Let's move on to the next part: High-level design.")
    assert asked_item(reply, template) == "hld_components"


def test_walks_all_phases_in_order_as_time_passes(interviewer: OfflineInterviewer) -> None:
    interview = SimulatedInterview(interviewer)
    interview.start()
    phases = []
    for turn in range(40):
        reply = interview.answer(NEUTRAL_ANSWER, elapsed_fraction=turn / 40)
        phases.append(reply.state["phase"])
    assert phases == sorted(phases)
    assert list(dict.fromkeys(phases)) == [0, 1, 2, 3, 4]


def test_clock_moves_the_phase_forward(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    reply = reply_to(interviewer, NEUTRAL_ANSWER, state=state_after(), elapsed_fraction=0.45)
    assert reply.state["phase"] == 2
    assert asked_item(reply, template) == "dd_data_model"


def test_phase_never_goes_back_when_the_clock_is_behind(interviewer: OfflineInterviewer) -> None:
    reply = reply_to(interviewer, NEUTRAL_ANSWER, state=state_after(phase=3), elapsed_fraction=0)
    assert reply.state["phase"] == 3


def test_jumps_to_the_wrap_up_when_time_is_nearly_out(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    reply = reply_to(
        interviewer, NEUTRAL_ANSWER, state=state_after("req_core_features"), elapsed_fraction=0.9
    )
    assert reply.state["phase"] == len(template.phases) - 1
    assert reply.content.startswith(TIME_SHORT_TRANSITION)
    assert asked_item(reply, template) == template.phases[-1].questions[0].id


def test_closing_lines_come_in_order_after_the_last_phase_then_a_final_statement(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    wrap_up = template.phases[-1]
    state = {**state_after(phase=4), "turns_in_phase": wrap_up.max_turns}
    said = []
    for _ in range(len(template.closing) + 2):
        reply = reply_to(interviewer, NEUTRAL_ANSWER, state=state, elapsed_fraction=0.95)
        said.append(reply.content)
        state = dict(reply.state)
    assert said[: len(template.closing)] == list(template.closing)
    assert said[len(template.closing) :] == [FINISHED_MESSAGE, FINISHED_MESSAGE]
    assert not FINISHED_MESSAGE.rstrip().endswith("?")


# --------------------------------------------------------------------------- the whole interview


candidate_answers = st.lists(
    st.one_of(
        st.text(max_size=200),
        st.lists(
            st.sampled_from(
                [
                    "cache",
                    "custom alias",
                    "shard",
                    "kafka",
                    "sql",
                    "replica",
                    "hash",
                    "301",
                    "rate limit",
                    "instead",
                    "expire",
                    "Load Balancer",
                    "TTL",
                    "queue",
                    "risk",
                ]
            ),
            max_size=6,
        ).map(" and ".join),
    ),
    min_size=60,
    max_size=60,
)
clock_readings = st.lists(
    st.floats(min_value=0, max_value=1, allow_nan=False), min_size=60, max_size=60
).map(sorted)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=candidate_answers, clock=clock_readings)
def test_never_repeats_a_question_over_a_sixty_turn_interview(
    interviewer: OfflineInterviewer,
    template: InterviewTemplate,
    answers: list[str],
    clock: list[float],
) -> None:
    interview = SimulatedInterview(interviewer)
    interview.start()
    asked = []
    for answer, elapsed in zip(answers, clock, strict=True):
        reply = interview.answer(answer, elapsed_fraction=elapsed)
        item = asked_item(reply, template)
        assert item is not None or reply.content == FINISHED_MESSAGE
        if item is not None:
            asked.append(item)
    assert len(asked) == len(set(asked))
    assert interview.state["asked"] == ["opening", *asked]


def test_same_inputs_give_the_same_interview(catalog: YamlTemplateCatalog) -> None:
    answers = [NEUTRAL_ANSWER, "a custom alias", "we shard it", "cache with a ttl", "kafka"] * 4
    config = SessionConfig(resume_data={"skills": ["redis", "kafka"]})

    def run() -> list[InterviewerReply]:
        interview = SimulatedInterview(OfflineInterviewer(catalog), config=config)
        interview.start()
        for turn, answer in enumerate(answers):
            interview.answer(answer, elapsed_fraction=turn / len(answers))
        return interview.replies

    assert run() == run()


def test_state_stays_json_serialisable_and_bounded_by_the_question_bank(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    bank_size = 1 + len(spoken_texts(template))
    config = SessionConfig(resume_data={"skills": ["redis"] * 500 + ["x" * 1000]})
    interview = SimulatedInterview(interviewer, config=config)
    interview.start()
    for turn in range(200):
        interview.answer("cache shard kafka " * 50, elapsed_fraction=min(turn / 100, 1))
        state = interview.state
        assert json.loads(json.dumps(state)) == state
        assert len(state["asked"]) <= bank_size
        assert state["skills"] == ["redis"]
    assert len(json.dumps(interview.state)) < 40 * bank_size


def test_a_malformed_stored_state_does_not_break_the_turn(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    state = {"phase": "two", "turns_in_phase": -3, "asked": "everything", "skills": None}
    reply = reply_to(interviewer, NEUTRAL_ANSWER, state=state)
    assert asked_item(reply, template) == "req_core_features"
    assert reply.state == {
        "phase": 0,
        "turns_in_phase": 1,
        "asked": ["req_core_features"],
        "skills": [],
    }


def test_reply_without_a_candidate_message_still_moves_the_interview_on(
    interviewer: OfflineInterviewer, template: InterviewTemplate
) -> None:
    session = make_session(state=state_after())
    reply = interviewer.reply(InterviewContext(session, (), NOW))
    assert asked_item(reply, template) == "req_core_features"
    assert "no answer in the recent messages" in reply.notes

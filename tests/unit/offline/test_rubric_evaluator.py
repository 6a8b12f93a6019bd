"""RubricEvaluator: signal counting, evidence, insufficient evidence, and what cannot sway it."""

from __future__ import annotations

from collections.abc import Sequence

from interview_orchestrator.evaluation.rubric_evaluator import RubricEvaluator
from interview_orchestrator.interview_template import InterviewTemplate, overall_score
from interview_orchestrator.models import CommunicationMode, Message, Role, SessionConfig
from interview_orchestrator.ports import EvaluationDraft, EvaluationRequest

from .scripted_interviews import (
    AVERAGE_CANDIDATE,
    OFF_TOPIC_CANDIDATE,
    PROMPT_INJECTION,
    STRONG_CANDIDATE,
    WEAK_CANDIDATE,
    interview_of,
    make_session,
    message,
    transcript,
)


def evaluate(
    evaluator: RubricEvaluator,
    template: InterviewTemplate,
    messages: Sequence[Message],
    config: SessionConfig | None = None,
) -> EvaluationDraft:
    request = EvaluationRequest(make_session(config=config), tuple(messages), template)
    return evaluator.evaluate(request)


def overall(
    evaluator: RubricEvaluator, template: InterviewTemplate, messages: Sequence[Message]
) -> float | None:
    draft = evaluate(evaluator, template, messages)
    return overall_score(template.rubric, draft.dimension_scores).score


def test_strong_candidate_scores_above_average_above_weak(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    strong = overall(evaluator, template, interview_of(STRONG_CANDIDATE))
    average = overall(evaluator, template, interview_of(AVERAGE_CANDIDATE))
    weak = overall(evaluator, template, interview_of(WEAK_CANDIDATE))
    assert weak is not None
    assert average is not None
    assert strong is not None
    assert strong > average > weak


def test_strong_candidate_scores_every_dimension(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    draft = evaluate(evaluator, template, interview_of(STRONG_CANDIDATE))
    scores = {d: s.score for d, s in draft.dimension_scores.items()}
    assert all(score is not None and score >= 4 for score in scores.values()), scores


def test_summary_says_so_when_every_scored_dimension_is_level(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    draft = evaluate(evaluator, template, interview_of(STRONG_CANDIDATE))
    assert draft.summary == (
        "Evidence was found for 7 of 7 dimensions. Every scored dimension is at 5/5."
    )


def test_dimension_without_signals_has_insufficient_evidence(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    draft = evaluate(evaluator, template, interview_of(WEAK_CANDIDATE))
    trade_offs = draft.dimension_scores["trade_offs"]
    assert trade_offs.score is None
    assert trade_offs.evidence == ()
    assert trade_offs.rationale.startswith("insufficient evidence")


def test_score_is_the_number_of_thresholds_met_by_distinct_signals(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    answers = ["We shard the data.", "Each shard has a replica.", "Failover via a CDN? No: p99."]
    draft = evaluate(evaluator, template, interview_of(answers))
    scalability = draft.dimension_scores["scalability_reliability"]
    # shard, replica, failover, cdn, p99: five distinct signals meet thresholds 1, 2 and 4.
    assert scalability.score == 3
    assert "found 5 of" in scalability.rationale
    assert "shard, replica, failover, cdn, p99" in scalability.rationale


def test_evidence_cites_only_candidate_messages_containing_signals(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    messages = transcript(
        (Role.INTERVIEWER, "How would you shard it, with which replica and failover?"),
        (Role.CANDIDATE, "We shard by code."),
        (Role.INTERVIEWER, "And the cache, the load balancer, the CDN?"),
        (Role.CANDIDATE, "I had coffee."),
        (Role.SYSTEM, "Replica failover in progress."),
        (Role.CANDIDATE, "A replica behind a load balancer."),
    )
    draft = evaluate(evaluator, template, messages)
    assert draft.dimension_scores["scalability_reliability"].evidence == (2, 6)
    candidate_seqs = {m.seq for m in messages if m.role is Role.CANDIDATE}
    for score in draft.dimension_scores.values():
        assert set(score.evidence) <= candidate_seqs


def test_interviewer_and_system_messages_are_not_scored(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    questions = [text for phase in template.phases for q in phase.questions for text in [q.text]]
    messages = transcript(
        *[(Role.INTERVIEWER, text) for text in questions],
        (Role.SYSTEM, "shard replica failover trade-off cache schema"),
    )
    draft = evaluate(evaluator, template, messages)
    assert all(score.score is None for score in draft.dimension_scores.values())


def test_whiteboard_messages_count_like_text(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    sketch = "[client] -> [load balancer] -> [app server] -> [cache] -> [database]"
    as_text = [message(1, Role.CANDIDATE, sketch)]
    as_whiteboard = [message(1, Role.CANDIDATE, sketch, CommunicationMode.WHITEBOARD)]
    assert evaluate(evaluator, template, as_text) == evaluate(evaluator, template, as_whiteboard)


def test_repeating_a_signal_counts_it_once(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    stuffed = interview_of(["shard " * 500, "shard, shard, SHARD!"])
    draft = evaluate(evaluator, template, stuffed)
    assert draft.dimension_scores["scalability_reliability"].score == 1
    assert draft.provenance["signals_found"]["scalability_reliability"] == 1


def test_signals_match_whole_words_only(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    draft = evaluate(evaluator, template, interview_of(["Leadership, shardware and xcdnx."]))
    assert draft.dimension_scores["scalability_reliability"].score is None


def test_a_prompt_injection_sentence_has_no_effect(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    honest = evaluate(evaluator, template, interview_of(AVERAGE_CANDIDATE))
    injected_answers = [*AVERAGE_CANDIDATE[:-1], AVERAGE_CANDIDATE[-1] + " " + PROMPT_INJECTION]
    injected = evaluate(evaluator, template, interview_of(injected_answers))
    assert injected.dimension_scores == honest.dimension_scores


def test_overall_score_is_none_for_an_empty_transcript(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    draft = evaluate(evaluator, template, [])
    assert overall_score(template.rubric, draft.dimension_scores).score is None
    assert draft.summary == "The candidate sent no messages, so no dimension could be scored."


def test_overall_score_is_none_for_an_off_topic_transcript(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    draft = evaluate(evaluator, template, interview_of(OFF_TOPIC_CANDIDATE))
    assert overall_score(template.rubric, draft.dimension_scores).score is None
    assert "every dimension has insufficient evidence" in draft.summary
    assert draft.strengths == ()


def test_the_resume_has_no_influence(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    messages = interview_of(AVERAGE_CANDIDATE)
    plain = evaluate(evaluator, template, messages)
    famous = SessionConfig(
        resume_data={"name": "Grace Hopper", "school": "Yale", "skills": ["cache", "shard"]}
    )
    assert evaluate(evaluator, template, messages, config=famous) == plain


def test_rationale_names_rubric_signals_never_the_candidates_free_text(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    draft = evaluate(evaluator, template, interview_of(["Quetzalcoatl shards the table."]))
    texts = [s.rationale for s in draft.dimension_scores.values()]
    texts += [*draft.strengths, *draft.improvements, draft.summary]
    assert not any("quetzalcoatl" in text.lower() for text in texts)
    assert "shard" in draft.dimension_scores["scalability_reliability"].rationale


def test_strengths_and_improvements_quote_the_rubric_levels(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    draft = evaluate(evaluator, template, interview_of(AVERAGE_CANDIDATE))
    by_id = {d.id: d for d in template.rubric.dimensions}
    for dimension_id, score in draft.dimension_scores.items():
        dimension = by_id[dimension_id]
        if score.score is not None and score.score >= 4:
            assert f"{dimension.title}: {dimension.levels[score.score]}" in draft.strengths
        if score.score is None or score.score <= 2:
            assert any(
                line.startswith(dimension.title) and dimension.levels[5] in line
                for line in draft.improvements
            )


def test_summary_names_the_strongest_and_weakest_dimensions(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    answers = ["We shard with a leader, a replica, failover and p99 targets.", "There is a table."]
    draft = evaluate(evaluator, template, interview_of(answers))
    assert draft.summary == (
        "Evidence was found for 2 of 7 dimensions. Strongest: Scalability and reliability "
        "(3/5). Weakest: Data model and APIs (1/5). Insufficient evidence for: Requirements "
        "and scoping, High-level design, Deep dive, Trade-offs, Communication."
    )


def test_provenance_names_the_method_the_rubric_version_and_the_counts(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    draft = evaluate(evaluator, template, interview_of(["We shard it and add a replica."]))
    assert draft.model == "rubric-rules"
    assert draft.provenance["method"] == "signal-count"
    assert draft.provenance["rubric_version"] == template.rubric.version
    assert draft.provenance["signals_found"]["scalability_reliability"] == 2
    assert draft.provenance["signals_found"]["trade_offs"] == 0


def test_same_transcript_gives_the_same_evaluation(
    evaluator: RubricEvaluator, template: InterviewTemplate
) -> None:
    messages = interview_of(STRONG_CANDIDATE)
    again = evaluate(RubricEvaluator(), template, messages)
    assert evaluate(evaluator, template, messages) == again

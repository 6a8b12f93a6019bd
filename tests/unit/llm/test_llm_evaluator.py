"""The LLM evaluator: schema, verification of every citation, one re-ask, provenance."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from interview_orchestrator.errors import ProviderError
from interview_orchestrator.evaluation.llm_evaluator import (
    PROMPT_VERSION,
    LLMEvaluator,
    evaluation_schema,
)
from interview_orchestrator.interview_template import InterviewTemplate
from interview_orchestrator.llm.tokens import estimate_messages
from interview_orchestrator.models import CommunicationMode, InterviewerNote, Role
from interview_orchestrator.ports import EvaluationRequest
from interview_orchestrator.settings import LLMSettings
from interview_orchestrator.testing import ScriptedChatModel, evaluation

from .conftest import SESSION_ID, make_session, message

TRANSCRIPT = (
    message(1, Role.INTERVIEWER, "How would you design a URL shortener?"),
    message(2, Role.CANDIDATE, "First the requirements: 100M links a month, read heavy."),
    message(3, Role.INTERVIEWER, "And the architecture?"),
    message(4, Role.CANDIDATE, "A load balancer, stateless servers, Redis and a database."),
)


def all_dimensions(
    template: InterviewTemplate, score: int | None = 3, evidence: tuple[int, ...] = (2, 4)
) -> dict[str, tuple[int | None, tuple[int, ...]]]:
    return {d.id: (score, evidence) for d in template.rubric.dimensions}


def request_for(template: InterviewTemplate, transcript: Any = TRANSCRIPT, **kw: Any) -> Any:
    return EvaluationRequest(make_session(), tuple(transcript), template, **kw)


@pytest.fixture
def evaluator_for(settings: LLMSettings) -> Any:
    def build(*steps: Any, retries: int = 0) -> tuple[LLMEvaluator, ScriptedChatModel]:
        chat = ScriptedChatModel(*steps)
        tuned = settings.model_copy(update={"invalid_answer_retries": retries})
        return LLMEvaluator(chat, tuned), chat

    return build


def test_the_schema_requires_every_rubric_dimension(template: InterviewTemplate) -> None:
    schema = evaluation_schema(template.rubric).schema
    dimensions = schema["properties"]["dimensions"]
    assert dimensions["required"] == [d.id for d in template.rubric.dimensions]
    assert dimensions["additionalProperties"] is False and schema["additionalProperties"] is False


def test_verified_scores_are_kept_with_their_evidence(
    template: InterviewTemplate, evaluator_for: Any
) -> None:
    evaluator, chat = evaluator_for(evaluation(all_dimensions(template, 4, (4, 2, 2))))
    draft = evaluator.evaluate(request_for(template))
    assert {d.score for d in draft.dimension_scores.values()} == {4}
    assert {d.evidence for d in draft.dimension_scores.values()} == {(2, 4)}
    assert len(chat.requests) == 1 and chat.requests[0].temperature == 0.0


def test_provenance_names_models_prompt_usage_and_latency(
    template: InterviewTemplate, evaluator_for: Any
) -> None:
    evaluator, _ = evaluator_for(evaluation(all_dimensions(template)))
    provenance = evaluator.evaluate(request_for(template)).provenance
    assert provenance["provider"] == "openai"
    assert provenance["requested_model"] == "gpt-4o-mini"
    assert provenance["served_model"] == "gpt-4o-mini"
    assert provenance["prompt_version"] == PROMPT_VERSION
    assert provenance["rubric_version"] == template.rubric.version
    assert provenance["usage"]["total_tokens"] > 0
    assert provenance["requests"] == 1 and "latency_seconds" in provenance


def test_insufficient_evidence_is_recorded_as_no_score(
    template: InterviewTemplate, evaluator_for: Any
) -> None:
    evaluator, _ = evaluator_for(evaluation(all_dimensions(template, None, ())))
    draft = evaluator.evaluate(request_for(template))
    assert all(d.score is None and d.evidence == () for d in draft.dimension_scores.values())
    assert all(
        d.rationale.startswith("insufficient evidence") for d in draft.dimension_scores.values()
    )


def test_a_transcript_without_candidate_messages_costs_no_request(
    template: InterviewTemplate, evaluator_for: Any
) -> None:
    evaluator, chat = evaluator_for()
    draft = evaluator.evaluate(request_for(template, TRANSCRIPT[:1]))
    assert chat.requests == []
    assert all(d.score is None for d in draft.dimension_scores.values())


@pytest.mark.parametrize(
    ("evidence", "named"),
    [
        ((99,), "#99 does not exist"),
        ((3,), "#3 is not the candidate's message"),
        ((), "cites no message"),
    ],
    ids=["missing-message", "interviewer-message", "no-citation"],
)
def test_a_bad_citation_is_re_asked_once_naming_it(
    template: InterviewTemplate, evaluator_for: Any, evidence: tuple[int, ...], named: str
) -> None:
    first = all_dimensions(template)
    first["deep_dive"] = (5, evidence)
    evaluator, chat = evaluator_for(
        evaluation(first), evaluation(all_dimensions(template, 2, (4,)))
    )
    draft = evaluator.evaluate(request_for(template))
    assert len(chat.requests) == 2
    reask = chat.requests[1].messages
    assert reask[-2].role == "assistant" and "`deep_dive`" in reask[-1].content
    assert named in reask[-1].content
    assert draft.dimension_scores["deep_dive"].score == 2
    assert draft.dimension_scores["deep_dive"].evidence == (4,)
    assert draft.dimension_scores["trade_offs"].score == 3  # verified ones keep the first answer
    assert draft.provenance["reasked_dimensions"] == ["deep_dive"]


def test_a_citation_that_still_fails_becomes_insufficient_evidence(
    template: InterviewTemplate, evaluator_for: Any
) -> None:
    bad = all_dimensions(template)
    bad["deep_dive"] = (5, (3, 99))
    evaluator, chat = evaluator_for(evaluation(bad), evaluation(bad))
    draft = evaluator.evaluate(request_for(template))
    deep_dive = draft.dimension_scores["deep_dive"]
    assert deep_dive.score is None and deep_dive.evidence == ()
    assert "did not verify after re-asking" in deep_dive.rationale and "#99" in deep_dive.rationale
    assert draft.provenance["unverified_dimensions"] == ["deep_dive"]
    assert len(chat.requests) == 2


def test_a_score_keeps_its_verified_citations_and_records_the_dropped_ones(
    template: InterviewTemplate, evaluator_for: Any
) -> None:
    mixed = all_dimensions(template)
    mixed["deep_dive"] = (5, (4, 99, 3))
    evaluator, chat = evaluator_for(evaluation(mixed))
    draft = evaluator.evaluate(request_for(template))
    deep_dive = draft.dimension_scores["deep_dive"]
    assert (deep_dive.score, deep_dive.evidence) == (5, (4,))
    assert draft.provenance["dropped_citations"] == {"deep_dive": [3, 99]}
    assert draft.provenance["reasked_dimensions"] == [] and len(chat.requests) == 1


def test_an_answer_found_inside_prose_is_counted_in_the_provenance(
    template: InterviewTemplate, evaluator_for: Any
) -> None:
    wrapped = f"Here is my assessment:\n```json\n{json.dumps(evaluation(all_dimensions(template)))}\n```\nThanks!"
    evaluator, _ = evaluator_for(wrapped)
    draft = evaluator.evaluate(request_for(template))
    assert draft.provenance["repaired_answers"] == 1
    assert {d.score for d in draft.dimension_scores.values()} == {3}


@pytest.mark.parametrize(
    "bad",
    [
        "{not json",
        {"dimensions": {}, "strengths": [], "improvements": [], "summary": ""},
        "wrong-score",
    ],
    ids=["bad-json", "missing-dimensions", "score-out-of-range"],
)
def test_an_invalid_answer_is_retried_then_fails(
    template: InterviewTemplate, evaluator_for: Any, bad: Any
) -> None:
    if bad == "wrong-score":
        bad = evaluation(all_dimensions(template, 9))
    evaluator, chat = evaluator_for(bad, bad, retries=1)
    with pytest.raises(ProviderError, match="no valid evaluation in 2 attempt"):
        evaluator.evaluate(request_for(template))
    assert len(chat.requests) == 2


def test_the_resume_never_reaches_the_evaluator(
    template: InterviewTemplate, evaluator_for: Any
) -> None:
    evaluator, chat = evaluator_for(evaluation(all_dimensions(template)))
    evaluator.evaluate(request_for(template))
    sent = "\n".join(m.content for m in chat.requests[0].messages)
    for planted in ("Ada Example", "ada@example.org", "Example University", 'redis", "kafka'):
        assert planted not in sent


def test_notes_are_given_as_context_not_evidence(
    template: InterviewTemplate, evaluator_for: Any
) -> None:
    note = InterviewerNote(SESSION_ID, 3, "probed caching; no eviction policy", datetime.now(UTC))
    evaluator, chat = evaluator_for(evaluation(all_dimensions(template)))
    evaluator.evaluate(request_for(template, notes=(note,)))
    material = chat.requests[0].messages[1].content
    assert "private notes (context only, never evidence)" in material
    assert '{"after_message": 3, "note": "probed caching; no eviction policy"}' in material


def test_a_long_transcript_is_clipped_to_the_budget(
    template: InterviewTemplate, settings: LLMSettings
) -> None:
    board = json.dumps({"shapes": [{"id": i, "text": "node " * 20} for i in range(3000)]})
    transcript = (
        *TRANSCRIPT,
        message(5, Role.CANDIDATE, board, CommunicationMode.WHITEBOARD),
        message(6, Role.CANDIDATE, "A short answer that stays whole."),
    )
    chat = ScriptedChatModel(evaluation(all_dimensions(template)))
    tuned = settings.model_copy(update={"evaluation_token_budget": 5000})
    draft = LLMEvaluator(chat, tuned).evaluate(request_for(template, transcript))
    sent = chat.requests[0]
    assert draft.provenance["transcript_clipped"] is True
    assert "A short answer that stays whole." in sent.messages[1].content
    assert estimate_messages(sent.messages) < 5000 + estimate_messages(sent.messages[:1]) + 200

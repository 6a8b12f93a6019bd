"""Structured answers: validated, retried a bounded number of times, then a clear error."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from interview_orchestrator.errors import ProviderError, ProviderResponseError
from interview_orchestrator.llm.structured import (
    StructuredAnswer,
    ask_structured,
    first_json_object,
)
from interview_orchestrator.ports import ChatMessage, ChatRequest, ChatResponse, TokenUsage
from interview_orchestrator.testing import ScriptedChatModel


class Answer(BaseModel):
    value: int


REQUEST = ChatRequest(messages=(ChatMessage("user", "give me a value"),))


def response(content: str, finish_reason: str = "stop") -> ChatResponse:
    return ChatResponse(content, "m", "m", finish_reason, TokenUsage(10, 5), 0.25)


def ask(model: ScriptedChatModel, attempts: int = 3) -> Answer:
    return ask_structured(
        model, REQUEST, Answer.model_validate, attempts=attempts, what="answer", provider="openai"
    ).value


def test_a_valid_answer_is_returned_with_its_conversation_and_costs() -> None:
    model = ScriptedChatModel(response('{"value": 3}'))
    answer = ask_structured(
        model, REQUEST, Answer.model_validate, attempts=1, what="answer", provider="openai"
    )
    assert answer.value == Answer(value=3)
    assert answer.conversation[-1] == ChatMessage("assistant", '{"value": 3}')
    assert answer.usage == TokenUsage(10, 5) and answer.latency_seconds == 0.25


def test_json_in_a_markdown_fence_is_accepted() -> None:
    assert ask(ScriptedChatModel('```json\n{"value": 4}\n```')).value == 4


def answered(content: str) -> StructuredAnswer[Answer]:
    return ask_structured(
        ScriptedChatModel(content),
        REQUEST,
        Answer.model_validate,
        attempts=1,
        what="answer",
        provider="openai",
    )


def test_a_fenced_object_with_prose_around_it_is_extracted_and_counted_as_a_repair() -> None:
    answer = answered('Sure! Here it is:\n\n```json\n{"value": 6}\n```\n\nAnything else?')
    assert answer.value == Answer(value=6) and answer.repairs == 1


def test_a_plain_or_fenced_object_is_not_a_repair() -> None:
    assert answered('{"value": 1}').repairs == 0
    assert answered('```json\n{"value": 1}\n```').repairs == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'Note: {"value": 1, "why": "a } in a string"} done',
            {"value": 1, "why": "a } in a string"},
        ),
        (
            'first {"value": 1, "nested": {"a": [1, 2]}} then {"value": 2}',
            {"value": 1, "nested": {"a": [1, 2]}},
        ),
        ('a stray { brace, then {"value": 3}', {"value": 3}),
        ('escaped \\" quote: {"value": 4, "q": "say \\"hi\\" {"}', {"value": 4, "q": 'say "hi" {'}),
        ("no object at all", None),
        ('{"value": 1', None),
    ],
    ids=["brace-in-string", "first-of-two", "stray-brace", "escaped-quote", "none", "unclosed"],
)
def test_the_first_complete_json_object_is_found_in_text(
    text: str, expected: dict[str, object] | None
) -> None:
    assert first_json_object(text) == expected


def test_runs_of_unclosed_braces_hold_no_object() -> None:
    assert first_json_object("{" * 200_000) is None
    assert first_json_object('{"a":' * 50_000) is None


@pytest.mark.parametrize(
    "bad",
    [
        response("not json at all"),
        response('{"value": "many"}'),
        response('{"value": 1', finish_reason="length"),
        response(""),
        response('{"value": 1}', finish_reason="content_filter"),
        ProviderResponseError("the body was not a chat completion"),
    ],
    ids=["bad-json", "wrong-schema", "truncated", "empty", "filtered", "malformed-body"],
)
def test_an_unusable_answer_is_asked_again(bad: object) -> None:
    model = ScriptedChatModel(bad, '{"value": 5}')  # type: ignore[arg-type]
    assert ask(model).value == 5
    assert len(model.requests) == 2


def test_the_retry_names_the_problem_but_does_not_repeat_the_bad_answer() -> None:
    model = ScriptedChatModel(response('{"value": 1', finish_reason="length"), '{"value": 2}')
    ask(model)
    retry = model.requests[1].messages
    assert retry[:-1] == REQUEST.messages
    assert "cut off" in retry[-1].content and '{"value": 1' not in retry[-1].content


def test_after_the_last_attempt_a_provider_error_lists_every_problem() -> None:
    model = ScriptedChatModel("nope", '{"value": "x"}', response("{", finish_reason="length"))
    with pytest.raises(ProviderError, match="no valid answer in 3 attempt") as raised:
        ask(model)
    message = str(raised.value)
    assert "attempt 1: the answer is not valid JSON" in message
    assert "attempt 2: the answer does not match the schema" in message
    assert "attempt 3: the answer was cut off" in message
    assert len(model.requests) == 3


def test_transport_errors_are_not_retried_here() -> None:
    model = ScriptedChatModel(ProviderError("timed out after 3 attempts"), '{"value": 1}')
    with pytest.raises(ProviderError, match="timed out"):
        ask(model)
    assert len(model.requests) == 1

"""Structured answers: ask a ``ChatModel`` for JSON, validate it, and retry a bounded number
of times when the answer is unusable (not JSON, wrong schema, cut off, empty, or a body that
was not a chat completion). Transport faults are not retried here: the adapter already did.

An answer that is not JSON as a whole (smaller models often put prose and a Markdown fence
around it) is searched for its first complete JSON object; an answer used that way is counted
as repaired (``StructuredAnswer.repairs``), for the provenance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final, Generic, TypeVar

from pydantic import ValidationError

from ..errors import ProviderError, ProviderResponseError
from ..ports import ChatMessage, ChatModel, ChatRequest, ChatResponse, TokenUsage

T = TypeVar("T")

_FENCE: Final = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_MAX_PROBLEM_CHARS: Final = 300
#: Opening braces tried when looking for a JSON object inside prose (each try is linear).
_MAX_OBJECT_STARTS: Final = 16


class InvalidAnswer(ValueError):
    """Raised by a validator: the answer is JSON but not what was asked for."""


@dataclass(frozen=True)
class StructuredAnswer(Generic[T]):
    """A validated answer, the conversation that produced it (ending with the answer, so a
    follow-up can be asked) and every response it took."""

    value: T
    conversation: tuple[ChatMessage, ...]
    responses: tuple[ChatResponse, ...]
    #: Answers whose JSON had to be found inside other text (this one and those before it
    #: passed in ``repairs_so_far``).
    repairs: int = 0

    @property
    def usage(self) -> TokenUsage:
        return sum((r.usage for r in self.responses), TokenUsage())

    @property
    def latency_seconds(self) -> float:
        return sum(r.latency_seconds for r in self.responses)


def ask_structured(
    chat_model: ChatModel,
    request: ChatRequest,
    validate: Callable[[object], T],
    *,
    attempts: int,
    what: str,
    provider: str,
    responses_so_far: tuple[ChatResponse, ...] = (),
    repairs_so_far: int = 0,
) -> StructuredAnswer[T]:
    """The first valid answer within ``attempts`` requests, or ``ProviderError`` listing what
    was wrong with each. A retry repeats the request with one added message naming the
    problem (never the invalid answer itself, which may be long or cut off)."""
    responses = list(responses_so_far)
    problems: list[str] = []
    for _ in range(max(attempts, 1)):
        messages = request.messages
        if problems:
            messages = (*messages, ChatMessage("user", _correction(problems[-1])))
        try:
            response = chat_model.complete(replace(request, messages=messages))
        except ProviderResponseError as exc:
            problems.append(_short(str(exc)))
            continue
        responses.append(response)
        try:
            parsed, repaired = parse_answer(response)
            value = validate(parsed)
        except (InvalidAnswer, ValidationError, ValueError) as exc:
            problems.append(_describe(exc))
            continue
        return StructuredAnswer(
            value,
            (*messages, ChatMessage("assistant", response.content)),
            tuple(responses),
            repairs_so_far + int(repaired),
        )
    listed = "; ".join(f"attempt {n}: {p}" for n, p in enumerate(problems, start=1))
    raise ProviderError(
        f"the AI provider {provider!r} gave no valid {what} in {len(problems)} attempt(s) "
        f"({listed}); if answers are cut off raise the max_tokens setting, if they do not "
        "follow the schema check that the model supports structured output"
    )


def parse_answer(response: ChatResponse) -> tuple[object, bool]:
    """The answer's JSON, and whether it had to be found inside other text (a repair)."""
    if response.finish_reason == "length":
        raise InvalidAnswer("the answer was cut off (finish_reason 'length')")
    if response.finish_reason == "content_filter":
        raise InvalidAnswer("the answer was withheld by the provider's content filter")
    text = response.content.strip()
    if not text:
        raise InvalidAnswer(f"the answer was empty (finish_reason {response.finish_reason!r})")
    fenced = _FENCE.match(text)
    if fenced:  # some compatible servers wrap JSON in a Markdown fence
        text = fenced.group(1)
    try:
        return json.loads(text), False
    except json.JSONDecodeError as exc:
        found = first_json_object(text)
        if found is None:
            raise InvalidAnswer(
                f"the answer is not valid JSON ({exc.msg} at character {exc.pos})"
            ) from None
        return found, True


def first_json_object(text: str) -> dict[str, object] | None:
    """The first complete JSON object in ``text`` (prose, fences or anything around it), or
    None. Each ``{`` is tried in turn (at most ``_MAX_OBJECT_STARTS``) with its balanced
    closing brace, found by a string-aware scan, so the cost stays linear in the text."""
    start = text.find("{")
    for _ in range(_MAX_OBJECT_STARTS):
        if start < 0:
            return None
        end = _matching_brace(text, start)
        value: object = None
        if end is not None:
            try:
                value = json.loads(text[start : end + 1])
            except json.JSONDecodeError:
                value = None
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


def _matching_brace(text: str, start: int) -> int | None:
    """The index of the ``}`` closing the ``{`` at ``start``, braces in strings ignored."""
    depth = 0
    in_string = False
    escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return None


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        details = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
            for err in exc.errors(include_url=False)[:3]
        )
        return _short(f"the answer does not match the schema ({details})")
    if isinstance(exc, InvalidAnswer) and str(exc).startswith("the answer"):
        return _short(str(exc))
    return _short(f"the answer does not match the schema ({exc})")


def _correction(problem: str) -> str:
    return (
        f"Your previous answer could not be used: {problem}. Answer again with only the JSON "
        "object described above, complete and concise."
    )


def _short(text: str) -> str:
    return text if len(text) <= _MAX_PROBLEM_CHARS else text[: _MAX_PROBLEM_CHARS - 1] + "…"

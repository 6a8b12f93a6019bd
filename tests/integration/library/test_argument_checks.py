"""Every public argument of the library's entry points is checked, on SQLite and PostgreSQL.

Generated from the signatures (``inspect.signature``) rather than listed by hand, so that a new
method or parameter is covered when it is added: each parameter in turn gets wrong values and
values of the wrong type while the others are valid. A caller's mistake must be
``InvalidInputError`` (or ``SessionNotFoundError`` for a session id that parses but names no
session), never a foreign exception or a generic "failed unexpectedly"; a value with a set of
allowed values (an enum, a literal) is refused naming them; and a refused value is echoed in
the error only briefly: a 1 MB string gets a short error, at once.
"""

from __future__ import annotations

import inspect
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from interview_orchestrator import (
    CommunicationMode,
    Container,
    EndReason,
    InvalidInputError,
    SessionConfig,
    SessionManager,
    SessionNotFoundError,
    SessionStatus,
)
from interview_orchestrator.access import Principal
from interview_orchestrator.access_manager import AccessManager
from interview_orchestrator.errors import AuthenticationError, ResourceNotFoundError
from interview_orchestrator.models import Session
from interview_orchestrator.settings import Settings

MEGABYTE = "s" * 1_000_000
SHORT_ERROR = 500
#: Refusing an argument is a check before any I/O: far below this.
QUICK_SECONDS = 1.0
#: Values a parameter with a fixed set of values takes (by the name in its annotation).
ALLOWED: dict[str, list[str]] = {
    "CommunicationMode": [m.value for m in CommunicationMode],
    "EndReason": [r.value for r in EndReason],
    "SessionStatus": [s.value for s in SessionStatus],
    "EvaluateWhen": ["now", "background"],
}
WRONG_STRINGS = ["bogus", "", "   ", "Bogus\n", "nul\x00", "\ud800", "rtl\u202e"]
#: Values of a type no parameter takes, each with the annotation words that would allow it.
WRONG_TYPES: list[tuple[object, tuple[str, ...]]] = [
    (12345, ("int", "float")),
    (4.5, ("float",)),
    (True, ("bool",)),
    (b"bytes", ()),
    (object(), ()),
    (["list"], ()),
    ({"key": "value"}, ()),
]
Call = tuple[str, str, object]  # method, parameter, value


def public_methods(cls: type) -> list[tuple[str, inspect.Signature]]:
    return [
        (name, inspect.signature(member))
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    ]


def parameters(cls: type) -> Iterator[tuple[str, inspect.Parameter]]:
    for name, signature in public_methods(cls):
        for parameter in signature.parameters.values():
            if parameter.name != "self":
                yield name, parameter


def annotation(parameter: inspect.Parameter) -> str:
    return str(parameter.annotation)


def takes_text(parameter: inspect.Parameter) -> bool:
    text = annotation(parameter)
    return "str" in text or any(name in text for name in ALLOWED)


def allowed_values(parameter: inspect.Parameter) -> list[str] | None:
    text = annotation(parameter)
    return next((values for name, values in ALLOWED.items() if name in text), None)


def describe(method: str, parameter: str, value: object) -> str:
    shown = repr(value) if len(repr(value)) < 40 else f"<{len(repr(value))} chars>"
    return f"{method}({parameter}={shown})"


class Outcome:
    """What one call did: returned, or raised (the error, its length, the time it took)."""

    def __init__(self, call: Callable[[], object]) -> None:
        started = time.perf_counter()
        self.error: BaseException | None = None
        try:
            result = call()
        except Exception as exc:
            self.error = exc
        else:
            close = getattr(result, "close", None)
            if callable(close):  # a subscription that was, wrongly or not, opened
                close()
        self.seconds = time.perf_counter() - started

    def is_a(self, *kinds: type[BaseException]) -> bool:
        return isinstance(self.error, kinds)

    def __str__(self) -> str:
        if self.error is None:
            return "returned"
        return f"{type(self.error).__name__}: {str(self.error)[:200]}"


class Harness:
    """Calls one public method of ``target`` with one parameter replaced and the required
    others valid."""

    def __init__(self, target: object, valid: dict[str, object]) -> None:
        self.target = target
        self.valid = valid

    def call(self, method: str, parameter: str, value: object) -> Outcome:
        signature = inspect.signature(getattr(type(self.target), method))
        kwargs = {
            name: self.valid[name]
            for name, p in signature.parameters.items()
            if name != "self" and p.default is inspect.Parameter.empty
        }
        kwargs[parameter] = value
        return Outcome(lambda: getattr(self.target, method)(**kwargs))


# ---------------------------------------------------------------------- SessionManager


@pytest.fixture
def session_id(manager: SessionManager) -> str:
    """An ACTIVE session: the valid session of every call."""
    sid = manager.create_session(SessionConfig(), user_id="checked").id
    manager.start_session(sid)
    return sid


@pytest.fixture
def harness(manager: SessionManager, session_id: str) -> Harness:
    return Harness(
        manager,
        {
            "tenant_id": "default",
            "config": SessionConfig(),
            "session_id": session_id,
            "content": "A valid answer.",
            "handler": lambda event: None,
        },
    )


MANAGER_PARAMETERS = list(parameters(SessionManager))


def test_the_generated_calls_cover_every_public_method_of_the_manager() -> None:
    covered = {method for method, _ in MANAGER_PARAMETERS}
    assert covered == {name for name, _ in public_methods(SessionManager)} - {"tenant_id"}
    assert {"end_session", "list_sessions", "send_turn", "subscribe"} <= covered
    assert ("end_session", "reason") in {(m, p.name) for m, p in MANAGER_PARAMETERS}


def test_a_wrong_value_for_an_enum_or_literal_argument_is_refused_naming_the_allowed_values(
    harness: Harness,
) -> None:
    wrong: list[str] = []
    for method, parameter in MANAGER_PARAMETERS:
        values = allowed_values(parameter)
        if values is None:
            continue
        for value in ("bogus", "Bogus\n", "\ud800"):
            outcome = harness.call(method, parameter.name, value)
            if not outcome.is_a(InvalidInputError) or not all(
                v in str(outcome.error) for v in values
            ):
                wrong.append(f"{describe(method, parameter.name, value)} -> {outcome}")
    assert wrong == []


def test_end_session_with_a_wrong_reason_ends_nothing(
    manager: SessionManager, session_id: str
) -> None:
    with pytest.raises(
        InvalidInputError, match="unknown end reason 'bogus'; expected one of: requested"
    ):
        manager.end_session(session_id, reason="bogus")  # type: ignore[arg-type]
    assert manager.get_session(session_id).status is SessionStatus.ACTIVE


def test_an_argument_of_the_wrong_type_is_refused_as_invalid_input(harness: Harness) -> None:
    wrong: list[str] = []
    for method, parameter in MANAGER_PARAMETERS:
        for value, allowed_by in WRONG_TYPES:
            if any(word in annotation(parameter) for word in allowed_by):
                continue
            outcome = harness.call(method, parameter.name, value)
            if not outcome.is_a(InvalidInputError):
                wrong.append(f"{describe(method, parameter.name, value)} -> {outcome}")
    assert wrong == []


def test_a_wrong_string_argument_is_refused_as_invalid_input_or_taken_as_valid(
    harness: Harness,
) -> None:
    wrong: list[str] = []
    for method, parameter in MANAGER_PARAMETERS:
        if not takes_text(parameter):
            continue
        for value in WRONG_STRINGS:
            outcome = harness.call(method, parameter.name, value)
            if outcome.error is not None and not outcome.is_a(InvalidInputError):
                wrong.append(f"{describe(method, parameter.name, value)} -> {outcome}")
    assert wrong == []


def test_an_unknown_session_id_is_session_not_found(harness: Harness) -> None:
    unknown = str(uuid.uuid4())
    wrong: list[str] = []
    for method, parameter in MANAGER_PARAMETERS:
        if parameter.name != "session_id" or method == "create_session":
            continue
        outcome = harness.call(method, "session_id", unknown)
        if not outcome.is_a(SessionNotFoundError):
            wrong.append(f"{describe(method, 'session_id', unknown)} -> {outcome}")
    assert wrong == []


def test_a_megabyte_string_argument_gets_a_short_error_at_once(harness: Harness) -> None:
    wrong: list[str] = []
    for method, parameter in MANAGER_PARAMETERS:
        if not takes_text(parameter):
            continue
        outcome = harness.call(method, parameter.name, MEGABYTE)
        if (
            not outcome.is_a(InvalidInputError)
            or len(str(outcome.error)) >= SHORT_ERROR
            or outcome.seconds >= QUICK_SECONDS
        ):
            wrong.append(
                f"{describe(method, parameter.name, MEGABYTE)} -> {type(outcome.error).__name__} "
                f"of {len(str(outcome.error))} chars in {outcome.seconds:.2f} s"
            )
    assert wrong == []


# ---------------------------------------------------------------------- AccessManager

#: What AccessManager answers a caller's mistake with: bad input, an id that names nothing,
#: and (for a token) the one answer that tells a guesser nothing.
ACCESS_ANSWERS = (InvalidInputError, ResourceNotFoundError, AuthenticationError)
ACCESS_PARAMETERS = list(parameters(AccessManager))


@pytest.fixture
def access_harness(container: Any, manager: SessionManager, session_id: str) -> Harness:
    access: AccessManager = container.access_manager()
    key, _ = access.create_key("checked", "admin")
    session: Session = manager.get_session(session_id)
    link, _ = access.create_link(session, "candidate", 60)
    return Harness(
        access,
        {
            "name": "checked",
            "role": "admin",
            "tenant_id": "default",
            "key_id": key.id,
            "session": session,
            "kind": "candidate",
            "expires_in_minutes": 60,
            "link_id": link.id,
            "token": "iok_not-a-real-token",
            "principal": Principal("key", key.id, "admin", "default"),
        },
    )


def access_answer_ok(method: str, outcome: Outcome) -> bool:
    """``link_of`` answers "no link" with None; every other refusal is an error."""
    if method == "link_of":
        return outcome.error is None
    return outcome.is_a(*ACCESS_ANSWERS)


def test_the_access_manager_refuses_wrong_types_with_its_documented_errors(
    access_harness: Harness,
) -> None:
    wrong: list[str] = []
    for method, parameter in ACCESS_PARAMETERS:
        for value, allowed_by in WRONG_TYPES:
            if any(word in annotation(parameter) for word in allowed_by):
                continue
            outcome = access_harness.call(method, parameter.name, value)
            if not access_answer_ok(method, outcome):
                wrong.append(f"{describe(method, parameter.name, value)} -> {outcome}")
    assert wrong == []


def test_the_access_manager_takes_or_refuses_wrong_strings_with_its_documented_errors(
    access_harness: Harness,
) -> None:
    wrong: list[str] = []
    for method, parameter in ACCESS_PARAMETERS:
        if not takes_text(parameter):
            continue
        for value in WRONG_STRINGS:
            outcome = access_harness.call(method, parameter.name, value)
            if outcome.error is not None and not outcome.is_a(*ACCESS_ANSWERS):
                wrong.append(f"{describe(method, parameter.name, value)} -> {outcome}")
    assert wrong == []


def test_the_access_manager_answers_a_megabyte_string_briefly_at_once(
    access_harness: Harness,
) -> None:
    wrong: list[str] = []
    for method, parameter in ACCESS_PARAMETERS:
        if not takes_text(parameter):
            continue
        outcome = access_harness.call(method, parameter.name, MEGABYTE)
        if (
            not access_answer_ok(method, outcome)
            or len(str(outcome.error or "")) >= SHORT_ERROR
            or outcome.seconds >= QUICK_SECONDS
        ):
            wrong.append(
                f"{describe(method, parameter.name, MEGABYTE)} -> {type(outcome.error).__name__} "
                f"of {len(str(outcome.error))} chars in {outcome.seconds:.2f} s"
            )
    assert wrong == []


# ---------------------------------------------------------------------- Container.from_settings


def literal_settings(
    model: type[BaseModel], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], tuple[object, ...]]]:
    """Every setting with a fixed set of values: its path and the values."""
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from literal_settings(kind, (*prefix, name))
        elif getattr(kind, "__origin__", None) is not None and str(kind).startswith(
            "typing.Literal"
        ):
            yield (*prefix, name), get_args(kind)


LITERAL_SETTINGS = list(literal_settings(Settings))


def test_the_generated_settings_cover_the_enumerated_ones() -> None:
    paths = {".".join(path) for path, _ in LITERAL_SETTINGS}
    assert {"database.auto_migrate", "logging.level", "evaluation.mode"} <= paths


@pytest.mark.parametrize(
    "value", ["bogus", MEGABYTE, 12345, b"bytes"], ids=["bogus", "1MB", "int", "bytes"]
)
def test_from_settings_refuses_a_wrong_enumerated_setting_naming_it_and_the_allowed_values(
    value: object,
) -> None:
    wrong: list[str] = []
    for path, values in LITERAL_SETTINGS:
        *sections, key = path
        nested: dict[str, Any] = {key: value}
        for section in reversed(sections[1:]):
            nested = {section: nested}
        given = {sections[0]: nested}
        started = time.perf_counter()
        outcome = Outcome(lambda given=given: Container.from_settings(**given))
        message = str(outcome.error)
        if (
            not outcome.is_a(InvalidInputError)
            or ".".join(path) not in message
            or not all(str(v) in message for v in values)
            or len(message) >= SHORT_ERROR
            or time.perf_counter() - started >= QUICK_SECONDS
        ):
            wrong.append(f"{'.'.join(path)}={describe('from_settings', key, value)} -> {outcome}")
    assert wrong == []

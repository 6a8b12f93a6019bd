"""The shape of a template YAML file, checked strictly before it becomes domain dataclasses.

The pydantic models mirror the file one to one (unknown keys are refused, nothing is coerced),
so a typo in a template is reported when it is loaded rather than surfacing mid-interview.
``describe_problems`` turns pydantic's errors into sentences a template author can act on.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InvalidInputError
from ..interview_template import (
    FollowUp,
    InterviewerPhrases,
    InterviewTemplate,
    Phase,
    Question,
    Rubric,
    RubricDimension,
)
from ..models import DEFAULT_LANGUAGE, parse_language

SUM_TOLERANCE: Final = 0.001
LEVELS: Final = (1, 2, 3, 4, 5)
#: Résumé fields that identify a person rather than describe their skills; a template may
#: never ask for them, so no model ever sees them.
IDENTIFYING_RESUME_FIELDS: Final = frozenset(
    {
        "name",
        "full_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "address",
        "school",
        "university",
        "education",
        "date_of_birth",
        "birth_date",
        "age",
        "gender",
        "photo",
        "nationality",
        "user_id",
    }
)

_ID_PATTERN: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_PROBLEMS: Final = 5


def _identifier(value: str) -> str:
    if not _ID_PATTERN.match(value):
        raise ValueError(
            f"{value!r} is not a valid id: use lower-case letters, digits and '_', "
            "starting with a letter"
        )
    return value


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _keyword(value: str) -> str:
    if not value.strip():
        raise ValueError("keywords must not be empty")
    if value != value.strip():
        raise ValueError(f"keyword {value!r} has leading or trailing spaces")
    if value != value.lower():
        raise ValueError(f"keyword {value!r} must be lower-case (write {value.lower()!r})")
    return value


def _language(value: str) -> str:
    try:
        return parse_language(value, "language")
    except InvalidInputError as exc:
        raise ValueError(str(exc).removeprefix("language ")) from None


Identifier = Annotated[str, AfterValidator(_identifier)]
Language = Annotated[str, AfterValidator(_language)]
Text = Annotated[str, AfterValidator(_text)]
Keyword = Annotated[str, AfterValidator(_keyword)]


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


class _StrictModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class FollowUpSpec(_StrictModel):
    id: Identifier
    text: Text
    triggers: list[Keyword] = Field(min_length=1)


class QuestionSpec(_StrictModel):
    id: Identifier
    text: Text
    follow_ups: list[FollowUpSpec] = Field(default_factory=list)
    skills: list[Keyword] = Field(default_factory=list)


class PhaseSpec(_StrictModel):
    id: Identifier
    title: Text
    share: float = Field(gt=0, le=1)
    max_turns: int = Field(ge=1, le=50)
    questions: list[QuestionSpec] = Field(min_length=1)


class DimensionSpec(_StrictModel):
    id: Identifier
    title: Text
    weight: float = Field(gt=0, le=1)
    levels: dict[int, Text]
    signals: list[Keyword] = Field(min_length=1)
    thresholds: list[int] = Field(min_length=len(LEVELS), max_length=len(LEVELS))

    @model_validator(mode="after")
    def _levels_thresholds_and_signals_agree(self) -> DimensionSpec:
        if sorted(self.levels) != list(LEVELS):
            raise ValueError(f"levels must be exactly 1, 2, 3, 4 and 5, got {sorted(self.levels)}")
        if self.thresholds[0] < 1 or any(
            low >= high for low, high in zip(self.thresholds, self.thresholds[1:], strict=False)
        ):
            raise ValueError(
                f"thresholds must be 5 strictly ascending positive counts, got {self.thresholds}"
            )
        repeated = _duplicates(self.signals)
        if repeated:
            raise ValueError(f"signals are listed twice: {', '.join(repeated)}")
        if self.thresholds[-1] > len(self.signals):
            raise ValueError(
                f"a score of 5 needs {self.thresholds[-1]} distinct signals but only "
                f"{len(self.signals)} are listed"
            )
        return self


class RubricSpec(_StrictModel):
    version: Text
    dimensions: list[DimensionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights_sum_to_one_and_ids_are_unique(self) -> RubricSpec:
        total = math.fsum(d.weight for d in self.dimensions)
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise ValueError(f"dimension weights must sum to 1, got {total:.4g}")
        repeated = _duplicates(d.id for d in self.dimensions)
        if repeated:
            raise ValueError(f"dimension ids are used twice: {', '.join(repeated)}")
        return self


class PhrasesSpec(_StrictModel):
    next_phase: Text = InterviewerPhrases.next_phase
    time_short: Text = InterviewerPhrases.time_short
    finished: Text = InterviewerPhrases.finished

    @model_validator(mode="after")
    def _next_phase_names_the_title(self) -> PhrasesSpec:
        rest = self.next_phase.replace("{title}", "")
        if "{" in rest or "}" in rest:
            raise ValueError("next_phase may contain no braces but the placeholder {title}")
        return self


class TemplateSpec(_StrictModel):
    name: Text
    version: Text
    title: Text
    #: The language the file is written in; a variant ``<name>.<lang>.yaml`` declares its own.
    language: Language = DEFAULT_LANGUAGE
    persona: Text
    opening: Text
    closing: list[Text] = Field(min_length=1)
    resume_fields: list[Keyword]
    phases: list[PhaseSpec] = Field(min_length=1)
    rubric: RubricSpec
    #: The offline interviewer's words between questions (English unless given).
    phrases: PhrasesSpec = PhrasesSpec()

    @model_validator(mode="after")
    def _template_is_consistent(self) -> TemplateSpec:
        total = math.fsum(p.share for p in self.phases)
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise ValueError(f"phase shares must sum to 1, got {total:.4g}")
        repeated = _duplicates(p.id for p in self.phases)
        if repeated:
            raise ValueError(f"phase ids are used twice: {', '.join(repeated)}")
        question_ids = [
            item_id
            for phase in self.phases
            for question in phase.questions
            for item_id in (question.id, *(f.id for f in question.follow_ups))
        ]
        repeated = _duplicates(question_ids)
        if repeated:
            raise ValueError(f"question and follow-up ids are used twice: {', '.join(repeated)}")
        repeated = _duplicates(self.closing)
        if repeated:
            raise ValueError("closing lines must differ from each other")
        identifying = sorted(set(self.resume_fields) & IDENTIFYING_RESUME_FIELDS)
        if identifying:
            raise ValueError(
                f"resume_fields must not include fields that identify the candidate: "
                f"{', '.join(identifying)}"
            )
        return self

    def to_domain(self) -> InterviewTemplate:
        """The immutable domain template (levels become a read-only mapping)."""
        return InterviewTemplate(
            name=self.name,
            version=self.version,
            title=self.title,
            persona=self.persona,
            phases=tuple(_phase(p) for p in self.phases),
            rubric=Rubric(
                version=self.rubric.version,
                dimensions=tuple(_dimension(d) for d in self.rubric.dimensions),
            ),
            opening=self.opening,
            closing=tuple(self.closing),
            resume_fields=tuple(dict.fromkeys(self.resume_fields)),
            language=self.language,
            phrases=InterviewerPhrases(
                next_phase=self.phrases.next_phase,
                time_short=self.phrases.time_short,
                finished=self.phrases.finished,
            ),
        )


def _phase(spec: PhaseSpec) -> Phase:
    return Phase(
        id=spec.id,
        title=spec.title,
        share=spec.share,
        max_turns=spec.max_turns,
        questions=tuple(
            Question(
                id=q.id,
                text=q.text,
                skills=tuple(q.skills),
                follow_ups=tuple(
                    FollowUp(id=f.id, text=f.text, triggers=tuple(f.triggers)) for f in q.follow_ups
                ),
            )
            for q in spec.questions
        ),
    )


def _dimension(spec: DimensionSpec) -> RubricDimension:
    return RubricDimension(
        id=spec.id,
        title=spec.title,
        weight=spec.weight,
        levels=MappingProxyType({level: spec.levels[level] for level in LEVELS}),
        signals=tuple(spec.signals),
        thresholds=tuple(spec.thresholds),
    )


# --------------------------------------------------------------------------- error messages

_YAML_TYPE_NAMES: Final = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true/false",
    "list": "a list",
    "dict": "a mapping",
    "NoneType": "nothing (an empty value)",
}

_EXPECTED_BY_ERROR_TYPE: Final = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
}


#: The line (1-based) in the file of a field's location, or None when it cannot be told.
LineFinder = Callable[[tuple[int | str, ...]], int | None]


def describe_problems(
    error: ValidationError, spec_model: type[BaseModel], line_of: LineFinder | None = None
) -> list[str]:
    """The first few problems of ``error`` as sentences naming where in the file they are:
    the line (when ``line_of`` can tell it) and the field."""
    problems = []
    for detail in error.errors(include_url=False):
        sentence = _describe(detail, spec_model)
        line = line_of(tuple(detail["loc"])) if line_of is not None else None
        problems.append(sentence if line is None else f"line {line}: {sentence}")
    if len(problems) > _MAX_PROBLEMS:
        hidden = len(problems) - _MAX_PROBLEMS
        problems = [*problems[:_MAX_PROBLEMS], f"... and {hidden} more problem(s)"]
    return problems


def _describe(detail: Any, spec_model: type[BaseModel]) -> str:
    loc: tuple[int | str, ...] = tuple(detail["loc"])
    where = _location(loc) or "the top level"
    kind = detail["type"]
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(spec_model, loc[:-1])
        hint = f" (allowed fields: {', '.join(allowed)})" if allowed else ""
        return f"{_location(loc[:-1]) or 'the top level'}: unknown field {loc[-1]!r}{hint}"
    if kind in _EXPECTED_BY_ERROR_TYPE:
        got = _YAML_TYPE_NAMES.get(type(detail["input"]).__name__, type(detail["input"]).__name__)
        hint = " (put it in quotes)" if kind == "string_type" and got.endswith("number") else ""
        return f"{where}: expected {_EXPECTED_BY_ERROR_TYPE[kind]}, got {got}{hint}"
    message = str(detail["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}"


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if part == "[key]":
            text += " (key)"
        elif isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _allowed_fields(spec_model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the model at ``loc`` (so an unknown key can suggest the right one)."""
    model: type[BaseModel] | None = spec_model
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = _nested_model(field.annotation) if field is not None else None
    return list(model.model_fields) if model is not None else []


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _nested_model(argument)
        if found is not None:
            return found
    return None

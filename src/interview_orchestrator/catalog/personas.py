"""``YamlPersonaCatalog``: interviewer personas read from YAML files, all at start-up.

The built-in personas (``warm``, ``neutral``, ``rigorous``) ship inside the package
(``config/personas``); a deployment adds its own, or replaces a built-in one, with
``<name>.yaml`` files in the directories of the ``personas.directories`` setting. Every file
is read and checked when the catalog is built, so a mistake stops the start-up with an
``InvalidInputError`` naming the file and the field, instead of surfacing mid-interview.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Final

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ..errors import InvalidInputError
from ..personas import ACKNOWLEDGEMENT_LANGUAGE, MAX_FOLLOW_UP_DEPTH, Persona
from ..validation_errors import describe_error

PERSONA_SUFFIX: Final = ".yaml"
#: Far above any real persona; stops a runaway file from being parsed at all.
MAX_PERSONA_BYTES: Final = 64 * 1024
MAX_ACKNOWLEDGEMENTS: Final = 20

_NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_LANGUAGE_PATTERN: Final = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")

PersonaFile = Path | Traversable


def builtin_personas_directory() -> Traversable:
    """The personas that ship with the package."""
    return resources.files("interview_orchestrator").joinpath("config", "personas")


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _name(value: str) -> str:
    if not _NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid persona name: use 1-64 lower-case letters, digits, "
            "'_', '-' or '.', starting with a letter or digit"
        )
    return value


def _language(value: str) -> str:
    if not _LANGUAGE_PATTERN.fullmatch(value):
        raise ValueError(f"{value!r} is not a language tag such as 'en', 'de' or 'pt-BR'")
    return value


Text = Annotated[str, AfterValidator(_text)]
ShortText = Annotated[str, Field(max_length=200), AfterValidator(_text)]
Phrases = Annotated[list[ShortText], Field(max_length=MAX_ACKNOWLEDGEMENTS)]
LanguageTag = Annotated[str, AfterValidator(_language)]


class PersonaSpec(BaseModel):
    """The shape of a persona file: unknown keys refused, nothing coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: Annotated[str, AfterValidator(_name)]
    title: ShortText
    description: Text
    instructions: Annotated[str, Field(max_length=4000), AfterValidator(_text)]
    #: A list (English) or a mapping of language tag to list.
    acknowledgements: Phrases | dict[LanguageTag, Phrases] = []
    follow_up_depth: int = Field(ge=0, le=MAX_FOLLOW_UP_DEPTH)

    def to_domain(self) -> Persona:
        by_language = (
            self.acknowledgements
            if isinstance(self.acknowledgements, dict)
            else {ACKNOWLEDGEMENT_LANGUAGE: self.acknowledgements}
        )
        return Persona(
            name=self.name,
            title=self.title,
            description=self.description,
            instructions=self.instructions,
            acknowledgements={tag: tuple(phrases) for tag, phrases in by_language.items()},
            follow_up_depth=self.follow_up_depth,
        )


class YamlPersonaCatalog:
    """Implements ``PersonaCatalog``: the built-ins, then ``directories`` in order (a later
    file of the same name replaces an earlier one), all loaded and checked on construction."""

    def __init__(self, directories: Sequence[Path] = ()) -> None:
        if isinstance(directories, str | Path):  # one directory given bare, not a list of them
            directories = [Path(directories)]
        personas: dict[str, Persona] = {}
        for source in _persona_files([builtin_personas_directory(), *map(Path, directories)]):
            persona = load_persona_file(source)
            personas[persona.name] = persona
        self._personas = personas

    def get(self, name: str) -> Persona:
        """The persona called ``name``, or ``InvalidInputError`` naming the ones there are."""
        persona = self._personas.get(name) if isinstance(name, str) else None
        if persona is None:
            raise InvalidInputError(
                f"unknown persona {name!r:.80}; available personas: {', '.join(self.names())}"
            )
        return persona

    def names(self) -> list[str]:
        """Every persona name, sorted."""
        return sorted(self._personas)


def _persona_files(directories: Iterable[PersonaFile]) -> list[PersonaFile]:
    files: list[PersonaFile] = []
    for directory in directories:
        if isinstance(directory, Path) and not directory.is_dir():
            raise InvalidInputError(
                f"persona directory {directory} does not exist or is not a directory "
                "(setting personas.directories)"
            )
        try:
            entries = sorted(directory.iterdir(), key=lambda entry: entry.name)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InvalidInputError(
                f"cannot read persona directory {directory}: {reason}"
            ) from None
        files.extend(entry for entry in entries if entry.name.endswith(PERSONA_SUFFIX))
    return files


def load_persona_file(source: PersonaFile) -> Persona:
    """Read, parse and validate one persona file; ``InvalidInputError`` names the file and
    the field at fault."""
    label = str(source)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidInputError(f"cannot read persona file {label}: {reason}") from None
    if len(raw) > MAX_PERSONA_BYTES:
        raise InvalidInputError(
            f"persona file {label} is larger than {MAX_PERSONA_BYTES // 1024} KiB"
        )
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInputError(
            f"persona file {label} is not valid UTF-8 text; save it with UTF-8 encoding"
        ) from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "syntax error"
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise InvalidInputError(
            f"persona file {label} is not valid YAML: {problem}{where}"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"persona file {label} must contain a mapping of persona fields (name, title, "
            "description, instructions, acknowledgements, follow_up_depth) at the top level"
        )
    try:
        spec = PersonaSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(describe_error(error) for error in exc.errors())
        raise InvalidInputError(f"persona file {label} is invalid: {problems}") from None
    stem = source.name.removesuffix(PERSONA_SUFFIX)
    if spec.name != stem:
        raise InvalidInputError(
            f"persona file {label} declares name {spec.name!r}; it must match the file name "
            f"({stem!r})"
        )
    return spec.to_domain()

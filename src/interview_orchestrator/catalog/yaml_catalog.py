"""``YamlTemplateCatalog``: interview templates read from YAML files, custom ones first.

A platform can add or override templates by pointing the catalog at its own directories; the
built-in templates ship inside the package (``config/templates``). Every problem with a file
becomes an ``InvalidInputError`` that names the file and what to fix.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Hashable, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import ValidationError

from ..errors import InvalidInputError
from ..interview_template import InterviewTemplate
from .template_schema import TemplateSpec, describe_problems

TEMPLATE_SUFFIX: Final = ".yaml"
#: Far above any real template; stops a runaway file from being parsed at all.
MAX_TEMPLATE_BYTES: Final = 1024 * 1024

_NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

TemplateFile = Path | Traversable


def builtin_templates_directory() -> Traversable:
    """The templates that ship with the package."""
    return resources.files("interview_orchestrator").joinpath("config", "templates")


class YamlTemplateCatalog:
    """Implements ``TemplateCatalog``: ``<name>.yaml`` from ``directories``, then the built-ins.

    Parsed templates are cached per name: they are immutable, and a file is read once per
    catalog. A file that fails to load is not cached, so fixing it takes effect on the next call.
    """

    def __init__(self, directories: Sequence[Path] = ()) -> None:
        if isinstance(directories, str | Path):  # one directory given bare, not a list of them
            directories = [Path(directories)]
        self._directories: tuple[Path, ...] = tuple(Path(d) for d in directories)
        self._cache: dict[str, InterviewTemplate] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> InterviewTemplate:
        """The template called ``name``, or ``InvalidInputError`` naming the ones that exist."""
        checked = _check_name(name)
        with self._lock:
            cached = self._cache.get(checked)
        if cached is not None:
            return cached
        source = self._find(checked)
        if source is None:
            available = ", ".join(self.names()) or "none"
            raise InvalidInputError(
                f"unknown interview template {checked!r}; available templates: {available}"
            )
        template = load_template_file(source, expected_name=checked)
        with self._lock:
            return self._cache.setdefault(checked, template)

    def names(self) -> list[str]:
        """Every template name this catalog can load, sorted."""
        found: set[str] = set()
        for directory in self._search_path():
            try:
                entries = list(directory.iterdir()) if directory.is_dir() else []
            except OSError:
                continue
            for entry in entries:
                stem = entry.name.removesuffix(TEMPLATE_SUFFIX)
                if entry.name.endswith(TEMPLATE_SUFFIX) and _NAME_PATTERN.match(stem):
                    found.add(stem)
        return sorted(found)

    def _search_path(self) -> list[TemplateFile]:
        return [*self._directories, builtin_templates_directory()]

    def _find(self, name: str) -> TemplateFile | None:
        for directory in self._search_path():
            candidate = directory.joinpath(name + TEMPLATE_SUFFIX)
            try:
                if candidate.is_file():
                    return candidate
            except OSError:
                continue
        return None


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise InvalidInputError(
            f"template name must be lower-case letters, digits, '_', '-' or '.', starting with "
            f"a letter or digit (at most 64 characters), got {name!r:.80}"
        )
    return name


def load_template_file(
    source: TemplateFile, *, expected_name: str | None = None
) -> InterviewTemplate:
    """Read, parse and validate one template file; ``InvalidInputError`` says what is wrong."""
    label = str(source)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidInputError(f"cannot read template file {label}: {reason}") from None
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise InvalidInputError(
            f"template file {label} is larger than {MAX_TEMPLATE_BYTES // 1024} KiB"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"template file {label} is not valid UTF-8 text (byte {raw[exc.start]:#04x} at "
            f"offset {exc.start}); save it with UTF-8 encoding"
        ) from None
    data = _parse_yaml(text, label)
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"template file {label} must contain a mapping of template fields "
            f"(name, version, phases, rubric, ...) at the top level"
        )
    try:
        spec = TemplateSpec.model_validate(data)
    except ValidationError as exc:
        problems = describe_problems(exc, TemplateSpec)
        raise InvalidInputError(
            f"template file {label} is invalid: " + "; ".join(problems)
        ) from None
    if expected_name is not None and spec.name != expected_name:
        raise InvalidInputError(
            f"template file {label} declares name {spec.name!r}; it must match the file name "
            f"({expected_name!r})"
        )
    return spec.to_domain()


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice in the same mapping", mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(text: str, label: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no tags run
    except yaml.YAMLError as exc:
        raise InvalidInputError(
            f"template file {label} is not valid YAML: {_yaml_problem(exc)}"
        ) from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise InvalidInputError(f"template file {label} is nested too deeply") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = exc.problem or exc.context or "syntax error"
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
        return problem
    return str(exc) or type(exc).__name__

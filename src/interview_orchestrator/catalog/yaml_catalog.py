"""``YamlTemplateCatalog``: interview templates read from YAML files, custom ones first.

A platform can add or override templates by pointing the catalog at its own directories; the
built-in templates ship inside the package (``config/templates``). Every problem with a file
becomes an ``InvalidInputError`` that names the file and what to fix.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import ValidationError

from ..errors import InvalidInputError
from ..interview_template import InterviewTemplate
from ..models import DEFAULT_LANGUAGE, parse_language
from .template_schema import TemplateSpec, describe_problems

TEMPLATE_SUFFIX: Final = ".yaml"
#: Far above any real template; stops a runaway file from being parsed at all.
MAX_TEMPLATE_BYTES: Final = 1024 * 1024

_NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_VARIANT_LANGUAGE: Final = re.compile(r"[a-z]{2,3}(?:-[A-Z]{2})?")

TemplateFile = Path | Traversable


def builtin_templates_directory() -> Traversable:
    """The templates that ship with the package."""
    return resources.files("interview_orchestrator").joinpath("config", "templates")


@dataclass(frozen=True)
class _Family:
    """The files of one template: its default file and its language variants by language."""

    default: TemplateFile | None
    variants: dict[str, TemplateFile]


class YamlTemplateCatalog:
    """Implements ``TemplateCatalog``: ``<name>.yaml`` (and its language variants
    ``<name>.<lang>.yaml``) from ``directories``, then the built-ins.

    Every template file is read and validated when the catalog is built, so a broken file
    stops the program at start-up (naming the file, the line and the field) rather than an
    interview. A custom ``<name>.yaml`` replaces the built-in template with all its
    languages; a custom ``<name>.<lang>.yaml`` alone adds (or replaces) one language of the
    template found later in the search path. Parsed templates are cached: they are immutable.
    A file added later is read on first use; one that fails to load is not cached, so fixing
    it takes effect on the next call.
    """

    def __init__(self, directories: Sequence[Path] = ()) -> None:
        if isinstance(directories, str | Path):  # one directory given bare, not a list of them
            directories = [Path(directories)]
        self._directories: tuple[Path, ...] = tuple(Path(d) for d in directories)
        #: Templates by (name, language), once every check passed.
        self._cache: dict[tuple[str, str], InterviewTemplate] = {}
        #: Parsed files by path (a file is parsed once, even when asked for in two ways).
        self._files: dict[str, InterviewTemplate] = {}
        #: The last listing of the directories, with the directories' modification times it
        #: was made at: listed again only when a file was added, removed or renamed.
        self._listing: tuple[tuple[int | None, ...], dict[str, _Family]] | None = None
        self._lock = threading.Lock()
        self.validate_all()

    def validate_all(self) -> None:
        """Load every template in every language; ``InvalidInputError`` for the first bad file."""
        for name, family in sorted(self._families().items()):
            default = self._load_default(name, family)
            for language in sorted(family.variants):
                self._load_variant(name, language, family, default)
            for language in _languages(default, family):
                self.get(name, language)

    def get(self, name: str, language: str = DEFAULT_LANGUAGE) -> InterviewTemplate:
        """The template called ``name`` in ``language``, or ``InvalidInputError`` naming the
        templates that exist (or the languages this one has)."""
        checked = _check_name(name)
        wanted = parse_language(language, "template language")
        with self._lock:
            cached = self._cache.get((checked, wanted))
        if cached is not None:
            return cached
        family = self._families().get(checked)
        if family is None:
            available = ", ".join(self.names()) or "none"
            raise InvalidInputError(
                f"unknown interview template {checked!r}; available templates: {available}"
            )
        default = self._load_default(checked, family)
        if default.language == wanted:
            template = default
        elif wanted in family.variants:
            template = self._load_variant(checked, wanted, family, default)
        else:
            languages = ", ".join(_languages(default, family))
            raise InvalidInputError(
                f"interview template {checked!r} has no {wanted!r} version; "
                f"its languages: {languages}"
            )
        with self._lock:
            return self._cache.setdefault((checked, wanted), template)

    def names(self) -> list[str]:
        """Every template name this catalog can load, sorted."""
        return sorted(self._families())

    def languages(self, name: str) -> list[str]:
        """The languages template ``name`` is available in, sorted."""
        checked = _check_name(name)
        family = self._families().get(checked)
        if family is None:
            available = ", ".join(self.names()) or "none"
            raise InvalidInputError(
                f"unknown interview template {checked!r}; available templates: {available}"
            )
        return _languages(self._load_default(checked, family), family)

    def _search_path(self) -> list[TemplateFile]:
        return [*self._directories, builtin_templates_directory()]

    def _families(self) -> dict[str, _Family]:
        """The template files by name (see ``_list_families``), listed again only when a
        directory changed: the built-in one is part of the package, and a configured one is
        asked for its modification time (one ``stat`` each), not read."""
        version = tuple(_modified(directory) for directory in self._directories)
        with self._lock:
            if self._listing is not None and self._listing[0] == version:
                return self._listing[1]
        families = self._list_families()
        with self._lock:
            self._listing = (version, families)
        return families

    def _list_families(self) -> dict[str, _Family]:
        """The template files by name, earlier directories first; a directory holding a
        template's default file hides that template's files in the later directories."""
        defaults: dict[str, TemplateFile] = {}
        variants: dict[str, dict[str, TemplateFile]] = {}
        for directory in self._search_path():
            found_here: set[str] = set()
            for entry in _template_files(directory):
                name, language = _split_file_name(entry.name)
                if name in defaults and name not in found_here:
                    continue  # replaced by an earlier directory's template
                if language is None:
                    found_here.add(name)
                    defaults.setdefault(name, entry)
                else:
                    variants.setdefault(name, {}).setdefault(language, entry)
        return {
            name: _Family(defaults.get(name), variants.get(name, {}))
            for name in {*defaults, *variants}
        }

    def _load_default(self, name: str, family: _Family) -> InterviewTemplate:
        if family.default is None:
            orphan = next(iter(sorted(family.variants.items())))[1]
            raise InvalidInputError(
                f"template file {orphan} is a language version of {name!r}, but there is no "
                f"{name}{TEMPLATE_SUFFIX} in its directory or a later one"
            )
        return self._cached_load(name, None, family.default)

    def _load_variant(
        self, name: str, language: str, family: _Family, default: InterviewTemplate
    ) -> InterviewTemplate:
        source = family.variants[language]
        if language == default.language:
            raise InvalidInputError(
                f"template file {source} repeats the language {language!r} of "
                f"{family.default} (the file without a language in its name)"
            )
        variant = self._cached_load(name, language, source)
        _require_same_rubric(variant, default, source, family.default)
        return variant

    def _cached_load(
        self, name: str, language: str | None, source: TemplateFile
    ) -> InterviewTemplate:
        key = str(source)
        with self._lock:
            cached = self._files.get(key)
        if cached is not None:
            return cached
        template = load_template_file(source, expected_name=name, expected_language=language)
        with self._lock:
            return self._files.setdefault(key, template)


def _modified(directory: Path) -> int | None:
    try:
        return directory.stat().st_mtime_ns
    except OSError:
        return None


def _template_files(directory: TemplateFile) -> list[TemplateFile]:
    try:
        if not directory.is_dir():
            return []
        entries = sorted(directory.iterdir(), key=lambda entry: entry.name)
    except OSError:
        return []
    return [
        entry
        for entry in entries
        if entry.name.endswith(TEMPLATE_SUFFIX)
        and _NAME_PATTERN.match(_split_file_name(entry.name)[0])
    ]


def _split_file_name(file_name: str) -> tuple[str, str | None]:
    """``("name", None)`` for ``name.yaml``, ``("name", "de")`` for ``name.de.yaml``."""
    stem = file_name.removesuffix(TEMPLATE_SUFFIX)
    name, dot, suffix = stem.rpartition(".")
    if dot and name and _VARIANT_LANGUAGE.fullmatch(suffix):
        return name, suffix
    return stem, None


def _languages(default: InterviewTemplate, family: _Family) -> list[str]:
    return sorted({default.language, *family.variants})


def _require_same_rubric(
    variant: InterviewTemplate,
    default: InterviewTemplate,
    source: TemplateFile,
    default_source: TemplateFile | None,
) -> None:
    """A language version scores by the same dimensions and weights, so scores compare."""
    expected = [(d.id, d.weight) for d in default.rubric.dimensions]
    found = [(d.id, d.weight) for d in variant.rubric.dimensions]
    if found != expected:
        wanted = ", ".join(f"{i} {w:g}" for i, w in expected)
        raise InvalidInputError(
            f"template file {source} must have the rubric dimensions and weights of "
            f"{default_source} in the same order ({wanted}), so that its scores mean the same"
        )


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise InvalidInputError(
            f"template name must be lower-case letters, digits, '_', '-' or '.', starting with "
            f"a letter or digit (at most 64 characters), got {name!r:.80}"
        )
    return name


def load_template_file(
    source: TemplateFile,
    *,
    expected_name: str | None = None,
    expected_language: str | None = None,
) -> InterviewTemplate:
    """Read, parse and validate one template file; ``InvalidInputError`` says what is wrong
    (the file, and for a field the line and the field)."""
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
    node, data = _parse_yaml(text, label, trusted=_is_builtin(source))
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"template file {label} must contain a mapping of template fields "
            f"(name, version, phases, rubric, ...) at the top level"
        )
    lines = _LineFinder(node)
    try:
        spec = TemplateSpec.model_validate(data)
    except ValidationError as exc:
        problems = describe_problems(exc, TemplateSpec, lines)
        raise InvalidInputError(
            f"template file {label} is invalid: " + "; ".join(problems)
        ) from None
    if expected_name is not None and spec.name != expected_name:
        raise InvalidInputError(
            f"template file {label} declares name {spec.name!r} (line {lines(('name',))}); "
            f"it must match the file name ({expected_name!r})"
        )
    if expected_language is not None and spec.language != expected_language:
        declared = lines(("language",))
        where = f"line {declared}" if "language" in data else "by default"
        raise InvalidInputError(
            f"template file {label} declares language {spec.language!r} ({where}); it must "
            f"match the file name (language: {expected_language})"
        )
    return spec.to_domain()


def _is_builtin(source: TemplateFile) -> bool:
    """Whether ``source`` is one of the package's own template files."""
    return str(source) == str(builtin_templates_directory().joinpath(source.name))


class _LineFinder:
    """The 1-based line of a field given by its pydantic location, read from the composed
    YAML nodes; a field that is missing gets the line of the mapping it belongs in."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._root = root

    def __call__(self, loc: tuple[int | str, ...]) -> int | None:
        node = self._root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
                if match is None:
                    break
                line = match[0].start_mark.line + 1
                node = match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line


class _UniqueKeys:
    """Refuses a key given twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[attr-defined]
            if isinstance(key, Hashable) and key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice in the same mapping", mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc,no-any-return]


class _UniqueKeyLoader(_UniqueKeys, yaml.SafeLoader):
    """The safe pure-Python loader: any file (its recursion is bounded by Python's limit)."""


class _FastUniqueKeyLoader(_UniqueKeys, yaml.CSafeLoader):
    """The safe libyaml loader, about ten times faster: for the package's own files, read at
    every start-up (libyaml's composer would not stop a hostile nesting depth)."""


def _parse_yaml(text: str, label: str, *, trusted: bool) -> tuple[yaml.Node | None, Any]:
    """The composed document (for line numbers) and its value."""
    loader_class = _FastUniqueKeyLoader if trusted and yaml.__with_libyaml__ else _UniqueKeyLoader
    loader = loader_class(text)  # safe loaders: no tags run
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise InvalidInputError(
            f"template file {label} is not valid YAML: {_yaml_problem(exc)}"
        ) from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise InvalidInputError(f"template file {label} is nested too deeply") from None
    finally:
        loader.dispose()
    return node, data


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = exc.problem or exc.context or "syntax error"
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
        return problem
    return str(exc) or type(exc).__name__

"""Typed settings, and where each value comes from.

The precedence, lowest first, applied in ``Settings.from_layers`` and nowhere else:

1. typed defaults in code (the models below);
2. configuration files, in the order read: the packaged ``config/default.yaml``, then a
   user's (``--config FILE``; ``container.config.from_yaml(FILE)``, ``from_json``,
   ``from_ini``, or into one section: ``container.config.openai.from_yaml(FILE)``);
3. the environment variables of ``ENVIRONMENT_VARIABLES``;
4. explicit arguments: command-line options, ``Container.from_settings(...)``, and whatever
   code writes to ``container.config`` (``from_value``, ``from_dict``, ``override``).

``Settings`` validates the result, so a bad value fails at once with a message naming its
key (and the variable or file it came from).
"""

from __future__ import annotations

import configparser
import json
import os
import re
from collections.abc import Iterable, Mapping
from copy import deepcopy
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

import yaml
from dependency_injector import providers
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import InvalidInputError
from .validation_errors import describe_error

PACKAGE_CONFIG_DIR = Path(__file__).parent / "config"
DEFAULT_CONFIG_FILE = PACKAGE_CONFIG_DIR / "default.yaml"
DEFAULT_DATABASE_URL = "sqlite:///./var/interviews.db"

#: Each environment variable read as a setting, and the key it sets: above every file, below
#: explicit arguments. ``OPENAI_API_KEY`` is not here: the key is never a setting.
ENVIRONMENT_VARIABLES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "INTERVIEW_DATABASE_URL": "database.url",
        "INTERVIEW_DATABASE_AUTO_MIGRATE": "database.auto_migrate",
        "INTERVIEW_SQLITE_SYNCHRONOUS": "database.sqlite_synchronous",
        "INTERVIEW_LOG_LEVEL": "logging.level",
        "INTERVIEW_IDLE_TIMEOUT_MINUTES": "lifecycle.idle_timeout_minutes",
        "INTERVIEW_ABANDON_AFTER_HOURS": "lifecycle.abandon_after_hours",
        "INTERVIEW_OPENAI_MODEL": "openai.model",
        "OPENAI_BASE_URL": "openai.base_url",
        "INTERVIEW_EVALUATION_MODE": "evaluation.mode",
    }
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = DEFAULT_DATABASE_URL
    #: "sqlite": migrate SQLite files automatically; "always"; "never" (production: run
    #: ``interview-orchestrator db upgrade`` as a deploy step).
    auto_migrate: Literal["sqlite", "always", "never"] = "sqlite"
    #: FULL: a committed turn survives a power cut. NORMAL trades that for speed in WAL mode.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _url_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("database.url must not be empty")
        return value.strip()


class LoggingSettings(_Section):
    enabled: bool = True
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


class InterviewerSettings(_Section):
    #: How many recent messages the interviewer sees per turn (bounded cost per turn).
    context_messages: int = Field(default=20, ge=2, le=200)
    #: How long a candidate's message may wait for its reply before the turn is taken to be
    #: abandoned (its process died) and the session accepts the next message. Longer than the
    #: slowest reply the provider may take (timeout × attempts).
    turn_timeout_seconds: int = Field(default=300, ge=5, le=3600)
    #: Turns an interview may take unless its config says otherwise (a budget of AI calls);
    #: the turn that spends it ends the interview.
    max_turns: int = Field(default=200, ge=1, le=1000)
    #: Extra directories searched for ``<template>.yaml`` before the built-in templates.
    template_dirs: tuple[Path, ...] = ()


class PersonaSettings(_Section):
    #: Directories of ``<name>.yaml`` interviewer personas, read after the built-in ones (a
    #: file named like a built-in persona replaces it); every file is checked at start-up.
    directories: tuple[Path, ...] = ()


class EvaluationSettings(_Section):
    #: A runner holds an evaluation for this long, renewing it every third while it works; an
    #: evaluation whose lease ran out (its process died) is taken over by another runner.
    lease_seconds: int = Field(default=60, ge=3, le=3600)
    #: When ``end_session`` evaluates by default: "now" (before it returns) or "background"
    #: (a worker does it; the caller gets the PENDING report at once).
    mode: Literal["now", "background"] = "now"


class WorkerSettings(_Section):
    """The background evaluation worker (``interview-orchestrator worker``)."""

    #: How often an idle worker looks for pending evaluations when nothing woke it.
    poll_interval_seconds: float = Field(default=2.0, gt=0, le=300)


class WebhookSettings(_Section):
    """The webhook dispatcher (a thread of ``serve`` or ``worker``)."""

    #: How often an idle dispatcher looks for new events and due retries when nothing woke it.
    poll_interval_seconds: float = Field(default=2.0, gt=0, le=300)
    #: Deliveries sent at once per dispatcher (its thread pool).
    senders: int = Field(default=8, ge=1, le=64)
    #: Of those, at most this many to one endpoint: a slow one cannot take every sender.
    per_endpoint: int = Field(default=2, ge=1, le=64)
    #: One attempt's connect and read timeout.
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    #: A claimed delivery is its dispatcher's for this long; then (its dispatcher died)
    #: another sends it again. At least three attempts' timeouts, so that a live dispatcher's
    #: attempt is over before its lease is.
    lease_seconds: int = Field(default=60, ge=3, le=3600)
    #: Failed attempts are retried with backoff for this long after the event was queued;
    #: then the delivery is FAILED.
    retry_hours: float = Field(default=24.0, gt=0, le=24 * 14)
    #: Events read from the log per pass.
    batch_size: int = Field(default=200, ge=1, le=5000)

    @model_validator(mode="after")
    def _lease_outlasts_attempts(self) -> WebhookSettings:
        if self.lease_seconds < 3 * self.timeout_seconds:
            raise ValueError(
                "webhooks.lease_seconds must be at least three times webhooks.timeout_seconds"
            )
        return self


class LifecycleSettings(_Section):
    """Time rules enforced server-side (``sweep`` and lazily on every operation)."""

    #: An ACTIVE session with no activity for this long is paused.
    idle_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    #: A PAUSED session with no activity for this long is ended as abandoned.
    abandon_after_hours: int = Field(default=24, ge=1, le=24 * 365)
    #: A PENDING evaluation older than this is taken to be left by a crash.
    pending_grace_seconds: int = Field(default=60, ge=0)
    sweep_batch_size: int = Field(default=500, ge=1, le=10_000)


class LLMSettings(_Section):
    """What the LLM interviewer and evaluator need, whichever chat model serves them."""

    #: The default model; a session's ``ai_model`` overrides it.
    model: str = "gpt-4o-mini"
    #: The evaluator's model (None: ``model``; a session's ``ai_model`` overrides both).
    evaluator_model: str | None = None
    interviewer_temperature: float = Field(default=0.3, ge=0, le=2)
    #: 0: the same transcript should get the same evaluation.
    evaluator_temperature: float = Field(default=0.0, ge=0, le=2)
    interviewer_max_tokens: int = Field(default=700, ge=64, le=32_000)
    evaluator_max_tokens: int = Field(default=3000, ge=256, le=64_000)
    #: Estimated tokens of one interviewer request (instructions, résumé, summary and recent
    #: turns): the cost of a turn stays under it however long the transcript grows.
    context_token_budget: int = Field(default=4000, ge=1000, le=200_000)
    #: The rolling summary of turns older than those shown verbatim.
    summary_token_budget: int = Field(default=500, ge=100, le=20_000)
    #: One message shown verbatim to the interviewer (longer ones, e.g. whiteboard exports,
    #: are clipped with a marker).
    message_token_cap: int = Field(default=1000, ge=100, le=50_000)
    #: The transcript shown to the evaluator; long messages are clipped evenly to fit.
    evaluation_token_budget: int = Field(default=60_000, ge=2000, le=1_000_000)
    #: Extra attempts when an answer is not valid structured output (bad JSON, wrong schema,
    #: cut off); transport faults are retried separately (``max_retries``).
    invalid_answer_retries: int = Field(default=2, ge=0, le=5)

    @field_validator("model", "evaluator_model")
    @classmethod
    def _model_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("a model name must not be empty")
        return None if value is None else value.strip()


#: Request fields ``OpenAISettings.omit_parameters`` may leave out.
OptionalParameter = Literal["temperature", "store", "token_limit", "response_format"]


class OpenAISettings(LLMSettings):
    """An OpenAI-compatible endpoint (OpenAI, Azure OpenAI, vLLM, Ollama ...). The API key is
    not a setting: it comes only from the environment (``OPENAI_API_KEY``)."""

    base_url: str = "https://api.openai.com/v1"
    #: Seconds per HTTP attempt (the openai client's default is 600).
    timeout: float = Field(default=30.0, gt=0, le=600)
    #: Retries of timeouts, connection errors, 408/409/429 and 5xx, with the client's bounded
    #: backoff (0.5 s doubling to 8 s) or the server's ``Retry-After`` (up to 2 minutes).
    max_retries: int = Field(default=2, ge=0, le=10)
    #: "auto": ``store: false`` (keep nothing: data minimisation) is sent to OpenAI's own API
    #: (api.openai.com) only, since proxies and other servers refuse the field; true/false: sent
    #: to any server; None: never sent (as listing "store" in ``omit_parameters``).
    store: bool | Literal["auto"] | None = "auto"
    #: "json_schema" (strict structured outputs) or "json_object" for servers without it.
    structured_output: Literal["json_schema", "json_object"] = "json_schema"
    #: The request field that caps an answer's length; Ollama and older compatible servers
    #: want "max_tokens".
    token_limit_parameter: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens"
    #: Optional request fields never sent, for servers or models that refuse them:
    #: "temperature" (reasoning models), "store", "token_limit" (the field named by
    #: ``token_limit_parameter``), "response_format" (the answer is then asked for in the
    #: instructions only, and its JSON found in the text).
    omit_parameters: tuple[OptionalParameter, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _no_key_in_files(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "api_key" in data:
            raise ValueError(
                "the API key is not read from configuration files: set OPENAI_API_KEY in the "
                "environment and remove openai.api_key"
            )
        return data

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError(
                "openai.base_url must be an http(s) URL, e.g. https://api.openai.com/v1"
            )
        return value.strip()


class ServiceSettings(_Section):
    """The HTTP and WebSocket service (``interview-orchestrator serve``)."""

    #: The address people reach the service at, for the URLs of links (e.g.
    #: "https://interviews.example.com"); unset: the address the request came to.
    public_url: str | None = None
    #: Requests that spend AI (messages, ends, retries) per key or link per minute.
    ai_requests_per_minute: int = Field(default=60, ge=1, le=100_000)
    #: Library calls running at once per process (each holds a thread and, at most, one
    #: database connection).
    thread_limit: int = Field(default=40, ge=1, le=1000)
    #: Seconds between WebSocket pings, so that proxies keep idle connections open.
    websocket_ping_seconds: float = Field(default=20.0, gt=0, le=300)

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("service.public_url must be an http(s) URL")
        return value.strip().rstrip("/")


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    logging: LoggingSettings = LoggingSettings()
    interviewer: InterviewerSettings = InterviewerSettings()
    personas: PersonaSettings = PersonaSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    worker: WorkerSettings = WorkerSettings()
    service: ServiceSettings = ServiceSettings()
    openai: OpenAISettings = OpenAISettings()
    lifecycle: LifecycleSettings = LifecycleSettings()
    webhooks: WebhookSettings = WebhookSettings()

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any] | None,
        *,
        source: str = "",
        origins: Mapping[str, str] | None = None,
    ) -> Settings:
        """Validate a configuration; unknown or bad keys fail with their path, followed by
        where the value came from when ``origins`` (dotted key → origin) knows it."""
        try:
            return cls.model_validate(dict(data or {}))
        except ValidationError as exc:
            problems = "; ".join(describe_error(err, origins) for err in exc.errors())
            where = f" in {source}" if source else ""
            raise InvalidInputError(f"invalid configuration{where}: {problems}") from None

    @classmethod
    def from_layers(
        cls,
        files: Iterable[Mapping[str, Any]] = (),
        environ: Mapping[str, str] | None = None,
        explicit: Mapping[str, Any] | None = None,
    ) -> Settings:
        """The precedence, in one place: typed defaults < ``files`` in order < the variables
        of ``ENVIRONMENT_VARIABLES`` in ``environ`` < ``explicit`` arguments."""
        from_environment = values_from_environment(environ or {})
        merged = merge_layers(*files, from_environment, explicit or {})
        origins = {
            key: f"from {variable}"
            for variable, key in ENVIRONMENT_VARIABLES.items()
            if _has_key(from_environment, key) and not _has_key(explicit or {}, key)
        }
        return cls.from_mapping(merged, origins=origins)


def _has_key(values: Mapping[str, Any], dotted_key: str) -> bool:
    node: Any = values
    for part in dotted_key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def values_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings the environment sets: each variable of ``ENVIRONMENT_VARIABLES`` that is
    set and not blank (``NAME=`` leaves the setting to the files, as if unset)."""
    values: dict[str, Any] = {}
    for variable, key in ENVIRONMENT_VARIABLES.items():
        value = environ.get(variable, "").strip()
        if value:
            *sections, name = key.split(".")
            node = values
            for section in sections:
                node = node.setdefault(section, {})
            node[name] = value
    return values


def merge_layers(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """One mapping from several, later layers winning key by key: sections merge, any other
    value (lists included) replaces the one below. The layers are not modified."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            below = merged.get(key)
            if isinstance(value, Mapping) and isinstance(below, Mapping):
                merged[key] = merge_layers(below, value)
            else:
                merged[key] = deepcopy(dict(value) if isinstance(value, Mapping) else value)
    return merged


class LayeredConfiguration(providers.Configuration):
    """``container.config``, which keeps apart where values come from: a file read with
    ``container.config.from_yaml`` (or ``from_json``, ``from_ini``, or into one section:
    ``container.config.openai.from_yaml``) joins the file layer (below the environment; the
    packaged ``default.yaml`` is its first file), and whatever code writes (``from_value``,
    ``from_dict``, ``set``, ``override``) is an explicit argument (above it). Read the result
    as ``container.settings()``: ``container.config`` holds only the explicit arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        #: The file layer, lowest first: each file read, as its mapping of settings.
        self.file_layers: list[dict[str, Any]] = []
        super().__init__(*args, **kwargs)
        # dependency-injector looks children up in this mapping before creating plain ones.
        self.get_children().update(
            {name: ConfigurationSection((name,), self) for name in Settings.model_fields}
        )

    def __deepcopy__(self, memo: dict[Any, Any] | None) -> LayeredConfiguration:
        # Each container gets its own copy (dependency-injector copies the class's providers).
        copied: LayeredConfiguration = super().__deepcopy__(memo)  # type: ignore[assignment]
        copied.file_layers = deepcopy(self.file_layers, memo)
        return copied

    def from_yaml(
        self,
        filepath: Path | str,
        required: bool = False,
        loader: Any | None = None,
        envs_required: bool = False,
    ) -> None:
        """Add a YAML file to the file layer (``${NAME:default}`` in it takes the
        environment). A missing file is skipped unless ``required``; a file that is not a
        mapping of valid settings fails at once, naming the file and the key."""
        self.add_file(Path(filepath), "yaml", required, envs_required, loader=loader)

    def from_json(
        self, filepath: Path | str, required: bool = False, envs_required: bool = False
    ) -> None:
        """Add a JSON file to the file layer, as ``from_yaml`` does."""
        self.add_file(Path(filepath), "json", required, envs_required)

    def from_ini(
        self, filepath: Path | str, required: bool = False, envs_required: bool = False
    ) -> None:
        """Add an INI file (one ``[section]`` per settings section) to the file layer, as
        ``from_yaml`` does."""
        self.add_file(Path(filepath), "ini", required, envs_required)

    def add_file(
        self,
        path: Path,
        kind: Literal["yaml", "json", "ini"],
        required: bool,
        envs_required: bool | None,
        *,
        loader: Any | None = None,
        section: tuple[str, ...] = (),
    ) -> None:
        """Read one configuration file (its values under ``section`` when given) into the
        file layer, after checking that it holds valid settings."""
        layer = _read_settings_file(path, kind, required is True, envs_required, loader)
        if layer is None:
            return
        for name in reversed(section):
            layer = {name: layer}
        Settings.from_mapping(layer, source=str(path))
        self.file_layers.append(layer)


class ConfigurationSection(providers.ConfigurationOption):
    """A section of ``container.config`` (``container.config.openai``): a file read into it
    joins the file layer, like a whole file; values written to it are explicit arguments."""

    def from_yaml(
        self,
        filepath: Path | str,
        required: bool = False,
        loader: Any | None = None,
        envs_required: bool | None = False,
    ) -> None:
        """Add a YAML file holding this section's keys to the file layer."""
        self._add_file(Path(filepath), "yaml", required, envs_required, loader)

    def from_json(
        self, filepath: Path | str, required: bool = False, envs_required: bool | None = False
    ) -> None:
        """Add a JSON file holding this section's keys to the file layer."""
        self._add_file(Path(filepath), "json", required, envs_required, None)

    def from_ini(
        self, filepath: Path | str, required: bool = False, envs_required: bool | None = False
    ) -> None:
        """INI files hold whole sections: read one with ``container.config.from_ini``."""
        raise InvalidInputError(
            f"configuration file {filepath}: an INI file holds whole [sections]; read it with "
            "container.config.from_ini"
        )

    def _add_file(
        self,
        path: Path,
        kind: Literal["yaml", "json"],
        required: bool,
        envs_required: bool | None,
        loader: Any | None,
    ) -> None:
        root = self._get_root()
        assert isinstance(root, LayeredConfiguration)
        root.add_file(
            path,
            kind,
            required,
            envs_required,
            loader=loader,
            section=tuple(str(part) for part in self.get_name_segments()),
        )


def _read_settings_file(
    path: Path,
    kind: Literal["yaml", "json", "ini"],
    required: bool,
    envs_required: bool | None,
    loader: Any | None,
) -> dict[str, Any] | None:
    """The mapping a configuration file holds, its ``${NAME:default}`` placeholders filled
    from the environment; None for a missing file that is not ``required``. Anything else
    wrong fails with one line naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        if required:
            raise InvalidInputError(
                f"configuration file {path} cannot be read: {exc.strerror}"
            ) from None
        return None
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"configuration file {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
            f"at position {exc.start})"
        ) from None
    if kind != "ini":
        _check_document(path, kind, text, loader)
    document = _interpolated(path, kind, envs_required, loader)
    if document is None or document == {}:
        raise _sets_nothing(path)
    if not isinstance(document, dict):
        raise InvalidInputError(
            f"configuration file {path} must be a mapping of sections, "
            "e.g. 'database: {url: ...}'"
        )
    return document


def _sets_nothing(path: Path) -> InvalidInputError:
    # Given a file, a user expects it to count: an empty one (a failed template expansion,
    # the wrong file) would otherwise leave every default, the database too.
    return InvalidInputError(
        f"configuration file {path} sets nothing (it is empty or only comments): "
        "give at least one section, e.g. 'database: {url: ...}'"
    )


def _interpolated(
    path: Path,
    kind: Literal["yaml", "json", "ini"],
    envs_required: bool | None,
    loader: Any | None,
) -> Any:
    """The file as dependency-injector reads it, its ${NAME:default} placeholders filled
    (None: left as written)."""
    interpolated = providers.Configuration()
    envs: Any = envs_required  # the stubs of the root's readers leave out None
    try:
        if kind == "yaml":
            interpolated.from_yaml(path, required=True, loader=loader, envs_required=envs)
        elif kind == "json":
            interpolated.from_json(path, required=True, envs_required=envs)
        else:
            interpolated.from_ini(path, required=True, envs_required=envs)
    except yaml.YAMLError as exc:
        # The values come from the environment (passwords too): never echoed.
        raise InvalidInputError(
            f"configuration file {path} is not valid YAML once its ${{NAME}} placeholders "
            f"are filled from the environment: {yaml_problem(exc)}"
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"configuration file {path} is not valid JSON once its ${{NAME}} placeholders "
            f"are filled from the environment: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except configparser.Error as exc:
        problem = " ".join(str(exc).splitlines()[0].split())
        raise InvalidInputError(f"configuration file {path} is not valid INI: {problem}") from None
    except ValueError as exc:  # envs_required and a variable is not set
        raise InvalidInputError(f"configuration file {path}: {exc}") from None
    return interpolated()


def _check_document(
    path: Path, kind: Literal["yaml", "json"], text: str, loader: Any | None
) -> None:
    """Fail with one line on a file that cannot be read or is not a mapping, before
    dependency-injector reads it."""
    try:
        if kind == "json":
            document = json.loads(text)
        else:
            document = yaml.load(text, loader or yaml.SafeLoader)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"configuration file {path} is not valid JSON: line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InvalidInputError(f"configuration file {path} is nested too deeply") from None
    except yaml.YAMLError as exc:
        raise InvalidInputError(
            f"configuration file {path} is not valid YAML: {yaml_problem(exc)}"
        ) from None
    if document is None or document == {}:
        raise _sets_nothing(path)
    if not isinstance(document, dict):
        raise InvalidInputError(
            f"configuration file {path} must be a mapping of sections, "
            "e.g. 'database: {url: ...}'"
        )


#: PyYAML's name for a tag written ``!!name``.
_STANDARD_TAG_PREFIX: Final = "tag:yaml.org,2002:"
_UNKNOWN_TAG = re.compile(r"could not determine a constructor for the tag '([^']*)'")


def yaml_problem(exc: yaml.YAMLError) -> str:
    """What is wrong and where, on one line, without PyYAML's excerpt of the text."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem is None:
        return " ".join(str(exc).splitlines()[0].split()) if str(exc) else type(exc).__name__
    mark = exc.problem_mark
    where = "" if mark is None else f"line {mark.line + 1}, column {mark.column + 1}: "
    problem = " ".join(exc.problem.split())
    if unknown := _UNKNOWN_TAG.search(problem):
        tag = unknown.group(1)
        if tag.startswith(_STANDARD_TAG_PREFIX):
            tag = "!!" + tag.removeprefix(_STANDARD_TAG_PREFIX)
        return f"{where}the tag {tag!r} is not allowed (plain values only: nothing is run)"
    if "'\\t'" in problem or "tab character" in problem:
        problem += " (YAML does not allow tabs for indentation: use spaces)"
    return where + problem


def current_settings(config: LayeredConfiguration) -> Settings:
    """The settings from every layer as it is now: the container reads them whenever it
    builds a provider, so a write to ``container.config`` is never silently ignored."""
    return Settings.from_layers(config.file_layers, os.environ, config() or {})

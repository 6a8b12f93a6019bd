"""Typed settings: defaults in code, overlaid by ``config/default.yaml``, then the environment.

The container loads the YAML (with ``${ENV:default}`` interpolation) into its
``providers.Configuration``; ``Settings`` validates the result so a bad value fails at start-up
with a message that names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import InvalidInputError

PACKAGE_CONFIG_DIR = Path(__file__).parent / "config"
DEFAULT_CONFIG_FILE = PACKAGE_CONFIG_DIR / "default.yaml"
DEFAULT_DATABASE_URL = "sqlite:///./var/interviews.db"


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


class InterviewerSettings(_Section):
    #: How many recent messages the interviewer sees per turn (bounded cost per turn).
    context_messages: int = Field(default=20, ge=2, le=200)
    #: How long a candidate's message may wait for its reply before the turn is taken to be
    #: abandoned (its process died) and the session accepts the next message. Longer than the
    #: slowest reply the provider may take (timeout × attempts).
    turn_timeout_seconds: int = Field(default=300, ge=5, le=3600)
    #: Extra directories searched for ``<template>.yaml`` before the built-in templates.
    template_dirs: tuple[Path, ...] = ()


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


class OpenAISettings(LLMSettings):
    """An OpenAI-compatible endpoint (OpenAI, Azure OpenAI, vLLM, Ollama ...). The API key is
    not a setting: it comes only from the environment (``OPENAI_API_KEY``)."""

    base_url: str = "https://api.openai.com/v1"
    #: Seconds per HTTP attempt (the openai client's default is 600).
    timeout: float = Field(default=30.0, gt=0, le=600)
    #: Retries of timeouts, connection errors, 408/409/429 and 5xx, with the client's bounded
    #: backoff (0.5 s doubling to 8 s) or the server's ``Retry-After`` (up to 2 minutes).
    max_retries: int = Field(default=2, ge=0, le=10)
    #: False asks the provider not to keep requests and answers (data minimisation); None
    #: leaves the field out, for compatible servers that refuse it.
    store: bool | None = False
    #: "json_schema" (strict structured outputs) or "json_object" for servers without it.
    structured_output: Literal["json_schema", "json_object"] = "json_schema"
    #: The request field that caps an answer's length; older compatible servers want
    #: "max_tokens".
    token_limit_parameter: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens"

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


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    logging: LoggingSettings = LoggingSettings()
    interviewer: InterviewerSettings = InterviewerSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    worker: WorkerSettings = WorkerSettings()
    openai: OpenAISettings = OpenAISettings()
    lifecycle: LifecycleSettings = LifecycleSettings()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Settings:
        """Validate the container's configuration; unknown or bad keys fail with their path."""
        try:
            return cls.model_validate(dict(data or {}))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise InvalidInputError(f"invalid configuration: {problems}") from None

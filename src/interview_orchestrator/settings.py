"""Typed settings: defaults in code, overlaid by ``config/default.yaml``, then the environment.

The container loads the YAML (with ``${ENV:default}`` interpolation) into its
``providers.Configuration``; ``Settings`` validates the result so a bad value fails at start-up
with a message that names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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
    #: Extra directories searched for ``<template>.yaml`` before the built-in templates.
    template_dirs: tuple[Path, ...] = ()


class EvaluationSettings(_Section):
    #: A RUNNING evaluation older than this is taken to have died with its process.
    stale_after_seconds: int = Field(default=600, ge=10)


class LifecycleSettings(_Section):
    """Time rules enforced server-side (``sweep`` and lazily on every operation)."""

    #: An ACTIVE session with no activity for this long is paused.
    idle_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    #: A PAUSED session with no activity for this long is ended as abandoned.
    abandon_after_hours: int = Field(default=24, ge=1, le=24 * 365)
    #: A PENDING evaluation older than this is taken to be left by a crash.
    pending_grace_seconds: int = Field(default=60, ge=0)
    sweep_batch_size: int = Field(default=500, ge=1, le=10_000)


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    logging: LoggingSettings = LoggingSettings()
    interviewer: InterviewerSettings = InterviewerSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
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

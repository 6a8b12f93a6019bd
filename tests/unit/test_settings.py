"""The precedence of the settings' layers, on plain mappings (no files, no container):
typed defaults < files in order < environment variables < explicit arguments."""

from __future__ import annotations

from typing import Any

import pytest

from interview_orchestrator.errors import InvalidInputError
from interview_orchestrator.settings import (
    DEFAULT_DATABASE_URL,
    ENVIRONMENT_VARIABLES,
    Settings,
    merge_layers,
    values_from_environment,
)

# (environment variable, section, key, a value for each layer: file, later file, env, explicit)
SETTINGS_UNDER_TEST = [
    pytest.param(
        "INTERVIEW_DATABASE_URL",
        "database",
        "url",
        ["sqlite:///file.db", "sqlite:///later.db", "sqlite:///env.db", "sqlite:///explicit.db"],
        id="database.url",
    ),
    pytest.param(
        "INTERVIEW_OPENAI_MODEL",
        "openai",
        "model",
        ["file-model", "later-model", "env-model", "explicit-model"],
        id="openai.model",
    ),
    pytest.param(
        "INTERVIEW_IDLE_TIMEOUT_MINUTES",
        "lifecycle",
        "idle_timeout_minutes",
        [11, 12, "13", 14],
        id="lifecycle.idle_timeout_minutes",
    ),
]


def value_of(settings: Settings, section: str, key: str) -> Any:
    return getattr(getattr(settings, section), key)


@pytest.mark.parametrize(("variable", "section", "key", "values"), SETTINGS_UNDER_TEST)
def test_a_file_beats_the_typed_defaults(
    variable: str, section: str, key: str, values: list[Any]
) -> None:
    settings = Settings.from_layers(files=[{section: {key: values[0]}}])
    assert value_of(settings, section, key) == values[0]


@pytest.mark.parametrize(("variable", "section", "key", "values"), SETTINGS_UNDER_TEST)
def test_a_later_file_beats_an_earlier_one(
    variable: str, section: str, key: str, values: list[Any]
) -> None:
    settings = Settings.from_layers(
        files=[{section: {key: values[0]}}, {section: {key: values[1]}}]
    )
    assert value_of(settings, section, key) == values[1]


@pytest.mark.parametrize(("variable", "section", "key", "values"), SETTINGS_UNDER_TEST)
def test_the_environment_beats_every_file(
    variable: str, section: str, key: str, values: list[Any]
) -> None:
    settings = Settings.from_layers(
        files=[{section: {key: values[0]}}, {section: {key: values[1]}}],
        environ={variable: str(values[2])},
    )
    assert str(value_of(settings, section, key)) == str(values[2])


@pytest.mark.parametrize(("variable", "section", "key", "values"), SETTINGS_UNDER_TEST)
def test_an_explicit_argument_beats_the_environment(
    variable: str, section: str, key: str, values: list[Any]
) -> None:
    settings = Settings.from_layers(
        files=[{section: {key: values[0]}}],
        environ={variable: str(values[2])},
        explicit={section: {key: values[3]}},
    )
    assert value_of(settings, section, key) == values[3]


def test_layers_merge_key_by_key_within_a_section() -> None:
    settings = Settings.from_layers(
        files=[{"openai": {"timeout": 12, "model": "file-model"}}],
        environ={"INTERVIEW_OPENAI_MODEL": "env-model"},
        explicit={"openai": {"max_retries": 5}},
    )
    assert (settings.openai.timeout, settings.openai.model, settings.openai.max_retries) == (
        12,
        "env-model",
        5,
    )


def test_nothing_set_gives_the_typed_defaults() -> None:
    assert Settings.from_layers() == Settings()
    assert Settings.from_layers().database.url == DEFAULT_DATABASE_URL


def test_a_blank_environment_variable_counts_as_unset() -> None:
    settings = Settings.from_layers(
        files=[{"database": {"url": "sqlite:///file.db"}}],
        environ={"INTERVIEW_DATABASE_URL": "  "},
    )
    assert settings.database.url == "sqlite:///file.db"


def test_only_the_variables_of_the_table_are_read() -> None:
    environ = {"OPENAI_API_KEY": "sk-not-a-setting", "INTERVIEW_TIMEOUT": "5", "HOME": "/root"}
    assert values_from_environment(environ) == {}


@pytest.mark.parametrize(("variable", "key"), sorted(ENVIRONMENT_VARIABLES.items()))
def test_every_variable_of_the_table_names_a_setting(variable: str, key: str) -> None:
    section, name = key.split(".")
    assert name in type(getattr(Settings(), section)).model_fields, variable


def test_the_evaluation_mode_is_taken_from_the_environment() -> None:
    settings = Settings.from_layers(environ={"INTERVIEW_EVALUATION_MODE": "background"})
    assert settings.evaluation.mode == "background"


def test_a_bad_environment_value_names_its_key_and_variable() -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"database\.auto_migrate: .* \(from INTERVIEW_DATABASE_AUTO_MIGRATE\)",
    ):
        Settings.from_layers(environ={"INTERVIEW_DATABASE_AUTO_MIGRATE": "sometimes"})


def test_a_bad_environment_value_hidden_by_an_explicit_argument_is_harmless() -> None:
    settings = Settings.from_layers(
        environ={"INTERVIEW_DATABASE_AUTO_MIGRATE": "sometimes"},
        explicit={"database": {"auto_migrate": "never"}},
    )
    assert settings.database.auto_migrate == "never"


def test_a_bad_explicit_value_names_its_key() -> None:
    with pytest.raises(InvalidInputError, match=r"lifecycle\.idle_timeout_minutes"):
        Settings.from_layers(explicit={"lifecycle": {"idle_timeout_minutes": 0}})


def test_the_log_level_is_accepted_in_any_case() -> None:
    settings = Settings.from_layers(environ={"INTERVIEW_LOG_LEVEL": "debug"})
    assert settings.logging.level == "DEBUG"


def test_merging_leaves_the_layers_unchanged() -> None:
    below = {"openai": {"model": "a", "timeout": 5}}
    above = {"openai": {"model": "b"}, "interviewer": {"template_dirs": ["x"]}}
    merged = merge_layers(below, above)
    merged["openai"]["timeout"] = 99
    merged["interviewer"]["template_dirs"].append("y")
    assert below == {"openai": {"model": "a", "timeout": 5}}
    assert above == {"openai": {"model": "b"}, "interviewer": {"template_dirs": ["x"]}}

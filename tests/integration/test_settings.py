"""Where the container's settings come from, through the real container, files and command line:
typed defaults < the packaged default.yaml < a user's file < environment variables < explicit
arguments (``container.config`` writes, ``Container.from_settings``, command-line options)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from interview_orchestrator import Container, SessionConfig, SessionManager
from interview_orchestrator.cli import app
from interview_orchestrator.cli.app import build_container
from interview_orchestrator.errors import InvalidInputError
from interview_orchestrator.settings import DEFAULT_DATABASE_URL, Settings
from interview_orchestrator.store import create_engine_for, migrate


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTERVIEW_LOG_LEVEL", "INTERVIEW_OPENAI_MODEL", "INTERVIEW_EVALUATION_MODE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def user_file(tmp_path: Path) -> Path:
    """A user's configuration file setting database.url and openai.model."""
    path = tmp_path / "interviews.yaml"
    path.write_text(
        "database:\n  url: sqlite:///from-file.db\nopenai:\n  model: file-model\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def container() -> Iterator[Any]:
    built = Container()
    yield built
    built.shutdown_resources()


def test_the_packaged_file_gives_the_documented_defaults(container: Any) -> None:
    settings: Settings = container.settings()
    assert settings.database.url == DEFAULT_DATABASE_URL
    assert (settings.openai.model, settings.evaluation.mode) == ("gpt-4o-mini", "now")


def test_a_user_file_beats_the_packaged_defaults(container: Any, user_file: Path) -> None:
    container.config.from_yaml(user_file, required=True)
    settings: Settings = container.settings()
    assert (settings.database.url, settings.openai.model) == (
        "sqlite:///from-file.db",
        "file-model",
    )
    assert settings.openai.timeout == 30


def test_the_environment_beats_a_user_file(
    container: Any, user_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("INTERVIEW_OPENAI_MODEL", "env-model")
    container.config.from_yaml(user_file, required=True)
    settings: Settings = container.settings()
    assert (settings.database.url, settings.openai.model) == ("sqlite:///from-env.db", "env-model")


def test_a_write_to_config_beats_the_environment(
    container: Any, user_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("INTERVIEW_OPENAI_MODEL", "env-model")
    container.config.from_yaml(user_file, required=True)
    container.config.database.url.from_value("sqlite:///from-code.db")
    container.config.from_dict({"openai": {"model": "code-model"}})
    settings: Settings = container.settings()
    assert (settings.database.url, settings.openai.model) == (
        "sqlite:///from-code.db",
        "code-model",
    )


def test_the_environment_beats_a_json_file(
    container: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "interviews.json"
    path.write_text(
        '{"database": {"url": "sqlite:///from-file.db"}, "openai": {"timeout": 12}}',
        encoding="utf-8",
    )
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", "sqlite:///from-env.db")
    container.config.from_json(path, required=True)
    settings: Settings = container.settings()
    assert (settings.database.url, settings.openai.timeout) == ("sqlite:///from-env.db", 12)


def test_the_environment_beats_an_ini_file(
    container: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "interviews.ini"
    path.write_text(
        "[database]\nurl = sqlite:///from-file.db\n[openai]\ntimeout = 12\n", encoding="utf-8"
    )
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", "sqlite:///from-env.db")
    container.config.from_ini(path, required=True)
    settings: Settings = container.settings()
    assert (settings.database.url, settings.openai.timeout) == ("sqlite:///from-env.db", 12)


def test_the_environment_beats_a_file_read_into_one_section(
    container: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "database.yaml"
    path.write_text("url: sqlite:///from-file.db\nsqlite_synchronous: NORMAL\n", encoding="utf-8")
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", "sqlite:///from-env.db")
    container.config.database.from_yaml(path, required=True)
    settings: Settings = container.settings()
    assert (settings.database.url, settings.database.sqlite_synchronous) == (
        "sqlite:///from-env.db",
        "NORMAL",
    )


def test_a_bad_value_in_a_json_file_fails_at_once_naming_the_file_and_key(
    container: Any, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"evaluation": {"mode": "later"}}', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=rf"in {path}: evaluation\.mode"):
        container.config.from_json(path)


def test_a_write_to_config_after_the_settings_were_read_is_seen(container: Any) -> None:
    assert container.settings().evaluation.mode == "now"
    container.config.evaluation.mode.from_value("background")
    assert container.settings().evaluation.mode == "background"


def test_a_file_read_after_the_settings_were_read_is_seen(container: Any, user_file: Path) -> None:
    assert container.settings().openai.model == "gpt-4o-mini"
    container.config.from_yaml(user_file, required=True)
    assert container.settings().openai.model == "file-model"


def test_a_later_write_reaches_the_providers_built_after_it(container: Any) -> None:
    container.settings()
    container.config.lifecycle.idle_timeout_minutes.from_value(7)
    assert container.time_policy().idle_timeout == timedelta(minutes=7)


def test_each_container_has_its_own_files_and_writes(user_file: Path) -> None:
    first, second = Container(), Container()
    first.config.from_yaml(user_file, required=True)
    first.config.evaluation.mode.from_value("background")
    assert second.settings() == Container().settings()
    assert second.settings().openai.model == "gpt-4o-mini"


def test_a_file_may_take_values_from_the_environment(
    container: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "placeholders.yaml"
    path.write_text(
        "openai:\n  evaluator_model: ${EVALUATOR_FOR_TEST:fallback}\n", encoding="utf-8"
    )
    monkeypatch.setenv("EVALUATOR_FOR_TEST", "from-placeholder")
    container.config.from_yaml(path)
    assert container.settings().openai.evaluator_model == "from-placeholder"


def test_a_bad_value_in_a_file_fails_at_once_naming_the_file_and_key(
    container: Any, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("database:\n  auto_migrate: sometimes\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=rf"in {path}: database\.auto_migrate"):
        container.config.from_yaml(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [("- a list\n", "must be a mapping of sections"), ("database: [\n", "not valid YAML")],
    ids=["a list", "broken YAML"],
)
def test_a_file_that_is_not_a_mapping_of_settings_is_refused(
    container: Any, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        container.config.from_yaml(path)


def test_a_missing_file_is_skipped_unless_required(container: Any, tmp_path: Path) -> None:
    container.config.from_yaml(tmp_path / "absent.yaml")
    assert container.settings() == Container().settings()
    with pytest.raises(InvalidInputError, match="cannot be read"):
        container.config.from_yaml(tmp_path / "absent.yaml", required=True)


def test_an_api_key_is_still_refused_in_a_file(container: Any, tmp_path: Path) -> None:
    path = tmp_path / "key.yaml"
    path.write_text("openai:\n  api_key: sk-should-not-be-here\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="set OPENAI_API_KEY in the environment"):
        container.config.from_yaml(path)


# --- Container.from_settings


def test_from_settings_arguments_beat_files_and_environment(
    user_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("INTERVIEW_EVALUATION_MODE", "now")
    built = Container.from_settings(
        config_files=[user_file],
        database_url="sqlite:///explicit.db",
        evaluation={"mode": "background"},
    )
    settings: Settings = built.settings()
    assert settings.database.url == "sqlite:///explicit.db"
    assert settings.evaluation.mode == "background"
    assert settings.openai.model == "file-model"


def test_from_settings_takes_a_settings_object_whose_set_fields_are_explicit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("INTERVIEW_OPENAI_MODEL", "env-model")
    given = Settings.from_mapping({"openai": {"model": "explicit-model"}})
    settings: Settings = Container.from_settings(given).settings()
    assert settings.openai.model == "explicit-model"
    assert settings.database.url == "sqlite:///from-env.db"


def test_from_settings_sections_by_name_beat_the_settings_object() -> None:
    given = {"openai": {"model": "object-model", "timeout": 5}}
    settings: Settings = Container.from_settings(given, openai={"model": "named-model"}).settings()
    assert (settings.openai.model, settings.openai.timeout) == ("named-model", 5)


def test_from_settings_writes_can_still_be_changed_in_code() -> None:
    built = Container.from_settings(evaluation={"mode": "background"})
    built.config.evaluation.mode.from_value("now")
    assert built.settings().evaluation.mode == "now"


def test_from_settings_refuses_a_bad_value_naming_its_key() -> None:
    with pytest.raises(InvalidInputError, match=r"openai\.timeout"):
        Container.from_settings(openai={"timeout": -1})


def test_from_settings_refuses_an_unknown_section() -> None:
    with pytest.raises(InvalidInputError, match=r"databse: Extra inputs are not permitted"):
        Container.from_settings(databse={"url": "sqlite:///typo.db"})


def test_from_settings_builds_a_manager_on_the_given_database(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "from-env.db"
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", f"sqlite:///{elsewhere}")
    built = Container.from_settings(database_url=database_url, logging={"enabled": False})
    try:
        manager: SessionManager = built.session_manager()
        session = manager.create_session(SessionConfig(), user_id="from-settings")
        assert manager.get_session(session.id).user_id == "from-settings"
    finally:
        built.shutdown_resources()
    assert not elsewhere.exists()


# --- the command line


def test_cli_database_url_option_beats_the_environment(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "from-env.db"
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", f"sqlite:///{elsewhere}")
    result = CliRunner().invoke(app, ["--database-url", database_url, "db", "current"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == migrate.head_revision()
    assert not elsewhere.exists()


def test_cli_environment_beats_the_config_file(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_file = tmp_path / "from-file.db"
    config = tmp_path / "cli.yaml"
    config.write_text(f"database:\n  url: sqlite:///{from_file}\n", encoding="utf-8")
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["--config", str(config), "db", "current"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == migrate.head_revision()
    assert not from_file.exists()


def test_cli_database_url_option_is_used_without_any_environment(tmp_path: Path) -> None:
    database = tmp_path / "option.db"
    result = CliRunner().invoke(app, ["--database-url", f"sqlite:///{database}", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        assert migrate.current(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_cli_logs_are_quiet_unless_something_sets_the_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cli.yaml"
    config.write_text("logging:\n  level: WARNING\n", encoding="utf-8")
    assert build_container().settings().logging.level == "ERROR"
    assert build_container(config_file=config).settings().logging.level == "WARNING"
    monkeypatch.setenv("INTERVIEW_LOG_LEVEL", "info")
    assert build_container(config_file=config).settings().logging.level == "INFO"
    assert build_container(log_level="debug").settings().logging.level == "DEBUG"


def test_cli_a_bad_option_value_is_one_line_and_exit_code_one() -> None:
    result = CliRunner().invoke(app, ["--log-level", "loud", "db", "current"])
    assert result.exit_code == 1
    assert "logging.level" in result.output and "Traceback" not in result.output


def test_cli_a_bad_environment_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEW_EVALUATION_MODE", "later")
    result = CliRunner().invoke(app, ["db", "current"])
    assert result.exit_code == 1
    assert "evaluation.mode" in result.output and "INTERVIEW_EVALUATION_MODE" in result.output

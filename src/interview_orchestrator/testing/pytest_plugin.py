"""pytest fixtures for testing a platform against interview-orchestrator.

Installed with the package (entry point ``pytest11``), so the fixtures are available in any
test suite of an environment where the package is installed:

- ``interview_logs``: the JSON log lines the library wrote during the test, parsed.
- ``interview_container``: a ``Container`` on a new, migrated SQLite database under the test's
  ``tmp_path``, logging into ``interview_logs``.
- ``session_manager``: ``interview_container.session_manager()``; sessions use the offline
  provider unless their config names another.
- ``scripted_openai_server``: a started ``ScriptedOpenAIServer``, closed after the test; call
  ``scripted_openai_server.connect(interview_container)`` before the first session to run the
  ``openai`` provider against it.

The library is imported when a fixture is first used, not when pytest starts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..container import Container
    from ..session_manager import SessionManager
    from .server import ScriptedOpenAIServer


class _LineSink:
    """A logger that keeps every rendered JSON line, parsed, in a list."""

    def __init__(self, lines: list[dict[str, Any]]) -> None:
        self._lines = lines

    def msg(self, message: str) -> None:
        self._lines.append(json.loads(message))

    def __getattr__(self, name: str) -> Any:  # info, warning, error ... all keep the line
        return self.msg


def capturing_logger(lines: list[dict[str, Any]]) -> Any:
    """The library's logger (same processors, same redaction) writing into ``lines``."""
    import structlog

    from ..logging import processors

    return structlog.wrap_logger(
        _LineSink(lines), processors=processors(), wrapper_class=structlog.stdlib.BoundLogger
    )


@pytest.fixture
def interview_logs() -> list[dict[str, Any]]:
    """The JSON log lines the library writes during the test (through
    ``interview_container``), parsed into dicts."""
    return []


@pytest.fixture
def interview_container(
    tmp_path: Path, interview_logs: list[dict[str, Any]]
) -> Iterator[Container]:
    """A ``Container`` on a new SQLite database under ``tmp_path`` (migrated on first use),
    logging into ``interview_logs``; its resources are shut down after the test."""
    from dependency_injector import providers

    from ..container import Container

    container = Container()
    container.config.database.url.from_value(f"sqlite:///{tmp_path / 'interviews.db'}")
    container.config.database.auto_migrate.from_value("always")
    container.logger.override(providers.Object(capturing_logger(interview_logs)))
    try:
        yield container
    finally:
        container.shutdown_resources()


@pytest.fixture
def session_manager(interview_container: Container) -> SessionManager:
    """A ready ``SessionManager`` on ``interview_container`` (temporary SQLite database,
    offline provider by default, logs in ``interview_logs``)."""
    manager: SessionManager = interview_container.session_manager()
    return manager


@pytest.fixture
def scripted_openai_server() -> Iterator[ScriptedOpenAIServer]:
    """A started ``ScriptedOpenAIServer`` on 127.0.0.1 (empty script), closed after the test."""
    from .server import ScriptedOpenAIServer

    with ScriptedOpenAIServer() as server:
        yield server

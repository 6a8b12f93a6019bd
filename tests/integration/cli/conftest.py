"""The command line's fixtures: the production container on a migrated test database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from interview_orchestrator import Container, SessionManager


@pytest.fixture
def container(database_url: str) -> Iterator[Any]:
    """The production container on a migrated test database, logging off."""
    built = Container()
    built.config.database.url.from_value(database_url)
    built.config.database.auto_migrate.from_value("always")
    built.config.logging.enabled.from_value(False)
    yield built
    built.shutdown_resources()


@pytest.fixture
def manager(container: Any) -> SessionManager:
    manager: SessionManager = container.session_manager()
    return manager

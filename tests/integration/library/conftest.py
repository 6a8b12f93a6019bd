"""A production container on each database for the library's platform features."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    """An unscoped manager: it sees every tenant (an operator's view)."""
    built: SessionManager = container.session_manager()
    return built


@pytest.fixture
def gated(container: Any, hook_interviewer: Callable[[Any], Any]) -> Any:
    """The container's offline interviewer, hooked (``before_reply``): ask for it before
    ``manager``, which takes the interviewer the container has when it is built."""
    return hook_interviewer(container)

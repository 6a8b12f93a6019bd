"""The service through FastAPI's TestClient, on each database: ``client`` is the app built by
``create_app`` on a production container (logging off); ``callers`` makes API keys of each role
and tenant and session links of each kind (see ``api_support``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_support import Callers, build_container
from fastapi.testclient import TestClient

from interview_orchestrator import Container
from interview_orchestrator.api import create_app


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = build_container(database_url)
    yield built
    built.shutdown_resources()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The app on ``container``, its lifespan running (no background work: tests run the
    worker themselves)."""
    with TestClient(create_app(container)) as test_client:
        yield test_client


@pytest.fixture
def callers(container: Container) -> Callers:
    return Callers(container)


@pytest.fixture
def hooked(container: Container, hook_interviewer: Callable[[Any], Any]) -> Any:
    """The container's offline interviewer with a ``before_reply`` hook (ask for it before
    ``client``: the hook must be in place before the first request builds a manager)."""
    return hook_interviewer(container)

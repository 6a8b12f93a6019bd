"""The event WebSocket through FastAPI's TestClient, on each database: the app on a production
container with a short heartbeat, callers made with the real ``AccessManager``, sessions made
and driven with the tenant's ``SessionManager``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from event_socket_support import HEARTBEAT, TENANT, Callers, StalledClients
from fastapi.testclient import TestClient

from interview_orchestrator import Container, SessionConfig, SessionManager
from interview_orchestrator.api import create_app


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    """A production container on the test database: logging off, a short heartbeat."""
    built = Container()
    built.config.database.url.from_value(database_url)
    built.config.database.auto_migrate.from_value("never")
    built.config.logging.enabled.from_value(False)
    built.config.service.websocket_ping_seconds.from_value(HEARTBEAT)
    yield built
    built.shutdown_resources()


@pytest.fixture
def callers(container: Container) -> Callers:
    return Callers(container)


@pytest.fixture
def manager(container: Container) -> SessionManager:
    """The tenant's manager, to make and drive sessions as the library does."""
    scoped: SessionManager = container.session_manager(tenant_id=TENANT)
    return scoped


@pytest.fixture
def new_session(manager: SessionManager) -> Callable[[], str]:
    def make() -> str:
        return manager.create_session(SessionConfig()).id

    return make


@pytest.fixture
def started_session(manager: SessionManager, new_session: Callable[[], str]) -> str:
    """A session with a few events: started, the opening question, paused, resumed."""
    sid = new_session()
    manager.start_session(sid)
    manager.pause_session(sid)
    manager.resume_session(sid)
    return sid


@pytest.fixture
def app(container: Container) -> Any:
    return create_app(container)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    """The app with its lifespan running; a transport that can stall chosen sockets."""
    with TestClient(StalledClients(app)) as test_client:
        yield test_client

"""Webhook tests on each database: a production container with quick webhook settings, a
receiving server on loopback, the webhook service and an unscoped session manager."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webhook_receiver import FakeClock, Receiver, build_container

from interview_orchestrator import Container, SessionManager
from interview_orchestrator.webhooks import WebhookService


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = build_container(database_url)
    yield built
    built.shutdown_resources()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def manager(container: Container) -> SessionManager:
    built: SessionManager = container.session_manager()
    return built


@pytest.fixture
def service(container: Container) -> WebhookService:
    built: WebhookService = container.webhook_service()
    return built


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()

"""The dashboard through FastAPI's TestClient, on each database: the app built by
``create_app`` on a production container (logging off); ``visitors`` opens browsers (a
client with a cookie jar of its own each) on it; keys and sessions are made with the real
``AccessManager`` and the tenant's ``SessionManager``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_support import Callers, build_container
from dashboard_support import Visitor

from interview_orchestrator import Container
from interview_orchestrator.api import create_app


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = build_container(database_url)
    yield built
    built.shutdown_resources()


@pytest.fixture
def app(container: Container) -> Iterator[FastAPI]:
    """The app, its lifespan running for the test."""
    application = create_app(container)
    with TestClient(application):
        yield application


@pytest.fixture
def callers(container: Container) -> Callers:
    return Callers(container)


@pytest.fixture
def visitors(app: FastAPI) -> Iterator[Callable[..., Visitor]]:
    """``visitors(base_url="http://testserver")``: a new browser on the dashboard."""
    opened: list[TestClient] = []

    def open_one(base_url: str = "http://testserver") -> Visitor:
        client = TestClient(app, base_url=base_url, follow_redirects=False)
        opened.append(client)
        return Visitor(client)

    yield open_one
    for client in opened:
        client.close()

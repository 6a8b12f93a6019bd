"""Property-based fuzzing of the service against its own OpenAPI document (schemathesis): no
generated request makes it answer 500, and every error is problem+json.

Each operation of the document is a test of its own, driven by schemathesis' Hypothesis
strategy for that operation (its pytest loader does not run on this pytest)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from interview_orchestrator import Container, SessionConfig
from interview_orchestrator.api import create_app

#: Every (method, path) of the document; reading it touches no database.
OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in create_app(Container()).openapi()["paths"].items()
    for method in methods
)
EXAMPLES = 60


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on a SQLite file, an admin key, and an ACTIVE session to aim at."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    container = Container()
    container.config.database.url.from_value(url)
    container.config.logging.enabled.from_value(False)
    app = create_app(container)
    _, token = container.access_manager().create_key("fuzzer", "admin", "default")
    manager = container.session_manager()
    active = manager.create_session(SessionConfig())
    manager.start_session(active.id)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    yield {"schema": schema, "token": token, "session_id": active.id}
    container.shutdown_resources()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_request_makes_the_service_fail(fuzzed: dict[str, Any], method: str, path: str) -> None:
    operation = fuzzed["schema"][path][method]
    headers = {"Authorization": f"Bearer {fuzzed['token']}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        database=None,
    )
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500 or response.status_code in (502, 503), (
            f"{case.method} {case.formatted_path} answered {response.status_code}: "
            f"{response.text[:500]}"
        )
        if response.status_code >= 400:
            given = response.headers.get("content-type", "")
            content_type = given[0] if isinstance(given, list) else given
            assert content_type.startswith("application/problem+json"), (
                f"{case.method} {case.formatted_path}: {response.status_code} {content_type}"
            )
            assert {"type", "title", "status", "detail"} <= set(response.json())

    check()

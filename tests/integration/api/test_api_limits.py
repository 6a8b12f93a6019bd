"""Limits the service enforces: AI requests per caller per minute, counted in the database (so
every process shares the count), and a session's turn budget."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from api_support import ANSWERS, API, Callers, bearer, build_container
from dependency_injector import providers
from fastapi.testclient import TestClient
from sqlalchemy import select

from interview_orchestrator import Container
from interview_orchestrator.api import create_app
from interview_orchestrator.store.schema import RATE_LIMIT_WINDOWS

#: Ten seconds into a minute: the window has 50 s left, whenever the test runs.
NOW = datetime(2026, 3, 2, 9, 30, 10, tzinfo=UTC)
PER_MINUTE = 3


def _frozen() -> datetime:
    return NOW


@pytest.fixture
def two_apps(database_url: str) -> Iterator[tuple[Container, TestClient, TestClient]]:
    """Two apps, each on a container of its own, on one database, limited to three AI
    requests a minute, with the clock stopped inside a window."""
    containers = [
        build_container(database_url, service={"ai_requests_per_minute": PER_MINUTE})
        for _ in range(2)
    ]
    for container in containers:
        container.clock.override(providers.Object(_frozen))
    with (
        TestClient(create_app(containers[0])) as first,
        TestClient(create_app(containers[1])) as second,
    ):
        yield containers[0], first, second
    for container in containers:
        container.shutdown_resources()


def test_the_fourth_message_in_a_minute_is_429_across_processes(
    two_apps: tuple[Container, TestClient, TestClient],
) -> None:
    container, first, second = two_apps
    callers = Callers(container)
    sid = callers.session()
    link_id, token = callers.link_with_id(sid)
    url, candidate = f"{API}/sessions/{sid}/messages", bearer(token)
    for app, answer in zip((first, first, second), ANSWERS, strict=False):
        assert app.post(url, json={"content": answer}, headers=candidate).status_code == 201

    refused = second.post(url, json={"content": ANSWERS[3]}, headers=candidate)

    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["Retry-After"] == "50"  # the minute window ends at 09:31:00
    problem = refused.json()
    assert (problem["status"], problem["retry_after"]) == (429, 50)
    assert problem["type"].endswith("rate-limited")
    assert first.post(url, json={"content": ANSWERS[3]}, headers=candidate).status_code == 429
    with container.engine().connect() as conn:
        hits = conn.execute(
            select(RATE_LIMIT_WINDOWS.c.hits).where(
                RATE_LIMIT_WINDOWS.c.bucket == f"link:{link_id}:message"
            )
        ).scalar_one()
    assert hits == 5


def test_a_refused_message_is_not_stored(
    two_apps: tuple[Container, TestClient, TestClient],
) -> None:
    container, first, _ = two_apps
    callers = Callers(container)
    sid = callers.session()
    url, candidate = f"{API}/sessions/{sid}/messages", bearer(callers.link(sid))
    statuses = [
        first.post(url, json={"content": f"answer {n}"}, headers=candidate).status_code
        for n in range(PER_MINUTE + 1)
    ]
    assert statuses == [201, 201, 201, 429]
    transcript = first.get(url, headers=candidate).json()["items"]
    assert [m["content"] for m in transcript if m["role"] == "candidate"] == [
        "answer 0",
        "answer 1",
        "answer 2",
    ]


def test_the_limit_is_each_callers_own(
    two_apps: tuple[Container, TestClient, TestClient],
) -> None:
    container, first, _ = two_apps
    callers = Callers(container)
    sid = callers.session()
    url = f"{API}/sessions/{sid}/messages"
    busy = bearer(callers.link(sid))
    for n in range(PER_MINUTE + 1):
        first.post(url, json={"content": f"answer {n}"}, headers=busy)
    other = first.post(url, json={"content": "late"}, headers=bearer(callers.key("service")))
    assert other.status_code == 201


def test_a_retried_reply_counts_against_the_same_limit(
    two_apps: tuple[Container, TestClient, TestClient],
) -> None:
    container, first, _ = two_apps
    callers = Callers(container)
    sid = callers.session()
    candidate = bearer(callers.link(sid))
    for n in range(PER_MINUTE):
        first.post(f"{API}/sessions/{sid}/messages", json={"content": f"a{n}"}, headers=candidate)
    retried = first.post(f"{API}/sessions/{sid}/messages/retry", headers=candidate)
    assert retried.status_code == 429


def test_a_session_ends_by_itself_when_its_turn_budget_is_spent(
    client: TestClient, callers: Callers
) -> None:
    service = bearer(callers.key("service"))
    created = client.post(f"{API}/sessions", json={"config": {"max_turns": 2}}, headers=service)
    sid = created.json()["id"]
    candidate = bearer(callers.link(sid))
    client.post(f"{API}/sessions/{sid}/start", headers=candidate)
    url = f"{API}/sessions/{sid}/messages"
    turns = [client.post(url, json={"content": a}, headers=candidate) for a in ANSWERS[:2]]
    assert [t.status_code for t in turns] == [201, 201]

    session = client.get(f"{API}/sessions/{sid}", headers=candidate).json()
    assert (session["status"], session["end_reason"]) == ("completed", "turn_limit")
    third = client.post(url, json={"content": ANSWERS[2]}, headers=candidate)
    assert third.status_code == 409
    assert third.json()["current_status"] == "completed"
    transcript = client.get(url, headers=candidate).json()["items"]
    assert transcript[-1]["seq"] == turns[1].json()["reply"]["seq"]

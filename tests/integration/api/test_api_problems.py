"""Every error the service answers is ``application/problem+json`` with ``type``, ``title``,
``status`` and ``detail``: the library's refusals, and the HTTP layer's own (malformed input,
unknown routes, wrong methods)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from api_support import API, Callers, bearer
from fastapi.testclient import TestClient
from httpx import Response


@dataclass(frozen=True)
class Case:
    status: int
    send: Callable[[TestClient, dict[str, str], str], Response]


CASES = {
    "malformed session id": Case(
        422, lambda c, h, sid: c.get(f"{API}/sessions/not-a-uuid/messages", headers=h)
    ),
    "malformed link id": Case(422, lambda c, h, sid: c.delete(f"{API}/links/%20%00x", headers=h)),
    "unknown session": Case(
        404,
        lambda c, h, sid: c.get(
            f"{API}/sessions/00000000-0000-4000-8000-000000000000/messages", headers=h
        ),
    ),
    "unknown body field": Case(
        422,
        lambda c, h, sid: c.post(
            f"{API}/sessions/{sid}/messages", json={"content": "hi", "colour": "red"}, headers=h
        ),
    ),
    "missing body field": Case(
        422, lambda c, h, sid: c.post(f"{API}/sessions/{sid}/messages", json={}, headers=h)
    ),
    "bad JSON": Case(
        422,
        lambda c, h, sid: c.post(
            f"{API}/sessions/{sid}/messages",
            content=b'{"content": ',
            headers={**h, "Content-Type": "application/json"},
        ),
    ),
    "a query out of range": Case(
        422, lambda c, h, sid: c.get(f"{API}/sessions/{sid}/messages?after=-1", headers=h)
    ),
    "an unknown link kind": Case(
        422,
        lambda c, h, sid: c.post(f"{API}/sessions/{sid}/links", json={"kind": "owner"}, headers=h),
    ),
    "a refused transition": Case(
        409, lambda c, h, sid: c.post(f"{API}/sessions/{sid}/start", headers=h)
    ),
    "no evaluation yet": Case(
        404, lambda c, h, sid: c.get(f"{API}/sessions/{sid}/evaluation", headers=h)
    ),
    "no token": Case(401, lambda c, h, sid: c.get(f"{API}/stats")),
    "an unknown route": Case(404, lambda c, h, sid: c.get(f"{API}/nowhere", headers=h)),
    "a wrong method": Case(405, lambda c, h, sid: c.delete(f"{API}/stats", headers=h)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_an_error_is_a_problem_document(client: TestClient, callers: Callers, case: Case) -> None:
    sid = callers.session()
    headers = bearer(callers.key("admin"))
    answer = case.send(client, headers, sid)
    assert answer.status_code == case.status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert problem["status"] == case.status
    assert problem["type"].startswith("https://")
    assert problem["title"]
    assert problem["detail"]


def test_a_refused_role_is_403_with_a_problem_document(
    client: TestClient, callers: Callers
) -> None:
    sid = callers.session()
    answer = client.post(
        f"{API}/sessions/{sid}/links",
        json={"kind": "review"},
        headers=bearer(callers.key("reviewer")),
    )
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "reviewer" in answer.json()["detail"]


def test_a_missing_token_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    answer = client.get(f"{API}/stats")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_a_malformed_body_names_the_bad_value_by_its_path(
    client: TestClient, callers: Callers
) -> None:
    answer = client.post(
        f"{API}/webhooks",
        json={"url": "https://hooks.example.com/in", "events": ["session.started", 5]},
        headers=bearer(callers.key("admin")),
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["detail"].startswith("body.events[1]: ")
    assert problem["errors"][0]["location"] == "body.events[1]"

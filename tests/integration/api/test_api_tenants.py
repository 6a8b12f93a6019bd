"""Tenants never see each other through the API: another tenant's session, link or count is
"not found" or absent, on every route, and nothing of it changes."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import API, Callers, bearer
from fastapi.testclient import TestClient

from interview_orchestrator.api.permissions import ROUTE_CAPABILITIES

#: Every session route but the WebSocket (tested with the events).
SESSION_ROUTES = sorted(
    (method, template)
    for method, template in ROUTE_CAPABILITIES
    if "{session_id}" in template and method != "WEBSOCKET"
)
BODIES: dict[str, dict[str, Any]] = {
    "/sessions/{session_id}/messages": {"content": "I would add a cache."},
    "/sessions/{session_id}/links": {"kind": "candidate", "expires_in_minutes": 5},
    "/sessions/{session_id}/evaluation/retry": {"force": True},
}


def stored(session: dict[str, Any]) -> dict[str, Any]:
    """A session as stored (without the clock's running counts)."""
    return {k: v for k, v in session.items() if k not in ("active_seconds", "remaining_seconds")}


@pytest.mark.parametrize(("method", "template"), SESSION_ROUTES, ids=str)
def test_another_tenants_admin_gets_404_for_a_session(
    client: TestClient, callers: Callers, method: str, template: str
) -> None:
    theirs = callers.ended_session("acme") if "evaluation" in template else callers.session("acme")
    owner = bearer(callers.key("admin", "acme"))
    before = stored(client.get(f"{API}/sessions/{theirs}", headers=owner).json())
    answer = client.request(
        method,
        API + template.format(session_id=theirs),
        json=BODIES.get(template),
        headers=bearer(callers.key("admin", "globex")),
    )
    assert answer.status_code == 404, answer.text
    assert answer.json()["type"].endswith("not-found")
    assert stored(client.get(f"{API}/sessions/{theirs}", headers=owner).json()) == before


def test_another_tenants_link_cannot_be_revoked(client: TestClient, callers: Callers) -> None:
    theirs = callers.session("acme")
    link_id, token = callers.link_with_id(theirs)
    answer = client.delete(f"{API}/links/{link_id}", headers=bearer(callers.key("admin", "globex")))
    assert answer.status_code == 404
    assert client.get(f"{API}/sessions/{theirs}", headers=bearer(token)).status_code == 200


def test_a_listing_shows_only_the_callers_tenant(client: TestClient, callers: Callers) -> None:
    ours = {callers.session("globex", started=False) for _ in range(2)}
    callers.session("acme", started=False)
    listed = client.get(f"{API}/sessions", headers=bearer(callers.key("reviewer", "globex")))
    assert {s["id"] for s in listed.json()["items"]} == ours
    assert {s["tenant_id"] for s in listed.json()["items"]} == {"globex"}


def test_stats_count_only_the_callers_tenant(client: TestClient, callers: Callers) -> None:
    callers.session("globex")
    for _ in range(3):
        callers.ended_session("acme")
    stats = client.get(f"{API}/stats", headers=bearer(callers.key("service", "globex"))).json()
    assert stats["by_status"] == {"created": 0, "active": 1, "paused": 0, "completed": 0}
    assert sum(day["sessions"] for day in stats["per_day"]) == 1
    assert sum(stats["evaluations_by_status"].values()) == 0


def test_a_link_is_made_only_for_a_session_of_the_callers_tenant(
    client: TestClient, callers: Callers
) -> None:
    theirs = callers.session("acme")
    answer = client.post(
        f"{API}/sessions/{theirs}/links",
        json={"kind": "review", "expires_in_minutes": 60},
        headers=bearer(callers.key("service", "globex")),
    )
    assert answer.status_code == 404
    assert "token" not in answer.json()

"""Who may call what, route by route, generated from the service's own table
(``api.permissions.ROUTE_CAPABILITIES``) and checked against an expectation written here from
the design's route table: every role and every kind of bad token, on every route."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import pytest
from api_support import API, Callers, bearer
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient

from interview_orchestrator.api.permissions import API_PREFIX, ROUTE_CAPABILITIES
from interview_orchestrator.api.routes import ROUTERS

Route = tuple[str, str]

#: Routes other work owns and tests (webhooks, the WebSocket): in the table, but not tested
#: here, and not required to be served yet.
OWNED_ELSEWHERE: Final[frozenset[Route]] = frozenset(
    {
        ("POST", "/webhooks"),
        ("GET", "/webhooks"),
        ("DELETE", "/webhooks/{webhook_id}"),
        ("GET", "/webhooks/{webhook_id}/deliveries"),
        ("WEBSOCKET", "/sessions/{session_id}/events"),
    }
)

KEYS: Final = ("admin", "service", "reviewer")
LINKS: Final = ("candidate", "review")
CONDUCTORS: Final = frozenset({"admin", "service", "candidate"})
READERS: Final = frozenset({"admin", "service", "reviewer", "candidate", "review"})
OPERATORS: Final = frozenset({"admin", "service"})

#: The design's route table ("who"), written out independently of the service's table.
DESIGN_WHO: Final[dict[Route, frozenset[str]]] = {
    ("POST", "/sessions"): OPERATORS,
    ("GET", "/sessions"): frozenset({"admin", "service", "reviewer"}),
    ("GET", "/sessions/{session_id}"): READERS,
    ("POST", "/sessions/{session_id}/start"): CONDUCTORS,
    ("POST", "/sessions/{session_id}/pause"): CONDUCTORS,
    ("POST", "/sessions/{session_id}/resume"): CONDUCTORS,
    ("POST", "/sessions/{session_id}/end"): CONDUCTORS,
    ("POST", "/sessions/{session_id}/messages"): CONDUCTORS,
    ("POST", "/sessions/{session_id}/messages/retry"): CONDUCTORS,
    ("GET", "/sessions/{session_id}/messages"): READERS,
    ("GET", "/sessions/{session_id}/events"): READERS,
    ("GET", "/sessions/{session_id}/evaluation"): frozenset(
        {"admin", "service", "reviewer", "review"}
    ),
    ("POST", "/sessions/{session_id}/evaluation/retry"): OPERATORS,
    ("POST", "/sessions/{session_id}/links"): OPERATORS,
    ("DELETE", "/links/{link_id}"): OPERATORS,
    ("GET", "/stats"): OPERATORS,
    ("GET", "/templates"): frozenset(KEYS),
    ("GET", "/templates/{name}"): frozenset(KEYS),
    ("GET", "/personas"): frozenset(KEYS),
}
PUBLIC: Final = frozenset(
    route for route, capability in ROUTE_CAPABILITIES.items() if not capability
)
GUARDED: Final = sorted(
    route
    for route, capability in ROUTE_CAPABILITIES.items()
    if capability is not None and route not in OWNED_ELSEWHERE
)
SESSION_ROUTES: Final = [route for route in GUARDED if "{session_id}" in route[1]]

#: Routes whose session must have ended (the others get an ACTIVE one).
NEEDS_ENDED: Final = frozenset(
    {
        ("GET", "/sessions/{session_id}/evaluation"),
        ("POST", "/sessions/{session_id}/evaluation/retry"),
    }
)
BODIES: Final[dict[Route, dict[str, Any]]] = {
    ("POST", "/sessions"): {"config": {}},
    ("POST", "/sessions/{session_id}/messages"): {"content": "I would put a cache in front."},
    ("POST", "/sessions/{session_id}/links"): {"kind": "review", "expires_in_minutes": 5},
    ("POST", "/sessions/{session_id}/evaluation/retry"): {},
}


def _id(route: Route) -> str:
    return f"{route[0]} {route[1]}"


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str]
    authenticated: bool


def every_caller(callers: Callers, session_id: str) -> list[Caller]:
    """Each role with a valid token, then each way a token can be bad, for ``session_id``."""
    valid = [Caller(role, bearer(callers.key(role)), True) for role in KEYS] + [
        Caller(kind, bearer(callers.link(session_id, kind)), True) for kind in LINKS
    ]
    invalid = [
        Caller("no token", {}, False),
        Caller("bad token", bearer("iok_" + "x" * 43), False),
        Caller("not a bearer", {"Authorization": "Basic YWRtaW46YWRtaW4="}, False),
        Caller("revoked key", bearer(callers.revoked_key("admin")), False),
        Caller("expired link", bearer(callers.expired_link(session_id)), False),
        Caller("revoked link", bearer(callers.revoked_link(session_id)), False),
    ]
    return valid + invalid


def call(
    client: TestClient, route: Route, headers: dict[str, str], **ids: str
) -> tuple[int, dict[str, Any]]:
    method, template = route
    response = client.request(
        method, API + template.format(**ids), json=BODIES.get(route), headers=headers
    )
    body = response.json() if response.content else {}
    return response.status_code, body


def expected_refusal(caller: Caller, route: Route) -> int | None:
    """The design's answer for a caller the route refuses (None: the route serves it)."""
    if not caller.authenticated:
        return 401
    return None if caller.name in DESIGN_WHO[route] else 403


def test_every_route_the_app_serves_has_a_rule() -> None:
    served: set[Route] = set()
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                served |= {(method, route.path) for method in route.methods}
            elif isinstance(route, APIWebSocketRoute):
                served.add(("WEBSOCKET", route.path))
    assert not served - set(ROUTE_CAPABILITIES), "served routes missing from the table"
    assert set(ROUTE_CAPABILITIES) - served <= OWNED_ELSEWHERE, "rules for routes not served"


def test_the_table_prefix_is_the_apps() -> None:
    from interview_orchestrator.api.app import API_PREFIX as APP_PREFIX

    assert API_PREFIX == APP_PREFIX


def test_the_design_names_who_may_call_every_guarded_route() -> None:
    assert set(GUARDED) == set(DESIGN_WHO)


@pytest.mark.parametrize("route", sorted(PUBLIC), ids=_id)
def test_public_routes_need_no_token(client: TestClient, route: Route) -> None:
    status, _ = call(client, route, {})
    assert status == 200


@pytest.mark.parametrize("route", GUARDED, ids=_id)
def test_each_caller_gets_the_answer_the_design_gives(
    client: TestClient, callers: Callers, route: Route
) -> None:
    """Served: 2xx, or 409 when the session's state refuses it; refused: 401 for a missing or
    bad token, 403 for a role or link that may not do this."""
    sid = callers.ended_session() if route in NEEDS_ENDED else callers.session()
    ids = {"session_id": sid, "name": "system_design"}
    wrong: list[str] = []
    for caller in every_caller(callers, sid):
        ids["link_id"] = callers.link_with_id(sid)[0]  # a fresh link to revoke
        status, body = call(client, route, caller.headers, **ids)
        refusal = expected_refusal(caller, route)
        served = 200 <= status < 300 or (status == 409 and body["type"].endswith("invalid-state"))
        if (refusal is None and not served) or (refusal is not None and status != refusal):
            wrong.append(f"{caller.name}: {status} {body.get('detail', '')}")
    assert not wrong, f"{_id(route)} answered unlike the design:\n" + "\n".join(wrong)


@pytest.mark.parametrize("route", SESSION_ROUTES, ids=_id)
def test_a_link_gets_not_found_for_another_session_of_its_tenant(
    client: TestClient, callers: Callers, route: Route
) -> None:
    own, other = callers.session(), callers.ended_session()
    admin = bearer(callers.key("admin"))
    before = client.get(f"{API}/sessions/{other}", headers=admin).json()
    for kind in LINKS:
        status, body = call(client, route, bearer(callers.link(own, kind)), session_id=other)
        expected = 404 if kind in DESIGN_WHO[route] else 403
        assert status == expected, f"{kind} link: {status} {body}"
    after = client.get(f"{API}/sessions/{other}", headers=admin).json()
    assert after["status"] == before["status"]
    assert after["message_count"] == before["message_count"]


@pytest.mark.parametrize(
    "make_token",
    [lambda c, sid: c.key("reviewer"), lambda c, sid: c.link(sid, "review")],
    ids=["reviewer key", "review link"],
)
def test_a_refused_caller_changes_nothing(
    client: TestClient, callers: Callers, make_token: Callable[[Callers, str], str]
) -> None:
    sid = callers.session()
    link_id, link_token = callers.link_with_id(sid)
    headers = bearer(make_token(callers, sid))
    for route in GUARDED:
        if route[0] != "GET":
            status, _ = call(client, route, headers, session_id=sid, link_id=link_id)
            assert status == 403, _id(route)
    admin = bearer(callers.key("admin"))
    assert [s["id"] for s in client.get(f"{API}/sessions", headers=admin).json()["items"]] == [sid]
    session = client.get(f"{API}/sessions/{sid}", headers=bearer(link_token)).json()
    assert (session["status"], session["message_count"]) == ("active", 1)

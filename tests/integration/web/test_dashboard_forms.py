"""The dashboard's forms: each post needs the form token of the visitor's own page (bound to
the signed-in key) and a role that grants the route's capability; the table of capabilities
is the one the routes enforce, so the role × route matrix is generated from it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from api_support import Callers
from dashboard_support import Visitor
from fastapi.routing import APIRoute

from interview_orchestrator.access import GRANTS, KeyRole
from interview_orchestrator.models import SessionStatus
from interview_orchestrator.web import dashboard
from interview_orchestrator.web.signin import DASHBOARD_CAPABILITIES, KEY_COOKIE

#: Fields a route's form sends besides its token.
FIELDS = {"/sessions/{session_id}/links": {"kind": "review", "expires_in_minutes": "60"}}


def status_of(callers: Callers, sid: str) -> SessionStatus:
    return callers.container.session_manager(tenant_id="acme").get_session(sid).status


def signed_in_at(visitors: Callable[..., Visitor], key: str, path: str) -> Visitor:
    visitor = visitors()
    visitor.sign_in(key)
    visitor.get(path)
    return visitor


def test_a_post_with_the_pages_token_is_done(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    sid = callers.session()
    visitor = signed_in_at(visitors, callers.key("admin"), f"/sessions/{sid}")
    answer = visitor.post(f"/sessions/{sid}/pause")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/sessions/{sid}?done=paused"
    assert status_of(callers, sid) is SessionStatus.PAUSED


def test_a_post_without_a_token_is_refused_and_changes_nothing(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    sid = callers.session()
    visitor = signed_in_at(visitors, callers.key("admin"), f"/sessions/{sid}")
    answer = visitor.post(f"/sessions/{sid}/pause", token="")
    assert answer.status_code == 403
    assert "This form cannot be accepted" in answer.text
    assert status_of(callers, sid) is SessionStatus.ACTIVE


def test_a_token_from_another_visitors_page_is_refused(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    sid = callers.session()
    key = callers.key("admin")
    other = signed_in_at(visitors, key, f"/sessions/{sid}")
    visitor = signed_in_at(visitors, key, f"/sessions/{sid}")
    assert visitor.post(f"/sessions/{sid}/end", token=other.token).status_code == 403
    assert status_of(callers, sid) is SessionStatus.ACTIVE


def test_a_token_is_bound_to_the_key_it_was_made_for(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    """A key cookie planted beside the visitor's CSRF secret does not make its token valid."""
    sid = callers.session()
    visitor = signed_in_at(visitors, callers.key("admin"), f"/sessions/{sid}")
    made_for_the_first_key = visitor.token
    visitor.cookies.delete(KEY_COOKIE)
    visitor.cookies.set(KEY_COOKIE, callers.key("admin"))
    assert visitor.get("/").status_code == 200  # signed in with the planted key
    answer = visitor.post(f"/sessions/{sid}/pause", token=made_for_the_first_key)
    assert answer.status_code == 403
    assert status_of(callers, sid) is SessionStatus.ACTIVE


def test_a_post_made_by_another_site_is_refused(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    sid = callers.session()
    visitor = signed_in_at(visitors, callers.key("admin"), f"/sessions/{sid}")
    answer = visitor.client.post(
        f"/sessions/{sid}/pause",
        data={"csrf_token": visitor.token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert answer.status_code == 403
    assert status_of(callers, sid) is SessionStatus.ACTIVE


def test_a_reviewers_forged_post_is_403_and_changes_nothing(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    sid = callers.session()
    visitor = signed_in_at(visitors, callers.key("reviewer"), f"/sessions/{sid}")
    assert '<form method="post" action="/sessions/' not in visitor.get(f"/sessions/{sid}").text
    answer = visitor.post(f"/sessions/{sid}/end")
    assert answer.status_code == 403
    assert "Not allowed" in answer.text
    assert status_of(callers, sid) is SessionStatus.ACTIVE


def test_every_dashboard_route_is_in_the_capability_table() -> None:
    routes = {
        (method, route.path)
        for router in dashboard.ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.path not in ("/sign-in", "/sign-out")
        for method in route.methods
    }
    assert routes == set(DASHBOARD_CAPABILITIES)


@pytest.mark.parametrize("role", [role.value for role in KeyRole])
@pytest.mark.parametrize(("method", "path"), sorted(DASHBOARD_CAPABILITIES))
def test_each_role_reaches_exactly_the_routes_it_is_granted(
    visitors: Callable[..., Visitor], callers: Callers, role: str, method: str, path: str
) -> None:
    sid = callers.session()
    visitor = signed_in_at(visitors, callers.key(role), "/")
    address = path.replace("{session_id}", sid)
    if method == "GET":
        answer = visitor.get(address + (f"?id={sid}" if address.endswith(".json") else ""))
    else:
        visitor.get(f"/sessions/{sid}")
        answer = visitor.post(address, **FIELDS.get(path, {}))
    if DASHBOARD_CAPABILITIES[(method, path)] in GRANTS[role]:
        assert answer.status_code in (200, 303, 409), answer.text
    else:
        assert answer.status_code == 403, answer.text

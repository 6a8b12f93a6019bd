"""A key sees its own tenant only, on every page of the dashboard and in its live refresh:
another tenant's session is not listed, its page is 404, and no action reaches it."""

from __future__ import annotations

from collections.abc import Callable

from api_support import Callers
from dashboard_support import Visitor

from interview_orchestrator.models import SessionStatus

PROBLEM_JSON = "application/problem+json"


def test_the_list_shows_the_keys_tenant_only(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    own = callers.session("acme")
    other = callers.session("globex")
    visitor = visitors()
    visitor.sign_in(callers.key("admin", "acme"))
    page = visitor.get("/").text
    assert own in page
    assert other not in page


def test_another_tenants_session_page_is_404(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    other = callers.session("globex")
    visitor = visitors()
    visitor.sign_in(callers.key("admin", "acme"))
    answer = visitor.get(f"/sessions/{other}")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Not found" in answer.text


def test_another_tenants_session_cannot_be_ended(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    other = callers.session("globex")
    visitor = visitors()
    visitor.sign_in(callers.key("admin", "acme"))
    assert visitor.post(f"/sessions/{other}/end").status_code == 404
    manager = callers.container.session_manager(tenant_id="globex")
    assert manager.get_session(other).status is SessionStatus.ACTIVE


def test_no_link_is_made_to_another_tenants_session(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    other = callers.session("globex")
    visitor = visitors()
    visitor.sign_in(callers.key("admin", "acme"))
    answer = visitor.post(f"/sessions/{other}/links", kind="candidate", expires_in_minutes="60")
    assert answer.status_code == 404
    assert "/i/iol_" not in answer.text


def test_the_live_refresh_leaves_out_another_tenants_sessions(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    own = callers.session("acme")
    other = callers.session("globex")
    visitor = visitors()
    visitor.sign_in(callers.key("admin", "acme"))
    answer = visitor.get(f"/dashboard/sessions.json?id={own}&id={other}&id=not-an-id")
    assert answer.status_code == 200
    assert [item["id"] for item in answer.json()["items"]] == [own]
    assert answer.json()["items"][0]["status"] == "active"


def test_the_live_refresh_without_signing_in_is_401_problem_json(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    own = callers.session("acme")
    answer = visitors().get(f"/dashboard/sessions.json?id={own}")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM_JSON

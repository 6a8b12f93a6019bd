"""A link that cannot be used shows a clear page, never an error dump."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_an_unknown_link_says_it_is_not_valid(service: Any, page: Any) -> None:
    response = page.goto(service.url("/i/iol_not-a-real-token"))
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "This link is not valid"
    assert "Traceback" not in page.content()


def test_a_revoked_link_says_it_was_withdrawn(service: Any, page: Any, screenshot: Any) -> None:
    session_id = service.session()
    token = service.link(session_id)
    link = service.container.access_manager().link_of(token)
    service.container.access_manager().revoke_link(link.id, tenant_id="default")
    response = page.goto(service.url(f"/i/{token}"))
    assert response.status == 410
    assert page.get_by_role("heading", level=1).inner_text() == "This link is no longer valid"
    screenshot(page, "link-revoked")


def test_pages_forbid_inline_script_and_framing(service: Any, page: Any) -> None:
    response = page.goto(service.url("/i/iol_not-a-real-token"))
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["referrer-policy"] == "no-referrer"

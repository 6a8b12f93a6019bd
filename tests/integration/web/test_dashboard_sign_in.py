"""Signing in to the dashboard: the key's cookie and its flags, what a wrong key or a link's
token gets, signing out, a revoked key, and the form token that guards the sign-in form."""

from __future__ import annotations

from collections.abc import Callable

from api_support import Callers
from dashboard_support import Visitor, set_cookies

from interview_orchestrator.web.signin import CSRF_COOKIE, KEY_COOKIE


def test_signing_in_keeps_the_key_in_a_strict_http_only_cookie(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    visitor = visitors()
    visitor.get("/sign-in")
    answer = visitor.post("/sign-in", key=callers.key("admin"))
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = set_cookies(answer)[KEY_COOKIE].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/" in cookie
    assert "secure" not in cookie  # plain http: a Secure cookie would never come back


def test_over_https_the_key_cookie_is_secure(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    visitor = visitors("https://testserver")
    visitor.get("/sign-in")
    answer = visitor.post("/sign-in", key=callers.key("admin"))
    assert "; secure" in set_cookies(answer)[KEY_COOKIE].lower()
    assert "; secure" in set_cookies(answer)[CSRF_COOKIE].lower()


def test_a_signed_in_visitor_sees_the_sessions(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    visitor = visitors()
    visitor.sign_in(callers.key("reviewer"))
    page = visitor.get("/")
    assert page.status_code == 200
    assert "<h1>Sessions</h1>" in page.text


def test_without_signing_in_a_page_sends_the_visitor_to_sign_in(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    sid = callers.session()
    answer = visitors().get(f"/sessions/{sid}")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in"


def test_a_wrong_key_gets_the_form_again_with_an_error_and_no_cookie(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    callers.session()
    visitor = visitors()
    visitor.get("/sign-in")
    answer = visitor.post("/sign-in", key="iok_not-a-key-of-anyone")
    assert answer.status_code == 401
    assert "That key does not sign in" in answer.text
    assert "iok_not-a-key-of-anyone" not in answer.text
    assert KEY_COOKIE not in set_cookies(answer)
    assert "<table" not in answer.text and "Sign out" not in answer.text


def test_a_link_token_does_not_sign_in(visitors: Callable[..., Visitor], callers: Callers) -> None:
    token = callers.link(callers.session(), "review")
    visitor = visitors()
    visitor.get("/sign-in")
    answer = visitor.post("/sign-in", key=token)
    assert answer.status_code == 401
    assert token not in answer.text
    assert KEY_COOKIE not in set_cookies(answer)


def test_a_sign_in_without_the_form_token_is_refused(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    """Login CSRF: another site cannot sign a visitor in with the other site's key."""
    visitor = visitors()
    visitor.get("/sign-in")
    answer = visitor.post("/sign-in", token="", key=callers.key("admin"))
    assert answer.status_code == 403
    assert KEY_COOKIE not in set_cookies(answer)


def test_a_sign_in_from_a_browser_without_the_csrf_cookie_is_refused(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    """A cross-site post does not carry the SameSite=Strict cookie: its token matches nothing."""
    visitor = visitors()
    visitor.get("/sign-in")
    visitor.cookies.clear()
    answer = visitor.post("/sign-in", key=callers.key("admin"))
    assert answer.status_code == 403


def test_signing_in_renews_the_csrf_secret(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    visitor = visitors()
    visitor.get("/sign-in")
    before = visitor.cookies[CSRF_COOKIE]
    visitor.post("/sign-in", key=callers.key("admin"))
    assert visitor.cookies[CSRF_COOKIE] != before


def test_signing_out_clears_the_key_cookie(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    visitor = visitors()
    visitor.sign_in(callers.key("admin"))
    answer = visitor.post("/sign-out")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?signed_out=1"
    assert KEY_COOKIE not in visitor.cookies
    assert visitor.get("/").status_code == 303


def test_a_revoked_key_signs_its_holder_out(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    key, token = callers.access.create_key("soon revoked", "admin", "acme")
    visitor = visitors()
    visitor.sign_in(token)
    callers.access.revoke_key(key.id)
    answer = visitor.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?ended=1"
    assert KEY_COOKIE not in visitor.cookies


def test_no_page_shows_the_key(visitors: Callable[..., Visitor], callers: Callers) -> None:
    sid = callers.session()
    key = callers.key("admin")
    visitor = visitors()
    visitor.sign_in(key)
    for path in ("/", f"/sessions/{sid}", "/stats", "/sign-in"):
        answer = visitor.client.get(path, follow_redirects=True)
        assert key not in answer.text, path

"""Who is using the dashboard, and proof that a form came from it.

Signing in keeps the API key in a cookie: HttpOnly (no script reads it), SameSite=Strict (no
other site's page sends it), Path=/, Secure when the dashboard is reached over https, for at
most ``KEY_COOKIE_SECONDS``. Every request re-checks it with the ``AccessManager``, as the API
checks a bearer token, so a revoked key signs its holder out at once. Only keys sign in: a
link's token is refused like a wrong key.

Forms carry a CSRF token: the HMAC of what they are for (signing in, or the signed-in key's
hash) under a random per-visitor secret kept in a second cookie. A post whose token does not
match is refused (403) before anything else is looked at. Binding the token to the key means
that a secret planted in the visitor's browser by someone else (cookie tossing) does not let
them forge a signed-in form; the secret is renewed at every sign-in and sign-out.

Which capability each route needs is one table, ``DASHBOARD_CAPABILITIES``, like the API's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Final

from fastapi import Depends, Request, Response

from ..access import Capability, Principal, hash_token
from ..api.deps import allowed, authenticate, container_of
from ..errors import AuthenticationError

KEY_COOKIE: Final = "io_dashboard_key"
CSRF_COOKIE: Final = "io_dashboard_csrf"
CSRF_FIELD: Final = "csrf_token"
#: A signed-in dashboard lasts a working day at most; the key itself lasts until revoked.
KEY_COOKIE_SECONDS: Final = 8 * 60 * 60
#: The CSRF secret outlives a sign-in, so that an open sign-in form still works.
CSRF_COOKIE_SECONDS: Final = 7 * 24 * 60 * 60
SIGN_IN_PURPOSE: Final = "sign-in"
_MAX_COOKIE_CHARS: Final = 200
#: ``Sec-Fetch-Site`` values of a post that came from the dashboard's own pages (or was typed).
_OWN_SITE: Final = frozenset({"same-origin", "none"})

#: ``(method, route path) → capability``: what each dashboard route asks of the signed-in key
#: (checked against ``access.GRANTS``, as the API does).
DASHBOARD_CAPABILITIES: Final[Mapping[tuple[str, str], Capability]] = MappingProxyType(
    {
        ("GET", "/"): Capability.LIST_SESSIONS,
        ("GET", "/dashboard/sessions.json"): Capability.LIST_SESSIONS,
        ("GET", "/sessions/{session_id}"): Capability.READ_SESSION,
        ("POST", "/sessions/{session_id}/pause"): Capability.CONDUCT,
        ("POST", "/sessions/{session_id}/resume"): Capability.CONDUCT,
        ("POST", "/sessions/{session_id}/end"): Capability.CONDUCT,
        ("POST", "/sessions/{session_id}/evaluation/retry"): Capability.RETRY_EVALUATION,
        ("POST", "/sessions/{session_id}/links"): Capability.MANAGE_LINKS,
        ("GET", "/stats"): Capability.READ_STATS,
    }
)


class SignInRequired(Exception):
    """No key, or one that no longer signs in: the pages send the visitor to sign in."""

    def __init__(self, stale: bool) -> None:
        super().__init__("sign in with an API key")
        #: A key cookie was there but is no longer valid (revoked): it is cleared.
        self.stale = stale


class CsrfRefused(Exception):
    """A form post without the token of the page it came from: refused, nothing done."""


@dataclass(frozen=True)
class Visitor:
    """Who is asking: the key's principal (None: not signed in), and the CSRF secret of the
    visitor's browser. The key itself is not kept here, only its hash."""

    principal: Principal | None
    csrf_secret: str
    #: The secret was made for this response: its cookie must be set on it.
    new_secret: bool
    #: What signed-in forms are bound to: the hash of the key cookie ("" without one).
    key_hash: str
    #: A key cookie came with the request but signs no one in.
    stale_key: bool = False

    @property
    def form_token(self) -> str:
        """The token the forms of a signed-in page carry."""
        return csrf_token(self.csrf_secret, self.key_hash)

    @property
    def sign_in_token(self) -> str:
        return csrf_token(self.csrf_secret, SIGN_IN_PURPOSE)

    def may(self, capability: Capability) -> bool:
        return self.principal is not None and self.principal.may(capability)

    @property
    def caller(self) -> Principal:
        """The signed-in key (routes behind ``SignedIn`` always have one)."""
        if self.principal is None:
            raise SignInRequired(stale=self.stale_key)
        return self.principal


def csrf_token(secret: str, purpose: str) -> str:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def new_csrf_secret() -> str:
    return secrets.token_urlsafe(32)


async def visitor_of(request: Request) -> Visitor:
    """The visitor of this request (resolved once per request)."""
    known: Visitor | None = getattr(request.state, "dashboard_visitor", None)
    if known is not None:
        return known
    secret = request.cookies.get(CSRF_COOKIE, "")
    new_secret = not 20 <= len(secret) <= _MAX_COOKIE_CHARS
    if new_secret:
        secret = new_csrf_secret()
    key = request.cookies.get(KEY_COOKIE, "")
    principal: Principal | None = None
    if key:
        try:
            principal = await authenticate(request, key)
        except AuthenticationError:
            principal = None
        if principal is not None and principal.kind != "key":
            principal = None
    visitor = Visitor(
        principal=principal,
        csrf_secret=secret,
        new_secret=new_secret,
        key_hash=hash_token(key) if key else "",
        stale_key=bool(key) and principal is None,
    )
    request.state.dashboard_visitor = visitor
    return visitor


async def verify_form(request: Request, purpose: str) -> None:
    """Refuse (``CsrfRefused``) a post that another site made, or whose form token does not
    match ``purpose`` under the visitor's CSRF secret (compared in constant time)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in _OWN_SITE:
        raise CsrfRefused()
    visitor = await visitor_of(request)
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if visitor.new_secret or not isinstance(given, str):
        raise CsrfRefused()
    expected = csrf_token(visitor.csrf_secret, purpose)
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise CsrfRefused()


async def signed_in(request: Request) -> Visitor:
    """The signed-in visitor, if the key's role grants what the matched route needs (a
    post's form token checked first). Not signed in: ``SignInRequired``; a role without the
    capability: 403."""
    visitor = await visitor_of(request)
    if visitor.principal is None:
        raise SignInRequired(stale=visitor.stale_key)
    if request.method == "POST":
        await verify_form(request, visitor.key_hash)
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    capability = DASHBOARD_CAPABILITIES.get((request.method, path))
    if capability is None:
        raise LookupError(f"dashboard route {request.method} {path} has no capability")
    allowed(visitor.principal, capability)
    return visitor


#: A dashboard route's visitor: signed in, its form checked, its role allowed.
SignedIn = Annotated[Visitor, Depends(signed_in)]


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure when the dashboard is reached over https (directly, or as its
    configured public address says)."""
    public = container_of(request).settings().service.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def keep_key(response: Response, request: Request, key: str) -> None:
    response.set_cookie(
        KEY_COOKIE,
        key,
        max_age=KEY_COOKIE_SECONDS,
        path="/",
        secure=secure_cookies(request),
        httponly=True,
        samesite="strict",
    )


def forget_key(response: Response, request: Request) -> None:
    response.delete_cookie(
        KEY_COOKIE, path="/", secure=secure_cookies(request), httponly=True, samesite="strict"
    )


def keep_csrf_secret(response: Response, request: Request, secret: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        secret,
        max_age=CSRF_COOKIE_SECONDS,
        path="/",
        secure=secure_cookies(request),
        httponly=True,
        samesite="strict",
    )

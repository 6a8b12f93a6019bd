"""``/``: the admin dashboard. Sign in with an API key (``signin``); the tenant's sessions with
filters, keyset pages and live status; a session's details, transcript, evaluation and the
actions the key's role allows; statistics (``dashboard_stats``).

Every page reads through the key's tenant's ``SessionManager`` — the one the API uses for that
tenant — in the bounded thread pool, so a key sees exactly what it would see through the API,
and the library's rules (states, limits, tenants) hold here as there. Actions are forms that
post back here and redirect to the session's page."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..access import Capability, LinkKind, SessionLink, parse_link_kind
from ..access_manager import AccessManager
from ..api.deps import authenticate, container_of, count_ai_request, manager_for, run_sync
from ..api.routes.links import PAGE_OF, public_base
from ..errors import AuthenticationError, InvalidInputError
from ..models import SessionStatus, parse_session_id
from . import dashboard_stats
from .dashboard_pages import SIGN_IN_PATH, PageRoute, page
from .dashboard_views import (
    DONE_MESSAGES,
    PAGE_SIZE,
    SessionRow,
    current_sessions,
    parse_filters,
    session_view,
    sessions_page,
    when,
)
from .signin import (
    SIGN_IN_PURPOSE,
    SignedIn,
    SignInRequired,
    Visitor,
    forget_key,
    keep_csrf_secret,
    keep_key,
    new_csrf_secret,
    signed_in,
    verify_form,
    visitor_of,
)

#: Link lifetimes offered by the form, in minutes, with their words.
LINK_LIFETIMES: Final = ((60, "1 hour"), (1440, "1 day"), (10080, "7 days"), (43200, "30 days"))
_DEFAULT_LIFETIME: Final = 10080
#: Sessions the live refresh asks about at once (a page shows ``PAGE_SIZE``).
_LIVE_IDS: Final = 100

router = APIRouter()
pages = APIRouter(route_class=PageRoute)
live = APIRouter()


# --------------------------------------------------------------------------- signing in


@pages.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, ended: str = "", signed_out: str = "") -> Response:
    visitor = await visitor_of(request)
    if visitor.principal is not None:
        return RedirectResponse("/", status_code=303)
    notice = None
    if ended:
        notice = "Your key no longer signs in (it may have been revoked): sign in again."
    elif signed_out:
        notice = "You are signed out."
    return _sign_in_form(request, visitor, notice=notice)


@pages.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """A key that signs in is kept in the key cookie and the CSRF secret renewed; anything
    else (a wrong, revoked or expired key, a link's token) gets the form again, with one
    sentence and nothing of the key."""
    await verify_form(request, SIGN_IN_PURPOSE)
    given = (await request.form()).get("key")
    key = given.strip() if isinstance(given, str) else ""
    try:
        principal = await authenticate(request, key)
    except AuthenticationError:
        principal = None
    if principal is None or principal.kind != "key":
        visitor = await visitor_of(request)
        return _sign_in_form(
            request,
            visitor,
            error="That key does not sign in: check that you pasted the whole API key, and that "
            "it has not been revoked.",
            status=401,
        )
    answer = RedirectResponse("/", status_code=303)
    keep_key(answer, request, key)
    keep_csrf_secret(answer, request, new_csrf_secret())
    return answer


@pages.post("/sign-out")
async def sign_out(request: Request) -> Response:
    visitor = await visitor_of(request)
    if visitor.key_hash:
        await verify_form(request, visitor.key_hash)
    answer = RedirectResponse(f"{SIGN_IN_PATH}?signed_out=1", status_code=303)
    forget_key(answer, request)
    keep_csrf_secret(answer, request, new_csrf_secret())
    return answer


def _sign_in_form(
    request: Request,
    visitor: Visitor,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        visitor,
        "sign_in.html",
        {"notice": notice, "error": error, "sign_in_token": visitor.sign_in_token},
        status,
    )


# --------------------------------------------------------------------------- sessions


@pages.get("/", response_class=HTMLResponse)
async def sessions_list(request: Request, visitor: SignedIn) -> HTMLResponse:
    filters = parse_filters(request.query_params)
    after = request.query_params.get("after") or None
    manager = manager_for(request, visitor.caller)
    rows: list[SessionRow] = []
    next_after = None
    if not filters.errors:
        found, next_after = await run_sync(request, sessions_page, manager, filters, after)
        rows = [SessionRow.of(session) for session in found]
    return page(
        request,
        visitor,
        "dashboard.html",
        {
            "filters": filters,
            "rows": rows,
            "next_url": filters.url(next_after) if next_after else None,
            "first_url": filters.url() if after else None,
            "page_size": PAGE_SIZE,
            "statuses": [status.value for status in SessionStatus],
        },
    )


@pages.get("/sessions/{session_id}", response_class=HTMLResponse)
async def session_page(
    request: Request, session_id: str, visitor: SignedIn, done: str = ""
) -> HTMLResponse:
    return await _session_page(request, visitor, session_id, done=DONE_MESSAGES.get(done))


async def _session_page(
    request: Request,
    visitor: Visitor,
    session_id: str,
    *,
    done: str | None = None,
    new_link: dict[str, str] | None = None,
) -> HTMLResponse:
    manager = manager_for(request, visitor.caller)
    view = await run_sync(
        request,
        lambda: session_view(
            manager,
            session_id,
            transcript=visitor.may(Capability.READ_TRANSCRIPT),
            evaluation=visitor.may(Capability.READ_EVALUATION),
        ),
    )
    return page(
        request,
        visitor,
        "session.html",
        {
            "view": view,
            "done": done,
            "new_link": new_link,
            "link_kinds": [kind.value for kind in LinkKind],
            "link_lifetimes": LINK_LIFETIMES,
            "default_lifetime": _DEFAULT_LIFETIME,
        },
    )


# --------------------------------------------------------------------------- actions


@pages.post("/sessions/{session_id}/pause")
async def pause(request: Request, session_id: str, visitor: SignedIn) -> Response:
    manager = manager_for(request, visitor.caller)
    session = await run_sync(request, manager.pause_session, parse_session_id(session_id))
    return _done(session.id, "paused")


@pages.post("/sessions/{session_id}/resume")
async def resume(request: Request, session_id: str, visitor: SignedIn) -> Response:
    manager = manager_for(request, visitor.caller)
    session = await run_sync(request, manager.resume_session, parse_session_id(session_id))
    return _done(session.id, "resumed")


@pages.post("/sessions/{session_id}/end")
async def end(request: Request, session_id: str, visitor: SignedIn) -> Response:
    """End now; the evaluation is generated in the background, as through the API."""
    sid = parse_session_id(session_id)
    await count_ai_request(request, visitor.caller, "end")
    manager = manager_for(request, visitor.caller)
    await run_sync(request, lambda: manager.end_session(sid, evaluate="background"))
    return _done(sid, "ended")


@pages.post("/sessions/{session_id}/evaluation/retry")
async def retry_evaluation(request: Request, session_id: str, visitor: SignedIn) -> Response:
    """Generate a missing, pending or failed evaluation now (in this request, as the API's
    retry does); a failure again is the error page, and stored as failed."""
    sid = parse_session_id(session_id)
    await count_ai_request(request, visitor.caller, "evaluation")
    manager = manager_for(request, visitor.caller)
    await run_sync(request, manager.retry_evaluation, sid)
    return _done(sid, "evaluated")


@pages.post("/sessions/{session_id}/links", response_class=HTMLResponse)
async def make_link(request: Request, session_id: str, visitor: SignedIn) -> Response:
    """A candidate or review link: its address is shown on the page this once (only its hash
    is kept)."""
    sid = parse_session_id(session_id)
    form = await request.form()
    kind = parse_link_kind(form.get("kind"))
    minutes = _whole_number(form.get("expires_in_minutes"), "expires_in_minutes")
    manager = manager_for(request, visitor.caller)
    access: AccessManager = container_of(request).access_manager()

    def issue() -> tuple[SessionLink, str]:
        session = manager.get_session(sid)  # through the scoped manager: another tenant's is 404
        return access.create_link(session, kind.value, minutes)

    link, token = await run_sync(request, issue)
    new_link = {
        "kind": link.kind.value,
        "url": f"{public_base(request)}{PAGE_OF[link.kind]}{token}",
        "expires": when(link.expires_at),
    }
    return await _session_page(request, visitor, sid, new_link=new_link)


def _done(session_id: str, what: str) -> RedirectResponse:
    return RedirectResponse(f"/sessions/{session_id}?done={what}", status_code=303)


def _whole_number(value: object, name: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise InvalidInputError(f"{name} must be a whole number of minutes") from None


# --------------------------------------------------------------------------- live status


async def _signed_in_for_data(request: Request) -> Visitor:
    """As ``SignedIn``, for a data answer: not signed in is 401 (problem+json), not a
    redirect."""
    try:
        return await signed_in(request)
    except SignInRequired:
        raise AuthenticationError("sign in to the dashboard again") from None


@live.get("/dashboard/sessions.json")
async def live_sessions(
    request: Request,
    ids: Annotated[list[str], Query(alias="id", description="Sessions to report on.")],
) -> JSONResponse:
    """The listed sessions as they are now, for the page's live refresh (cookie-authenticated
    GET: it changes nothing, and another site's page cannot read the answer). The list page
    sends its own filters and cursor too, so that its rows are read again in one query."""
    visitor = await _signed_in_for_data(request)
    manager = manager_for(request, visitor.caller)
    filters = parse_filters(request.query_params)
    after = request.query_params.get("after") or None
    rows = await run_sync(request, current_sessions, manager, ids[:_LIVE_IDS], filters, after)
    return JSONResponse({"items": [row.live() for row in rows]})


#: Every route of the dashboard (``install_pages`` mounts ``router``, which holds them all).
ROUTERS: Final = (pages, dashboard_stats.router, live)
for _routes in ROUTERS:
    router.include_router(_routes)

"""How the dashboard's pages are answered: rendered with the signed-in visitor and the form
token, and every refusal a page too — a library error with the status the API gives it
(``api.problems.STATUS_OF``), a refused form 403, a visitor not signed in sent to sign in —
never a problem+json document in the browser's window."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from ..access import Capability
from ..api.problems import STATUS_OF
from ..errors import InterviewPlatformError, RateLimitedError
from .pages import render
from .signin import (
    CSRF_FIELD,
    CsrfRefused,
    SignInRequired,
    Visitor,
    forget_key,
    keep_csrf_secret,
)

SIGN_IN_PATH = "/sign-in"


def page(
    request: Request,
    visitor: Visitor | None,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A dashboard page: the template gets ``visitor`` (None: not known), ``may`` (the
    capabilities of the signed-in key, by name) and the form token's field name."""
    may = {c.value: visitor is not None and visitor.may(c) for c in Capability}
    response = render(
        request,
        template,
        {"visitor": visitor, "may": may, "csrf_field": CSRF_FIELD, **(context or {})},
        status,
    )
    if visitor is not None and visitor.new_secret:
        keep_csrf_secret(response, request, visitor.csrf_secret)
    return response


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """A refusal as a page: what went wrong, in words, and the way back."""
    visitor: Visitor | None = getattr(request.state, "dashboard_visitor", None)
    if visitor is not None and visitor.principal is None:
        visitor = None
    session_id = request.path_params.get("session_id")
    return page(
        request,
        visitor,
        "dashboard_error.html",
        {"status": status, "title": title, "detail": detail, "session_id": session_id},
        status,
    )


def status_of(exc: InterviewPlatformError) -> tuple[int, str, str]:
    """The status, title and words the API would answer ``exc`` with."""
    status, title = next(
        ((code, words) for cls, code, _, words in STATUS_OF if isinstance(exc, cls)),
        (500, "Internal error"),
    )
    detail = str(exc)
    if status == 503:
        detail = "The database could not be reached or failed; nothing was changed, try again."
    return status, title, detail


class PageRoute(APIRoute):
    """A dashboard route: whatever refuses the request is answered as a page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_page(request: Request) -> Response:
            try:
                return await handle(request)
            except SignInRequired as exc:
                target = SIGN_IN_PATH + ("?ended=1" if exc.stale else "")
                redirect = RedirectResponse(target, status_code=303)
                if exc.stale:
                    forget_key(redirect, request)
                return redirect
            except CsrfRefused:
                return error_page(
                    request,
                    403,
                    "This form cannot be accepted",
                    "It was not sent from this dashboard's current page (or the page is too "
                    "old). Nothing was changed: reload the page and try again.",
                )
            except RequestValidationError as exc:
                first: dict[str, Any] = next(iter(exc.errors()), {})
                return error_page(request, 422, "Invalid input", str(first.get("msg", "")))
            except InterviewPlatformError as exc:
                status, title, detail = status_of(exc)
                answer = error_page(request, status, title, detail)
                if isinstance(exc, RateLimitedError):
                    answer.headers["Retry-After"] = str(exc.retry_after)
                return answer

        return handle_page

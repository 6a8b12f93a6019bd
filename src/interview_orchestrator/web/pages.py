"""The pages' routes. Each resolves who is asking (a link's token, or the dashboard's
sign-in cookie) with the same ``AccessManager`` as the API, and renders a template; the
browser-side scripts then talk to the API with the same token."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from ..access import LinkKind, SessionLink
from ..access_manager import AccessManager
from ..api.deps import container_of, run_sync
from .security import install_security_headers

HERE: Final = Path(__file__).resolve().parent
#: Every value is escaped unless a template says otherwise (none does): a message or a résumé
#: may hold HTML or script, and it must show as text.
templates: Final = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
)


def install_pages(app: FastAPI) -> None:
    """Mount the pages, their static assets and the headers they carry."""
    from . import dashboard, interview, review

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (interview, review, dashboard):
        app.include_router(module.router, include_in_schema=False)
    install_security_headers(app)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    response: HTMLResponse = templates.TemplateResponse(
        request, template, context or {}, status_code=status
    )
    return response


async def link_for(request: Request, token: str, kind: LinkKind) -> SessionLink | HTMLResponse:
    """The usable link ``token`` names, or the page that says why there is none (an unknown,
    expired or revoked link is a clear page, never an error dump)."""
    access: AccessManager = container_of(request).access_manager()
    link = await run_sync(request, access.link_of, token)
    now = container_of(request).clock()()
    if link is None or link.kind is not kind:
        return render(request, "link_invalid.html", {"reason": "unknown"}, status=404)
    if link.revoked_at is not None:
        return render(request, "link_invalid.html", {"reason": "revoked"}, status=410)
    if not link.usable_at(now):
        return render(request, "link_invalid.html", {"reason": "expired"}, status=410)
    return link

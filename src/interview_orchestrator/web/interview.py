"""``/i/{token}``: the candidate's interview page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..access import LinkKind
from .pages import link_for, render

router = APIRouter()


@router.get("/i/{token}", response_class=HTMLResponse)
async def interview_page(request: Request, token: str) -> HTMLResponse:
    link = await link_for(request, token, LinkKind.CANDIDATE)
    if isinstance(link, HTMLResponse):
        return link
    return render(request, "interview.html", {"token": token, "session_id": link.session_id})

"""``/r/{token}``: the reviewer's report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..access import LinkKind
from .pages import link_for, render

router = APIRouter()


@router.get("/r/{token}", response_class=HTMLResponse)
async def review_page(request: Request, token: str) -> HTMLResponse:
    link = await link_for(request, token, LinkKind.REVIEW)
    if isinstance(link, HTMLResponse):
        return link
    return render(request, "review.html", {"token": token, "session_id": link.session_id})

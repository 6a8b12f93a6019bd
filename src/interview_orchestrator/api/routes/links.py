"""Session links: a token bound to one session, for its candidate or a reviewer, shown once."""

from __future__ import annotations

import uuid
from typing import Final

from fastapi import APIRouter, Request, Response, status

from ...access import LinkKind, SessionLink
from ...access_manager import AccessManager
from ...session_manager import SessionManager
from ..deps import container_of, manager_for, run_sync, session_of
from ..permissions import Authorized
from ..schemas import CreateLinkIn, LinkOut

router = APIRouter(tags=["links"])

#: The page each kind of link opens (served by the same app).
PAGE_OF: Final = {LinkKind.CANDIDATE: "/i/", LinkKind.REVIEW: "/r/"}


def public_base(request: Request) -> str:
    """Where people reach the service: ``service.public_url``, else the request's address."""
    configured = container_of(request).settings().service.public_url
    return (configured or str(request.base_url)).rstrip("/")


@router.post(
    "/sessions/{session_id}/links",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkOut,
    summary="Make a candidate or review link to the session (its token is shown only here)",
)
async def create_link(
    request: Request, session_id: str, body: CreateLinkIn, principal: Authorized
) -> LinkOut:
    sid = session_of(principal, session_id)
    manager: SessionManager = manager_for(request, principal)
    access: AccessManager = container_of(request).access_manager()

    def issue() -> tuple[SessionLink, str]:
        session = manager.get_session(sid)  # through the scoped manager: another tenant's is 404
        return access.create_link(session, body.kind.value, body.expires_in_minutes)

    link, token = await run_sync(request, issue)
    return LinkOut(
        id=link.id,
        kind=link.kind,
        session_id=link.session_id,
        token=token,
        url=f"{public_base(request)}{PAGE_OF[link.kind]}{token}",
        expires_at=link.expires_at,
    )


@router.delete(
    "/links/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke a link (at once; revoking again changes nothing)",
)
async def revoke_link(request: Request, link_id: uuid.UUID, principal: Authorized) -> Response:
    access: AccessManager = container_of(request).access_manager()
    await run_sync(request, lambda: access.revoke_link(str(link_id), tenant_id=principal.tenant_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)

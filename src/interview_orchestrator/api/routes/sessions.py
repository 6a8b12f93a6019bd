"""Sessions: create, list, read, and move through the lifecycle."""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Header, Query, Request, status

from ...access import LinkKind, Principal
from ...errors import InvalidInputError
from ...models import SessionConfig, SessionStatus, parse_session_id
from ...serialization import EvaluationReportOut, SessionOut
from ..deps import count_ai_request, manager_for, run_sync, session_of
from ..permissions import Authorized
from ..schemas import CreateSessionIn, EndOut, SessionPage

router = APIRouter(tags=["sessions"])

#: Idempotency keys that are not UUIDs become one, per tenant, in this namespace.
_IDEMPOTENCY_NAMESPACE: Final = uuid.UUID("6f1c2b1e-9c5e-4a4f-9d7a-3c1e5b7f0a21")
_MAX_IDEMPOTENCY_KEY: Final = 200

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Repeat a create safely: the same key returns the same session.",
    ),
]


def session_id_for(
    principal: Principal, body_id: str | None, idempotency_key: str | None
) -> str | None:
    """The session id a create uses: the body's, or one derived from ``Idempotency-Key``
    (a UUID as it is; any other key, stable per tenant); if both are given they must agree."""
    from_header = None
    if idempotency_key is not None:
        key = idempotency_key.strip()
        if not key or len(key) > _MAX_IDEMPOTENCY_KEY:
            raise InvalidInputError(f"Idempotency-Key must be 1-{_MAX_IDEMPOTENCY_KEY} characters")
        try:
            from_header = str(uuid.UUID(key))
        except ValueError:
            from_header = str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{principal.tenant_id}:{key}"))
    if body_id is None:
        return from_header
    sid = parse_session_id(body_id)
    if from_header is not None and from_header != sid:
        raise InvalidInputError("Idempotency-Key and session_id name different sessions")
    return sid


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionOut,
    summary="Create a session (CREATED)",
)
async def create_session(
    request: Request,
    body: CreateSessionIn,
    principal: Authorized,
    idempotency_key: IdempotencyKey = None,
) -> SessionOut:
    config = SessionConfig.from_dict(body.config)
    sid = session_id_for(principal, body.session_id, idempotency_key)
    manager = manager_for(request, principal)
    session = await run_sync(
        request, lambda: manager.create_session(config, user_id=body.user_id, session_id=sid)
    )
    return SessionOut.from_domain(session)


@router.get(
    "/sessions",
    response_model=SessionPage,
    summary="List sessions, newest first (keyset pages)",
)
async def list_sessions(
    request: Request,
    principal: Authorized,
    user_id: Annotated[str | None, Query(description="Only this candidate's.")] = None,
    status_filter: Annotated[
        SessionStatus | None, Query(alias="status", description="Only sessions in this status.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many.")] = 50,
    cursor: Annotated[
        str | None, Query(description="The `next_cursor` of the previous page.")
    ] = None,
) -> SessionPage:
    manager = manager_for(request, principal)
    page = await run_sync(
        request,
        lambda: manager.list_sessions(
            user_id=user_id, status=status_filter, limit=limit + 1, after=cursor
        ),
    )
    more = len(page) > limit
    items = page[:limit]
    return SessionPage(
        items=[SessionOut.from_domain(s) for s in items],
        next_cursor=items[-1].id if more and items else None,
    )


@router.get("/sessions/{session_id}", response_model=SessionOut, summary="Read a session")
async def get_session(request: Request, session_id: str, principal: Authorized) -> SessionOut:
    sid = session_of(principal, session_id)
    manager = manager_for(request, principal)
    return SessionOut.from_domain(await run_sync(request, manager.get_session, sid))


@router.post(
    "/sessions/{session_id}/start",
    response_model=SessionOut,
    summary="Start: the interviewer asks the opening question (CREATED → ACTIVE)",
)
async def start_session(request: Request, session_id: str, principal: Authorized) -> SessionOut:
    sid = session_of(principal, session_id)
    manager = manager_for(request, principal)
    return SessionOut.from_domain(await run_sync(request, manager.start_session, sid))


@router.post(
    "/sessions/{session_id}/pause",
    response_model=SessionOut,
    summary="Pause (ACTIVE → PAUSED): the clock stops",
)
async def pause_session(request: Request, session_id: str, principal: Authorized) -> SessionOut:
    sid = session_of(principal, session_id)
    manager = manager_for(request, principal)
    return SessionOut.from_domain(await run_sync(request, manager.pause_session, sid))


@router.post(
    "/sessions/{session_id}/resume",
    response_model=SessionOut,
    summary="Resume (PAUSED → ACTIVE)",
)
async def resume_session(request: Request, session_id: str, principal: Authorized) -> SessionOut:
    sid = session_of(principal, session_id)
    manager = manager_for(request, principal)
    return SessionOut.from_domain(await run_sync(request, manager.resume_session, sid))


@router.post(
    "/sessions/{session_id}/end",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EndOut,
    summary="End now (→ COMPLETED); the evaluation is generated in the background",
)
async def end_session(request: Request, session_id: str, principal: Authorized) -> EndOut:
    sid = session_of(principal, session_id)
    await count_ai_request(request, principal, "end")
    manager = manager_for(request, principal)
    report = await run_sync(request, lambda: manager.end_session(sid, evaluate="background"))
    session = await run_sync(request, manager.get_session, sid)
    candidate = principal.role == LinkKind.CANDIDATE.value
    return EndOut(
        session=SessionOut.from_domain(session),
        evaluation=None if candidate else EvaluationReportOut.from_domain(report),
    )

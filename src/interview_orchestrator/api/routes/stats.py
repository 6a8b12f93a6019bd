"""Statistics of the caller's tenant, for the dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ...serialization import SessionStatsOut
from ..deps import manager_for, run_sync
from ..permissions import Authorized

router = APIRouter(tags=["stats"])


@router.get(
    "/stats",
    response_model=SessionStatsOut,
    summary="Sessions by status and per day, durations and scores, of the caller's tenant",
)
async def stats(
    request: Request,
    principal: Authorized,
    days: Annotated[
        int, Query(ge=1, le=3660, description="The per-day counts cover this many days.")
    ] = 30,
) -> SessionStatsOut:
    manager = manager_for(request, principal)
    return SessionStatsOut.from_domain(
        await run_sync(request, lambda: manager.session_stats(days=days))
    )

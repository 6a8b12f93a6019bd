"""Liveness and readiness, for load balancers and orchestrators (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...errors import InterviewPlatformError
from ...store.migrate import current, head_revision
from ..deps import container_of, run_sync
from ..schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="The database is reachable and at the latest migration",
    responses={503: {"model": Health, "description": "Not ready: the detail says why."}},
)
async def readyz(request: Request) -> Health | JSONResponse:
    engine = container_of(request).engine()

    def revision() -> str | None:
        return current(engine)

    try:
        at = await run_sync(request, revision)
    except InterviewPlatformError:
        return _not_ready("the database cannot be reached")
    head = head_revision()
    if at != head:
        return _not_ready(
            f"the database is at migration {at or 'none'}, this version needs {head}: "
            "run `interview-orchestrator db upgrade`"
        )
    return Health(status="ready")


def _not_ready(detail: str) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "detail": detail}, status_code=503)

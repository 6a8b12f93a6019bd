"""Evaluations: read a session's report, and have a missing, failed or (forced) finished one
generated again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, status

from ...errors import ResourceNotFoundError
from ...serialization import EvaluationReportOut
from ..deps import count_ai_request, manager_for, run_sync, session_of
from ..permissions import Authorized
from ..schemas import RetryEvaluationIn

router = APIRouter(tags=["evaluations"])


@router.get(
    "/sessions/{session_id}/evaluation",
    response_model=EvaluationReportOut,
    summary="The session's evaluation (404 while it has none: the session has not ended)",
    description="Its `status` says where it is: `pending` and `running` until a worker has "
    "generated it, then `ready`, `no_evidence` or `failed` (retriable). A candidate's link "
    "never reads it.",
)
async def get_evaluation(
    request: Request, session_id: str, principal: Authorized
) -> EvaluationReportOut:
    sid = session_of(principal, session_id)
    manager = manager_for(request, principal)
    report = await run_sync(request, manager.get_evaluation, sid)
    if report is None:
        raise ResourceNotFoundError("evaluation of session", sid)
    return EvaluationReportOut.from_domain(report)


@router.post(
    "/sessions/{session_id}/evaluation/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EvaluationReportOut,
    summary="Generate a missing, pending or failed evaluation now (a finished one only with "
    "`force`)",
    description="Generated in this request, in the service's bounded thread pool (the AI "
    "provider's timeout bounds it), and answered with the outcome: `ready`, `no_evidence`, "
    "or 502 if it failed again (stored as `failed`, retriable). A finished evaluation is "
    "answered as it is unless `force` is true. Only a completed session has one (409 "
    "otherwise). Counts against the AI limit.",
)
async def retry_evaluation(
    request: Request,
    session_id: str,
    principal: Authorized,
    body: Annotated[RetryEvaluationIn | None, Body()] = None,
) -> EvaluationReportOut:
    sid = session_of(principal, session_id)
    force = body.force if body is not None else False
    await count_ai_request(request, principal, "evaluation")
    manager = manager_for(request, principal)
    report = await run_sync(request, lambda: manager.retry_evaluation(sid, force=force))
    return EvaluationReportOut.from_domain(report)

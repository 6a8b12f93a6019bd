"""Errors as ``application/problem+json`` (RFC 9457): one handler maps the library's errors to
status codes, so no route catches and re-maps by hand."""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    AuthenticationError,
    DataStoreError,
    EvaluationError,
    EvaluationInProgressError,
    InterviewPlatformError,
    InvalidInputError,
    InvalidStateTransitionError,
    PermissionDeniedError,
    ProviderError,
    RateLimitedError,
    ResourceNotFoundError,
    SessionNotFoundError,
    TurnInProgressError,
)
from ..log_events import LogEvent, Logger
from ..validation_errors import describe_error, error_location

PROBLEM_JSON: Final = "application/problem+json"
_TYPE_BASE: Final = "https://interview-orchestrator.dev/problems/"

#: error class -> (status, type slug, title); the first match in this order wins.
STATUS_OF: Final[tuple[tuple[type[InterviewPlatformError], int, str, str], ...]] = (
    (AuthenticationError, 401, "unauthenticated", "Authentication required"),
    (PermissionDeniedError, 403, "forbidden", "Not allowed"),
    (SessionNotFoundError, 404, "not-found", "Not found"),
    (ResourceNotFoundError, 404, "not-found", "Not found"),
    (TurnInProgressError, 409, "turn-in-progress", "A turn is in progress"),
    (InvalidStateTransitionError, 409, "invalid-state", "Not allowed in this state"),
    (InvalidInputError, 422, "invalid-input", "Invalid input"),
    (RateLimitedError, 429, "rate-limited", "Too many requests"),
    (EvaluationInProgressError, 409, "evaluation-in-progress", "The evaluation is running"),
    (ProviderError, 502, "provider-failed", "The AI provider failed"),
    (EvaluationError, 502, "evaluation-failed", "The evaluation failed"),
    (DataStoreError, 503, "database-unavailable", "The database is unavailable"),
)


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": _TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **{key: value for key, value in extra.items() if value is not None},
    }
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if "retry_after" in extra and extra["retry_after"] is not None:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def platform_problem(exc: InterviewPlatformError) -> JSONResponse:
    """The problem document of a library error, with the fields a client acts on."""
    status, slug, title = next(
        ((code, name, words) for cls, code, name, words in STATUS_OF if isinstance(exc, cls)),
        (500, "internal", "Internal error"),
    )
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidStateTransitionError):
        extra.update(session_id=exc.session_id, current_status=exc.status, operation=exc.operation)
    if isinstance(exc, SessionNotFoundError):
        extra["session_id"] = exc.session_id
    if isinstance(exc, TurnInProgressError):
        extra["awaiting_seq"] = exc.awaiting_seq
    if isinstance(exc, RateLimitedError):
        extra["retry_after"] = exc.retry_after
    if isinstance(exc, ProviderError):
        extra.update(
            retryable=exc.retryable,
            message_kept=exc.candidate_message_seq is not None,
            candidate_message_seq=exc.candidate_message_seq,
        )
    detail = str(exc)
    if status == 503:
        detail = "the database could not be reached or failed; nothing was changed, try again"
    return problem(status, slug, title, detail, **extra)


def install(app: FastAPI) -> None:
    """Every error the service answers with is problem+json."""
    log: Logger = app.state.container.logger().bind(component="api")

    @app.exception_handler(InterviewPlatformError)
    async def _platform(_request: Request, exc: InterviewPlatformError) -> JSONResponse:
        return platform_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = exc.errors()
        errors = [
            {"location": error_location(error.get("loc", ())), "message": str(error.get("msg", ""))}
            for error in details
        ]
        detail = describe_error(details[0]) if details else "invalid request"
        return problem(422, "invalid-input", "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        response = problem(exc.status_code, "http", title, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error(LogEvent.REQUEST_FAILED, operation="request", exc_info=exc)
        return problem(500, "internal", "Internal error", "the request failed unexpectedly")

"""The names of the library's log lines, in one place.

A line's ``message`` is one of these fixed dotted names (what happened), and what it happened
to goes into fields (``session_id``, ``operation``, ``metadata``), so that a log pipeline can
count and alert on names without parsing sentences. Nothing here holds data: never put a
message text, résumé data or a token into a name.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Protocol

from .errors import (
    AuthenticationError,
    EvaluationInProgressError,
    InterviewPlatformError,
    InvalidInputError,
    InvalidStateTransitionError,
    PermissionDeniedError,
    RateLimitedError,
    ResourceNotFoundError,
    SessionNotFoundError,
)


class LogEvent(StrEnum):
    """Every ``message`` the library logs."""

    # sessions (SessionManager)
    SESSION_CREATED = "session.created"
    SESSION_CREATE_REPEATED = "session.create_repeated"
    SESSION_STARTED = "session.started"
    SESSION_PAUSED = "session.paused"
    SESSION_RESUMED = "session.resumed"
    SESSION_ENDED = "session.ended"
    MESSAGE_EXCHANGED = "message.exchanged"
    MESSAGE_REPEATED = "message.repeated"
    REPLY_STORED_LATE = "reply.stored_late"
    REPLY_RETRIED = "reply.retried"
    TURN_RELEASE_FAILED = "turn.release_failed"
    # evaluations
    EVALUATION_READY = "evaluation.ready"
    EVALUATION_KEPT = "evaluation.kept"
    EVALUATION_FAILED = "evaluation.failed"
    EVALUATION_NOT_STORED = "evaluation.not_stored"
    EVALUATION_LEASE_LOST = "evaluation.lease_lost"
    EVALUATOR_FALLBACK = "evaluator.fallback"
    INTERVIEWER_FALLBACK = "interviewer.fallback"
    # any operation
    OPERATION_DONE = "operation.done"
    OPERATION_REFUSED = "operation.refused"
    OPERATION_FAILED = "operation.failed"
    # access
    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    KEY_USE_NOT_RECORDED = "key.use_not_recorded"
    LINK_CREATED = "link.created"
    LINK_REVOKED = "link.revoked"
    # background work
    SWEEP_DONE = "sweep.done"
    WORKER_STARTED = "worker.started"
    WORKER_STOPPED = "worker.stopped"
    WORKER_CLAIMED = "worker.claimed"
    WORKER_CLAIM_FAILED = "worker.claim_failed"
    WORKER_RELEASE_FAILED = "worker.release_failed"
    # webhooks
    WEBHOOK_REGISTERED = "webhook.registered"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_DELIVERED = "webhook.delivered"
    WEBHOOK_DELIVERY_FAILED = "webhook.delivery_failed"
    DISPATCHER_STARTED = "dispatcher.started"
    DISPATCHER_STOPPED = "dispatcher.stopped"
    DISPATCHER_FAILED = "dispatcher.failed"
    # live events
    SUBSCRIBER_FAILED = "subscriber.failed"
    SUBSCRIPTION_READ_FAILED = "subscription.read_failed"
    LISTENER_FAILED = "listener.failed"
    LISTENER_RECONNECTING = "listener.reconnecting"
    # the HTTP service
    REQUEST_HANDLED = "request.handled"
    REQUEST_FAILED = "request.failed"
    EVENT_SOCKET_READ_FAILED = "event_socket.read_failed"
    EVENT_SOCKET_FAILED = "event_socket.failed"
    EVENT_SOCKET_CLOSED = "event_socket.closed"


class Logger(Protocol):
    """What the library needs of a logger: structlog's bound-logger methods (``build_logger``
    makes one; any structlog-style bound logger will do). The message is always a
    ``LogEvent``, which the type checker holds every call to; the data go in keyword fields."""

    def bind(self, **new_values: Any) -> Logger: ...

    def debug(self, event: LogEvent, *args: Any, **kw: Any) -> Any: ...

    def info(self, event: LogEvent, *args: Any, **kw: Any) -> Any: ...

    def warning(self, event: LogEvent, *args: Any, **kw: Any) -> Any: ...

    def error(self, event: LogEvent, *args: Any, **kw: Any) -> Any: ...


#: The caller's mistakes and expected refusals: logged as warnings, without a stack.
REFUSALS: Final = (
    InvalidInputError,
    InvalidStateTransitionError,  # TurnInProgressError too
    SessionNotFoundError,
    ResourceNotFoundError,
    AuthenticationError,
    PermissionDeniedError,
    RateLimitedError,
    EvaluationInProgressError,
)


def log_failure(log: Logger, exc: BaseException) -> None:
    """Log why an operation did not happen: a refusal (``REFUSALS``) as a warning with the
    error's class and words as fields and no stack; a real failure as an error with its stack.
    Call it inside the ``except`` block that caught ``exc``."""
    if isinstance(exc, REFUSALS):
        log.warning(LogEvent.OPERATION_REFUSED, error=type(exc).__name__, reason=str(exc))
    elif isinstance(exc, InterviewPlatformError):
        log.error(
            LogEvent.OPERATION_FAILED, error=type(exc).__name__, reason=str(exc), exc_info=True
        )
    else:  # a foreign exception's words may hold anything: its class and stack only
        log.error(LogEvent.OPERATION_FAILED, error=type(exc).__name__, exc_info=True)


__all__ = ["REFUSALS", "LogEvent", "Logger", "log_failure"]

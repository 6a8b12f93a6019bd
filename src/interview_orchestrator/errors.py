"""The error hierarchy: every failure a caller can cause or meet is one of these."""

from __future__ import annotations


class InterviewPlatformError(Exception):
    """Base of every error the library raises on purpose; the message says what to do."""


class SessionNotFoundError(InterviewPlatformError, LookupError):
    """No session has the given id."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"session {session_id!r} does not exist")
        self.session_id = session_id


class ResourceNotFoundError(InterviewPlatformError, LookupError):
    """No key, link or webhook has the given id (or not in the caller's tenant)."""

    def __init__(self, kind: str, resource_id: str) -> None:
        super().__init__(f"{kind} {resource_id!r} does not exist")
        self.kind = kind
        self.resource_id = resource_id


class InvalidStateTransitionError(InterviewPlatformError):
    """The operation is not allowed in the session's current status (nothing was changed)."""

    def __init__(self, session_id: str, status: str, operation: str, detail: str = "") -> None:
        message = f"cannot {operation} session {session_id!r}: it is {status}"
        if detail:
            message = f"{message} ({detail})"
        super().__init__(message)
        self.session_id = session_id
        self.status = status
        self.operation = operation


class TurnInProgressError(InvalidStateTransitionError):
    """The previous candidate message is still waiting for the interviewer's reply: one turn at
    a time (nothing was stored; send again once the reply has come)."""

    def __init__(self, session_id: str, status: str, awaiting_seq: int) -> None:
        super().__init__(
            session_id,
            status,
            "send a message to",
            f"the interviewer is still answering message #{awaiting_seq}; wait for its reply",
        )
        self.awaiting_seq = awaiting_seq


class InvalidInputError(InterviewPlatformError, ValueError):
    """An argument or configuration value is malformed, out of range or unknown."""


class ProviderError(InterviewPlatformError):
    """The AI provider failed or could not be reached.

    ``retryable``: the same call may succeed later (timeouts, rate limits, outages), as opposed
    to a refusal that needs a configuration change (bad key, unknown model).
    ``candidate_message_seq``: set when a turn failed after the candidate's message was stored
    (it is kept; ``SessionManager.retry_reply`` asks the interviewer again).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        candidate_message_seq: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.candidate_message_seq = candidate_message_seq


class ProviderResponseError(ProviderError):
    """The AI provider answered, but not with a usable chat completion (a body that is not
    JSON, no choices); callers retry it like an invalid structured answer."""


class EvaluationError(InterviewPlatformError):
    """The evaluation of a completed session could not be generated (it can be retried)."""


class EvaluationInProgressError(EvaluationError):
    """Another runner is generating the evaluation right now (read it shortly)."""


class DataStoreError(InterviewPlatformError):
    """The database failed; the operation did not take effect."""


class AuthenticationError(InterviewPlatformError):
    """No token, or one that is unknown, revoked or expired (the service answers 401)."""


class PermissionDeniedError(InterviewPlatformError):
    """The caller is known but may not do this (the service answers 403)."""


class RateLimitedError(InterviewPlatformError):
    """Too many requests of this kind from this caller; ``retry_after`` seconds to wait."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

"""interview-orchestrator: the orchestration core for AI-led interviews.

The public names below are the stable contract; everything else is internal.
"""

from typing import TYPE_CHECKING, Any

from .errors import (
    DataStoreError,
    EvaluationError,
    EvaluationInProgressError,
    InterviewPlatformError,
    InvalidInputError,
    InvalidStateTransitionError,
    ProviderError,
    SessionNotFoundError,
    TurnInProgressError,
)
from .models import (
    CommunicationMode,
    DimensionScore,
    EndReason,
    EvaluationReport,
    EvaluationStatus,
    EventType,
    Message,
    Role,
    Session,
    SessionConfig,
    SessionEvent,
    SessionStatus,
    Turn,
)
from .session_manager import SessionManager
from .subscriptions import Subscription

if TYPE_CHECKING:
    from .container import Container


def __getattr__(name: str) -> Any:
    """``Container`` is imported on first use: the domain can be used without the adapters."""
    if name == "Container":
        from .container import Container

        return Container
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CommunicationMode",
    "Container",
    "DataStoreError",
    "DimensionScore",
    "EndReason",
    "EvaluationError",
    "EvaluationInProgressError",
    "EvaluationReport",
    "EvaluationStatus",
    "EventType",
    "InterviewPlatformError",
    "InvalidInputError",
    "InvalidStateTransitionError",
    "Message",
    "ProviderError",
    "Role",
    "Session",
    "SessionConfig",
    "SessionEvent",
    "SessionManager",
    "SessionNotFoundError",
    "SessionStatus",
    "Subscription",
    "Turn",
    "TurnInProgressError",
]

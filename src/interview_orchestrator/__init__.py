"""interview-orchestrator: the orchestration core for AI-led interviews.

The public names below are the stable contract; everything else is internal.

``SessionManager``, ``Subscription`` and ``Container`` are imported when first used: the domain
types can be used (and the command line can print its help) without the store and its adapters.
Whoever imports structlog first, it comes without ``rich`` (imported only if structlog's
console renderer draws a traceback; see ``_deferred_imports``).
"""

from typing import TYPE_CHECKING, Any

from ._deferred_imports import defer_when_imported
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

if TYPE_CHECKING:
    from .container import Container
    from .session_manager import SessionManager
    from .subscriptions import Subscription

defer_when_imported("structlog", "rich")

_LAZY = {
    "Container": "container",
    "SessionManager": "session_manager",
    "Subscription": "subscriptions",
}


def __getattr__(name: str) -> Any:
    """The names of ``_LAZY``, imported from their modules on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


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

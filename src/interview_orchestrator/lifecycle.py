"""The session state machine: one table, read by everything that changes a session's status.

CREATED ──start──▶ ACTIVE ──pause──▶ PAUSED
                      ▲                 │
                      └─────resume──────┘
ACTIVE ──end──▶ COMPLETED ◀──end── PAUSED
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from .errors import InvalidStateTransitionError
from .models import EndReason, Session, SessionStatus


class Operation(StrEnum):
    """The operations that change a session's status."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"


#: (operation, current status) -> next status. Anything absent is refused.
TRANSITIONS: Final[Mapping[tuple[Operation, SessionStatus], SessionStatus]] = MappingProxyType(
    {
        (Operation.START, SessionStatus.CREATED): SessionStatus.ACTIVE,
        (Operation.PAUSE, SessionStatus.ACTIVE): SessionStatus.PAUSED,
        (Operation.RESUME, SessionStatus.PAUSED): SessionStatus.ACTIVE,
        (Operation.END, SessionStatus.ACTIVE): SessionStatus.COMPLETED,
        (Operation.END, SessionStatus.PAUSED): SessionStatus.COMPLETED,
    }
)


def next_status(session_id: str, current: SessionStatus, operation: Operation) -> SessionStatus:
    """The status ``operation`` leads to from ``current``, or the error that refuses it."""
    try:
        return TRANSITIONS[(operation, current)]
    except KeyError:
        allowed = sorted(s.value for (op, s) in TRANSITIONS if op is operation)
        raise InvalidStateTransitionError(
            session_id, current.value, operation.value, f"allowed from: {', '.join(allowed)}"
        ) from None


def allowed_operations(current: SessionStatus) -> frozenset[Operation]:
    """The operations a session in ``current`` accepts."""
    return frozenset(op for (op, status) in TRANSITIONS if status is current)


def apply(
    session: Session, operation: Operation, at: datetime, *, end_reason: EndReason | None = None
) -> Session:
    """The session after ``operation`` at ``at``: new status, version + 1, and the clock kept.

    Active time accumulates only while ACTIVE: leaving ACTIVE adds the stretch since
    ``active_since``; entering ACTIVE starts a new stretch.
    """
    target = next_status(session.id, session.status, operation)
    active_seconds = session.active_seconds
    if session.status is SessionStatus.ACTIVE and session.active_since is not None:
        active_seconds += max((at - session.active_since).total_seconds(), 0.0)
    entering_active = target is SessionStatus.ACTIVE
    return session.with_changes(
        status=target,
        version=session.version + 1,
        active_seconds=active_seconds,
        active_since=at if entering_active else None,
        started_at=session.started_at or (at if entering_active else None),
        ended_at=at if target is SessionStatus.COMPLETED else None,
        end_reason=(end_reason or EndReason.REQUESTED)
        if target is SessionStatus.COMPLETED
        else None,
        last_activity_at=at,
    )

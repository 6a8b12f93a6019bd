"""The session state machine: one table, read by everything that changes a session's status.

CREATED ──start──▶ ACTIVE ──pause──▶ PAUSED
                      ▲                 │
                      └─────resume──────┘
ACTIVE ──end──▶ COMPLETED ◀──end── PAUSED
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
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


# --------------------------------------------------------------------------- time rules


@dataclass(frozen=True)
class TimePolicy:
    """When the server steps in: idle ACTIVE sessions are paused, long-PAUSED ones abandoned."""

    idle_timeout: timedelta = timedelta(minutes=30)
    abandon_after: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class DueAction:
    """What the time rules require of a session now."""

    operation: Operation
    reason: str
    end_reason: EndReason | None = None


def due_action(session: Session, now: datetime, policy: TimePolicy) -> DueAction | None:
    """The action the time rules require of ``session`` at ``now``, if any.

    - ACTIVE past ``duration_minutes`` of active time: end it (``time_limit``);
    - ACTIVE with no activity for ``idle_timeout``: pause it (``idle``);
    - PAUSED with no activity for ``abandon_after``: end it (``abandoned``).
    """
    last_activity = session.last_activity_at or session.created_at
    if session.status is SessionStatus.ACTIVE:
        if session.remaining_seconds_at(now) <= 0:
            return DueAction(Operation.END, EndReason.TIME_LIMIT.value, EndReason.TIME_LIMIT)
        if now - last_activity >= policy.idle_timeout:
            return DueAction(Operation.PAUSE, "idle")
    elif session.status is SessionStatus.PAUSED and now - last_activity >= policy.abandon_after:
        return DueAction(Operation.END, EndReason.ABANDONED.value, EndReason.ABANDONED)
    return None

"""The state machines: the session's and the evaluation's, one table each, read by everything
that changes a status; and what each other operation requires of a session.

Session::

    CREATED ──start──▶ ACTIVE ──pause──▶ PAUSED
                          ▲                 │
                          └─────resume──────┘
    ACTIVE ──end──▶ COMPLETED ◀──end── PAUSED

Evaluation (one per ending)::

    PENDING ──claim──▶ RUNNING ──finish──▶ READY | NO_EVIDENCE
       ▲                 │  └────fail────▶ FAILED ──claim──▶ RUNNING
       └────release──────┘   (a RUNNING one whose lease expired may be claimed again;
                              READY / NO_EVIDENCE only when forced)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from .errors import InvalidStateTransitionError
from .models import EndReason, EvaluationStatus, EventType, Session, SessionStatus


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


#: The event each status change writes to the session's log.
EVENT_OF: Final[Mapping[Operation, EventType]] = MappingProxyType(
    {
        Operation.START: EventType.SESSION_STARTED,
        Operation.PAUSE: EventType.SESSION_PAUSED,
        Operation.RESUME: EventType.SESSION_RESUMED,
        Operation.END: EventType.SESSION_COMPLETED,
    }
)


class Action(StrEnum):
    """Operations that do not change the status but need the session in a given one."""

    SEND = "send a message to"
    RETRY_REPLY = "retry the reply of"
    EVALUATE = "evaluate"


#: action -> (the statuses that allow it, why).
REQUIRES: Final[Mapping[Action, tuple[frozenset[SessionStatus], str]]] = MappingProxyType(
    {
        Action.SEND: (frozenset({SessionStatus.ACTIVE}), "input is accepted only while ACTIVE"),
        Action.RETRY_REPLY: (
            frozenset({SessionStatus.ACTIVE}),
            "the interviewer answers only while ACTIVE",
        ),
        Action.EVALUATE: (
            frozenset({SessionStatus.COMPLETED}),
            "only a COMPLETED session is evaluated",
        ),
    }
)


def require(session_id: str, current: SessionStatus, action: Action) -> None:
    """Refuse ``action`` unless the session's status allows it."""
    allowed, why = REQUIRES[action]
    if current not in allowed:
        raise InvalidStateTransitionError(session_id, current.value, action.value, why)


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


# --------------------------------------------------------------------------- evaluations


class EvaluationOperation(StrEnum):
    """What happens to an evaluation; ``TAKE_OVER`` claims a RUNNING one whose lease expired
    (its runner died) and ``FORCE`` regenerates a finished one."""

    CLAIM = "claim"
    TAKE_OVER = "take_over"
    FORCE = "force"
    FINISH = "finish"
    FAIL = "fail"
    RELEASE = "release"


#: The evaluation's state machine: (operation, status) -> the statuses it may lead to.
EVALUATION_TRANSITIONS: Final[
    Mapping[tuple[EvaluationOperation, EvaluationStatus], frozenset[EvaluationStatus]]
] = MappingProxyType(
    {
        (EvaluationOperation.CLAIM, EvaluationStatus.PENDING): frozenset(
            {EvaluationStatus.RUNNING}
        ),
        (EvaluationOperation.CLAIM, EvaluationStatus.FAILED): frozenset({EvaluationStatus.RUNNING}),
        (EvaluationOperation.TAKE_OVER, EvaluationStatus.RUNNING): frozenset(
            {EvaluationStatus.RUNNING}
        ),
        (EvaluationOperation.FORCE, EvaluationStatus.READY): frozenset({EvaluationStatus.RUNNING}),
        (EvaluationOperation.FORCE, EvaluationStatus.NO_EVIDENCE): frozenset(
            {EvaluationStatus.RUNNING}
        ),
        (EvaluationOperation.FINISH, EvaluationStatus.RUNNING): frozenset(
            {EvaluationStatus.READY, EvaluationStatus.NO_EVIDENCE}
        ),
        (EvaluationOperation.FAIL, EvaluationStatus.RUNNING): frozenset({EvaluationStatus.FAILED}),
        (EvaluationOperation.RELEASE, EvaluationStatus.RUNNING): frozenset(
            {EvaluationStatus.PENDING}
        ),
    }
)


def evaluation_sources(operation: EvaluationOperation) -> frozenset[EvaluationStatus]:
    """The statuses ``operation`` applies to (the store's WHERE clauses are built from these)."""
    return frozenset(status for (op, status) in EVALUATION_TRANSITIONS if op is operation)


def evaluation_targets(operation: EvaluationOperation) -> frozenset[EvaluationStatus]:
    """The statuses ``operation`` may lead to."""
    targets: frozenset[EvaluationStatus] = frozenset()
    for (op, _status), reached in EVALUATION_TRANSITIONS.items():
        if op is operation:
            targets |= reached
    return targets


#: A finished evaluation is regenerated only when forced.
FINISHED_EVALUATION: Final = frozenset({EvaluationStatus.READY, EvaluationStatus.NO_EVIDENCE})
#: What a background worker picks up by itself: waiting ones (and, by ``TAKE_OVER``, those
#: whose runner died). A FAILED one waits for someone to retry it.
WORKER_CLAIMS: Final = frozenset({EvaluationStatus.PENDING})


def evaluation_claim(
    status: EvaluationStatus | None,
    lease_expires_at: datetime | None,
    *,
    now: datetime,
    force: bool,
) -> EvaluationOperation | None:
    """How an evaluation in ``status`` may be claimed now, or None if it may not (another
    runner holds it, or it is finished and not forced). None status: there is none yet."""
    if status is None or status in evaluation_sources(EvaluationOperation.CLAIM):
        return EvaluationOperation.CLAIM
    if status in evaluation_sources(EvaluationOperation.TAKE_OVER):
        expired = lease_expires_at is None or lease_expires_at <= now
        return EvaluationOperation.TAKE_OVER if expired else None
    if force and status in evaluation_sources(EvaluationOperation.FORCE):
        return EvaluationOperation.FORCE
    return None

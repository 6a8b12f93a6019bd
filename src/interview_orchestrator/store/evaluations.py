"""Evaluations: claimed with a lease, finished or failed by the attempt that holds them.

``(status, attempts)`` is the compare-and-set key: a claim moves the row to RUNNING with
``attempts + 1`` and a lease; finishing, failing, renewing or releasing succeeds only for
the attempt that still holds it. A runner that died leaves a lease that expires, after which
another runner may take the evaluation over (its late result is then refused), so each ending
is evaluated once. Which statuses each operation applies to comes from the domain's table
(``lifecycle.EVALUATION_TRANSITIONS``); the statements here are built from it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Integer, and_, bindparam, insert, null, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import EvaluationError, InvalidInputError, SessionNotFoundError
from ..lifecycle import (
    WORKER_CLAIMS,
    Action,
    EvaluationOperation,
    evaluation_claim,
    evaluation_sources,
    evaluation_targets,
    require,
)
from ..models import EvaluationReport, EvaluationStatus, EventType, NewEvent, SessionStatus
from ..ports import EvaluationLease, EvaluationOutcome
from .codecs import EvaluationCodec, decoded
from .driver import DriverStatement
from .events import PendingEvent, record_events
from .schema import EVALUATIONS, SESSIONS
from .sessions import require_exists
from .transactions import Transactions, require_aware

#: The session's status and its evaluation's claim key, in one statement.
_SESSION_AND_EVALUATION: Final = DriverStatement(
    select(
        SESSIONS.c.status.label("session_status"),
        EVALUATIONS.c.status,
        EVALUATIONS.c.attempts,
        EVALUATIONS.c.lease_expires_at,
    )
    .select_from(SESSIONS.outerjoin(EVALUATIONS, EVALUATIONS.c.session_id == SESSIONS.c.id))
    .where(SESSIONS.c.id == bindparam("b_id"))
)


_EVALUATION_OF: Final = DriverStatement(
    select(EVALUATIONS).where(EVALUATIONS.c.session_id == bindparam("b_id"))
)
_C = EVALUATIONS.c
#: A claim: the evaluation seen in (status, attempts) moves to RUNNING under a new lease.
_TAKE: Final = DriverStatement(
    update(EVALUATIONS)
    .where(
        _C.session_id == bindparam("b_id"),
        _C.status == bindparam("b_status", type_=_C.status.type),
        _C.attempts == bindparam("b_attempts", type_=Integer),
    )
    .values(
        status=EvaluationStatus.RUNNING.value,
        attempts=bindparam("b_next_attempt", type_=Integer),
        started_at=bindparam("b_now", type_=_C.started_at.type),
        updated_at=bindparam("b_now", type_=_C.updated_at.type),
        completed_at=null(),
        error=null(),
        lease_expires_at=bindparam("b_lease_end", type_=_C.lease_expires_at.type),
        claimed_by=bindparam("b_worker", type_=_C.claimed_by.type),
    )
    .returning(*EVALUATIONS.c)
)


@functools.cache
def _held_update(columns: tuple[str, ...]) -> DriverStatement:
    """The update of ``columns`` (parameters ``v_<column>``) by the attempt that holds the
    evaluation, built once per set of columns."""
    return DriverStatement(
        update(EVALUATIONS)
        .where(
            _C.session_id == bindparam("b_id"),
            _C.status == EvaluationStatus.RUNNING.value,
            _C.attempts == bindparam("b_attempt", type_=Integer),
        )
        .values({name: bindparam(f"v_{name}", type_=_C[name].type) for name in columns})
        .returning(*EVALUATIONS.c)
    )


class EvaluationRepository:
    """The evaluations of the ``DataStore``."""

    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def get_evaluation(self, session_id: str) -> EvaluationReport | None:
        def tx(conn: Connection) -> EvaluationReport | None:
            report = _load(conn, session_id)
            if report is None:
                require_exists(conn, session_id)
            return report

        return self._tx.read(f"read the evaluation of session {session_id!r}", tx)

    def evaluation_lease(self, session_id: str) -> EvaluationLease | None:
        """Who holds the session's RUNNING evaluation and until when; None if none runs."""
        query = select(EVALUATIONS.c.claimed_by, EVALUATIONS.c.lease_expires_at).where(
            EVALUATIONS.c.session_id == session_id,
            EVALUATIONS.c.status == EvaluationStatus.RUNNING.value,
        )

        def tx(conn: Connection) -> EvaluationLease | None:
            row = conn.execute(query).first()
            return None if row is None else EvaluationLease(row.claimed_by, row.lease_expires_at)

        return self._tx.read(f"read the evaluation lease of session {session_id!r}", tx)

    def claim_evaluation(
        self,
        session_id: str,
        *,
        force: bool,
        now: datetime,
        lease: timedelta,
        worker: str | None = None,
    ) -> EvaluationReport | None:
        require_aware(now, "now")

        def tx(conn: Connection) -> EvaluationReport | None:
            both = _SESSION_AND_EVALUATION.first(conn, {"b_id": session_id})
            if both is None:
                raise SessionNotFoundError(session_id)
            require(session_id, SessionStatus(both["session_status"]), Action.EVALUATE)
            seen = None if both["status"] is None else both
            if seen is None:
                conn.execute(
                    insert(EVALUATIONS).values(
                        session_id=session_id,
                        status=EvaluationStatus.RUNNING.value,
                        attempts=1,
                        created_at=now,
                        updated_at=now,
                        started_at=now,
                        lease_expires_at=now + lease,
                        claimed_by=worker,
                    )
                )
                return self._claimed(conn, _require(conn, session_id), now)
            operation = evaluation_claim(
                EvaluationStatus(seen["status"]), seen["lease_expires_at"], now=now, force=force
            )
            if operation is None:
                return None
            return self._take(
                conn,
                session_id,
                seen["status"],
                seen["attempts"],
                now=now,
                lease=lease,
                worker=worker,
            )

        try:
            return self._tx.write(
                f"claim the evaluation of session {session_id!r}", tx, pass_integrity=True
            )
        except IntegrityError:
            # Another runner inserted the missing evaluation first: it holds it.
            return None

    def claim_next_evaluation(
        self, *, now: datetime, lease: timedelta, worker: str
    ) -> EvaluationReport | None:
        """The oldest evaluation a worker may pick up (PENDING, or RUNNING with an expired
        lease), claimed for ``worker``; None when there is none. On PostgreSQL concurrent
        workers skip each other's rows (``FOR UPDATE SKIP LOCKED``); SQLite serialises them."""
        require_aware(now, "now")
        due = (
            select(EVALUATIONS.c.session_id, EVALUATIONS.c.status, EVALUATIONS.c.attempts)
            .where(_worker_may_claim(now))
            .order_by(EVALUATIONS.c.updated_at, EVALUATIONS.c.session_id)
            .limit(1)
        )
        if self._tx.is_postgres:
            due = due.with_for_update(skip_locked=True)

        def tx(conn: Connection) -> EvaluationReport | None:
            row = conn.execute(due).first()
            if row is None:
                return None
            return self._take(
                conn, row.session_id, row.status, row.attempts, now=now, lease=lease, worker=worker
            )

        return self._tx.write("claim the next pending evaluation", tx)

    def renew_evaluation(self, session_id: str, *, attempt: int, until: datetime) -> bool:
        """Extend the lease of ``attempt``; False if it no longer holds the evaluation."""
        statement = (
            update(EVALUATIONS)
            .where(*_held_by(session_id, attempt))
            .values(lease_expires_at=require_aware(until, "until"))
        )
        return self._tx.write(
            f"renew the evaluation lease of session {session_id!r}",
            lambda conn: conn.execute(statement).rowcount == 1,
        )

    def release_evaluation(self, session_id: str, *, attempt: int, now: datetime) -> bool:
        """Give a RUNNING evaluation back (PENDING) for another runner, e.g. on shutdown;
        False if ``attempt`` no longer held it."""
        (target,) = tuple(evaluation_targets(EvaluationOperation.RELEASE))
        values = {
            "status": target.value,
            "updated_at": now,
            "lease_expires_at": None,
            "claimed_by": None,
        }

        def tx(conn: Connection) -> bool:
            if (
                conn.execute(
                    update(EVALUATIONS).where(*_held_by(session_id, attempt)).values(values)
                ).rowcount
                != 1
            ):
                return False
            _evaluation_event(
                conn,
                session_id,
                target,
                overall_score=None,
                attempts=attempt,
                now=now,
            )
            return True

        return self._tx.write(f"release the evaluation of session {session_id!r}", tx)

    def finish_evaluation(
        self, session_id: str, outcome: EvaluationOutcome, *, attempt: int, now: datetime
    ) -> EvaluationReport:
        require_aware(now, "now")
        allowed = evaluation_targets(EvaluationOperation.FINISH)
        if EvaluationStatus(outcome.status) not in allowed:
            raise InvalidInputError(
                f"an evaluation outcome is ready or no_evidence, got {outcome.status}"
            )
        values = {
            **EvaluationCodec.outcome(outcome),
            "error": None,
            "updated_at": now,
            "completed_at": now,
            "lease_expires_at": None,
            "claimed_by": None,
        }

        def tx(conn: Connection) -> EvaluationReport:
            stored = _update_held(conn, session_id, attempt, values)
            _evaluation_event(
                conn,
                session_id,
                EvaluationStatus(outcome.status),
                overall_score=outcome.overall_score,
                attempts=attempt,
                now=now,
                session_score=True,
            )
            return stored

        return self._tx.write(f"store the evaluation of session {session_id!r}", tx)

    def fail_evaluation(
        self, session_id: str, *, error: str, attempt: int, now: datetime
    ) -> EvaluationReport:
        require_aware(now, "now")
        (target,) = tuple(evaluation_targets(EvaluationOperation.FAIL))
        values = {
            "status": target.value,
            "error": error,
            "updated_at": now,
            "lease_expires_at": None,
            "claimed_by": None,
        }

        def tx(conn: Connection) -> EvaluationReport:
            stored = _update_held(conn, session_id, attempt, values)
            _evaluation_event(
                conn,
                session_id,
                target,
                overall_score=None,
                attempts=attempt,
                now=now,
            )
            return stored

        return self._tx.write(f"record the failed evaluation of session {session_id!r}", tx)

    def evaluations_to_resume(
        self, *, pending_before: datetime, now: datetime, limit: int
    ) -> list[str]:
        """Session ids whose evaluation was left PENDING since before ``pending_before``, or
        RUNNING with a lease that expired (its runner died)."""
        require_aware(pending_before, "pending_before")
        query = (
            select(EVALUATIONS.c.session_id)
            .where(
                or_(
                    and_(
                        EVALUATIONS.c.status.in_(_values(WORKER_CLAIMS)),
                        EVALUATIONS.c.updated_at < pending_before,
                    ),
                    _lease_expired(now),
                )
            )
            .order_by(EVALUATIONS.c.updated_at)
            .limit(limit)
        )
        return self._tx.read(
            "find evaluations to resume", lambda conn: list(conn.execute(query).scalars())
        )

    def failed_evaluations(self, *, limit: int) -> list[str]:
        """Session ids whose evaluation FAILED, oldest failure first."""
        query = (
            select(EVALUATIONS.c.session_id)
            .where(EVALUATIONS.c.status == EvaluationStatus.FAILED.value)
            .order_by(EVALUATIONS.c.updated_at)
            .limit(limit)
        )
        return self._tx.read(
            "find failed evaluations", lambda conn: list(conn.execute(query).scalars())
        )

    # ------------------------------------------------------------------ internals

    def _take(
        self,
        conn: Connection,
        session_id: str,
        status: str,
        attempts: int,
        *,
        now: datetime,
        lease: timedelta,
        worker: str | None,
    ) -> EvaluationReport | None:
        """Claim the evaluation seen in ``(status, attempts)`` if nobody changed it meanwhile."""
        claimed = _TAKE.first(
            conn,
            {
                "b_id": session_id,
                "b_status": status,
                "b_attempts": attempts,
                "b_next_attempt": attempts + 1,
                "b_now": now,
                "b_lease_end": now + lease,
                "b_worker": worker,
            },
        )
        if claimed is None:
            return None
        return self._claimed(conn, decoded(EvaluationCodec.decode, claimed), now)

    def _claimed(
        self, conn: Connection, report: EvaluationReport, now: datetime
    ) -> EvaluationReport:
        session_id = report.session_id
        _evaluation_event(
            conn,
            session_id,
            report.status,
            overall_score=None,
            attempts=report.attempts,
            now=now,
        )
        return report


def _values(statuses: frozenset[EvaluationStatus]) -> list[str]:
    return sorted(status.value for status in statuses)


def _lease_expired(now: datetime) -> Any:
    """A RUNNING evaluation whose runner's lease has run out (``TAKE_OVER``)."""
    return and_(
        EVALUATIONS.c.status.in_(_values(evaluation_sources(EvaluationOperation.TAKE_OVER))),
        or_(EVALUATIONS.c.lease_expires_at.is_(None), EVALUATIONS.c.lease_expires_at <= now),
    )


def _worker_may_claim(now: datetime) -> Any:
    return or_(EVALUATIONS.c.status.in_(_values(WORKER_CLAIMS)), _lease_expired(now))


def _held_by(session_id: str, attempt: int) -> tuple[Any, ...]:
    return (
        EVALUATIONS.c.session_id == session_id,
        EVALUATIONS.c.status == EvaluationStatus.RUNNING.value,
        EVALUATIONS.c.attempts == attempt,
    )


def _load(conn: Connection, session_id: str) -> EvaluationReport | None:
    row = _EVALUATION_OF.first(conn, {"b_id": session_id})
    return None if row is None else decoded(EvaluationCodec.decode, row)


def _require(conn: Connection, session_id: str) -> EvaluationReport:
    report = _load(conn, session_id)
    if report is None:
        require_exists(conn, session_id)
        raise EvaluationError(f"session {session_id!r} has no evaluation")
    return report


def _update_held(
    conn: Connection, session_id: str, attempt: int, values: Mapping[str, Any]
) -> EvaluationReport:
    """Apply ``values`` if attempt ``attempt`` still holds the evaluation (it is RUNNING with
    that many attempts) and return it as stored; otherwise raise ``EvaluationError`` and
    change nothing."""
    params = {f"v_{name}": value for name, value in values.items()}
    params.update(b_id=session_id, b_attempt=attempt)
    row = _held_update(tuple(sorted(values))).first(conn, params)
    if row is not None:
        return decoded(EvaluationCodec.decode, row)
    current = _require(conn, session_id)
    raise EvaluationError(
        f"attempt {attempt} no longer holds the evaluation of session {session_id!r} "
        f"(it is {current.status.value} after {current.attempts} attempt(s)); "
        "its result was not stored"
    )


def _evaluation_event(
    conn: Connection,
    session_id: str,
    status: EvaluationStatus,
    *,
    overall_score: float | None,
    attempts: int,
    now: datetime,
    session_score: bool = False,
) -> None:
    """Log the evaluation's new status; with ``session_score`` the session's overall score is
    set by the same statement that numbers the event."""
    record_events(
        conn,
        session_id,
        [
            PendingEvent(
                NewEvent(
                    EventType.EVALUATION_UPDATED,
                    {"status": status.value, "overall_score": overall_score, "attempts": attempts},
                )
            )
        ],
        at=now,
        also=({"overall_score": overall_score} if session_score else None),
    )

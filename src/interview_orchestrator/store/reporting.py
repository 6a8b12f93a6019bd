"""Reporting and maintenance queries: figures for dashboards, the sessions a sweep concerns.

Aggregates are computed by the database; no rows are brought back to count them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from ..models import EvaluationStatus, Session, SessionStats, SessionStatus
from .codecs import SessionCodec, decoded
from .schema import EVALUATIONS, SESSIONS
from .sessions import ACTIVE
from .transactions import Transactions, require_aware


class ReportingQueries:
    """The reporting side of the ``DataStore``."""

    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def sessions_to_sweep(
        self, *, abandoned_before: datetime, after_id: str | None, limit: int
    ) -> list[Session]:
        """A page (by id) of the sessions the time rules may concern: every ACTIVE one (its
        time limit depends on its own duration) and the PAUSED ones idle since before
        ``abandoned_before``."""
        require_aware(abandoned_before, "abandoned_before")
        query = select(SESSIONS).where(
            or_(
                SESSIONS.c.status == ACTIVE,
                and_(
                    SESSIONS.c.status == SessionStatus.PAUSED.value,
                    SESSIONS.c.last_activity_at < abandoned_before,
                ),
            )
        )
        if after_id is not None:
            query = query.where(SESSIONS.c.id > after_id)
        query = query.order_by(SESSIONS.c.id).limit(limit)

        def tx(conn: Connection) -> list[Session]:
            return [decoded(SessionCodec.decode, row) for row in conn.execute(query).mappings()]

        return self._tx.read("find sessions to sweep", tx)

    def session_stats(self, *, since: datetime, tenant_id: str | None = None) -> SessionStats:
        """Counts by status, sessions per day since ``since``, averages, score histogram, and
        evaluations by status: of one tenant, or of all."""
        require_aware(since, "since")
        day = (
            func.date(SESSIONS.c.created_at)
            if self._tx.is_sqlite
            else func.to_char(func.timezone("UTC", SESSIONS.c.created_at), "YYYY-MM-DD")
        )
        score = SESSIONS.c.overall_score
        buckets = [
            func.sum(
                case(
                    (and_(score >= 10 * i, score < 10 * (i + 1) if i < 9 else score <= 100), 1),
                    else_=0,
                )
            )
            for i in range(10)
        ]
        completed = SESSIONS.c.status == SessionStatus.COMPLETED.value
        scope: list[Any] = [] if tenant_id is None else [SESSIONS.c.tenant_id == tenant_id]
        evaluations_query = select(EVALUATIONS.c.status, func.count()).group_by(
            EVALUATIONS.c.status
        )
        if tenant_id is not None:
            evaluations_query = evaluations_query.where(
                EVALUATIONS.c.session_id.in_(
                    select(SESSIONS.c.id).where(SESSIONS.c.tenant_id == tenant_id)
                )
            )

        def tx(conn: Connection) -> SessionStats:
            by_status: dict[str, int] = dict(
                conn.execute(
                    select(SESSIONS.c.status, func.count())
                    .where(*scope)
                    .group_by(SESSIONS.c.status)
                ).all()
            )
            per_day = conn.execute(
                select(day.label("day"), func.count())
                .where(SESSIONS.c.created_at >= since, *scope)
                .group_by("day")
                .order_by("day")
            ).all()
            averages = conn.execute(
                select(
                    func.avg(case((completed, SESSIONS.c.active_seconds))),
                    func.avg(score),
                    func.count(score),
                    *buckets,
                ).where(*scope)
            ).one()
            evaluations: dict[str, int] = dict(conn.execute(evaluations_query).all())
            return SessionStats(
                by_status={s: int(by_status.get(s.value, 0)) for s in SessionStatus},
                per_day=tuple((str(d), int(n)) for d, n in per_day),
                average_active_seconds=_float_or_none(averages[0]),
                average_score=_float_or_none(averages[1]),
                scored_sessions=int(averages[2] or 0),
                score_histogram=tuple(int(n or 0) for n in averages[3:]),
                evaluations_by_status={
                    s: int(evaluations.get(s.value, 0)) for s in EvaluationStatus
                },
                since=since,
            )

        return self._tx.snapshot("compute session statistics", tx)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)

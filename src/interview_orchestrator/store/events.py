"""The event log: written inside the transaction of the change it records, read by cursor.

Every statement that changes a session also bumps ``sessions.event_count`` (in the same
``UPDATE``, which holds the session's row lock), so a session's events are numbered 1, 2, 3 …
in commit order with no gaps: a reader that has seen event ``n`` has seen all before it.
On PostgreSQL a trigger on ``events`` sends ``NOTIFY`` for each row (migration 0003: no extra
round trip; delivered at commit, never for a rollback) so that listeners in other processes
wake up; the row stays the truth.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Integer, and_, bindparam, insert, select, update

from ..models import NewEvent, SessionEvent
from .codecs import EventCodec, decoded
from .driver import DriverStatement
from .schema import EVENTS, MESSAGES, SESSIONS

#: ``Connection.info`` key of the (session_id, first, last) batches a transaction wrote; the
#: transaction runner announces them after the commit.
COMMITTED_KEY: Final = "interview_events_written"
#: The PostgreSQL channel of the log; payload ``"<session_id> <first> <last>"`` (the trigger
#: sends one event per notification: first == last).
NOTIFY_CHANNEL: Final = "interview_events"


@dataclass(frozen=True)
class PendingEvent:
    """An event to write with a change: what happened, and the message it is about."""

    event: NewEvent
    message_seq: int | None = None


#: Events with, for a message.created event, its message's columns (prefixed ``m_``): what
#: ``EventCodec.decode`` reads. Readers add their own WHERE and ORDER BY.
EVENTS_WITH_MESSAGE: Final = select(
    EVENTS,
    MESSAGES.c.seq.label("m_seq"),
    MESSAGES.c.role.label("m_role"),
    MESSAGES.c.mode.label("m_mode"),
    MESSAGES.c.content.label("m_content"),
    MESSAGES.c.created_at.label("m_created_at"),
    MESSAGES.c.late.label("m_late"),
    MESSAGES.c.client_message_id.label("m_client_message_id"),
    MESSAGES.c.reply_to.label("m_reply_to"),
).select_from(
    EVENTS.outerjoin(
        MESSAGES,
        and_(
            MESSAGES.c.session_id == EVENTS.c.session_id,
            MESSAGES.c.seq == EVENTS.c.message_seq,
        ),
    )
)

_EVENTS_AFTER: Final = (
    EVENTS_WITH_MESSAGE.where(
        EVENTS.c.session_id == bindparam("b_id"), EVENTS.c.seq > bindparam("b_after")
    )
    .order_by(EVENTS.c.seq)
    .limit(bindparam("b_limit", type_=Integer))
)

_INSERT_EVENTS: Final = DriverStatement(
    insert(EVENTS).inline(),
    column_keys=("session_id", "tenant_id", "seq", "type", "data", "message_seq", "created_at"),
)


@functools.cache
def _bump_events(also: tuple[str, ...]) -> DriverStatement:
    """``event_count + n``, and the session columns ``also`` (parameters ``v_<column>``) in the
    same statement, built once per set of columns."""
    changes: dict[str, Any] = {
        name: bindparam(f"v_{name}", type_=SESSIONS.c[name].type) for name in also
    }
    changes["event_count"] = SESSIONS.c.event_count + bindparam("b_n", type_=Integer)
    return DriverStatement(
        update(SESSIONS)
        .where(SESSIONS.c.id == bindparam("b_id"))
        .values(changes)
        .returning(SESSIONS.c.event_count, SESSIONS.c.tenant_id)
    )


def write_events(
    conn: Connection,
    *,
    session_id: str,
    tenant_id: str,
    last_seq: int,
    pending: Sequence[PendingEvent],
    at: datetime,
) -> list[SessionEvent]:
    """Insert ``pending`` numbered so that the last gets ``last_seq`` (the caller has already
    added ``len(pending)`` to ``sessions.event_count`` in this transaction)."""
    if not pending:
        return []
    first = last_seq - len(pending) + 1
    events = [
        SessionEvent(
            id=first + index,
            type=item.event.type,
            session_id=session_id,
            data=item.event.data,
            created_at=at,
            tenant_id=tenant_id,
        )
        for index, item in enumerate(pending)
    ]
    _INSERT_EVENTS.run_many(
        conn,
        [
            EventCodec.encode(event, item.message_seq)
            for event, item in zip(events, pending, strict=True)
        ],
    )
    committed = conn.info.get(COMMITTED_KEY)
    if committed is not None:
        committed.append((session_id, first, last_seq))
    return events


def record_events(
    conn: Connection,
    session_id: str,
    pending: Sequence[PendingEvent],
    *,
    at: datetime,
    also: Mapping[str, Any] | None = None,
) -> list[SessionEvent]:
    """Number and write ``pending`` for a change that did not bump the cursor itself (an
    evaluation's progress). Takes the session's row lock, like every other change; ``also``
    are more columns of the session to set in the same statement."""
    if not pending:
        return []
    columns = tuple(sorted(also or ()))
    params = {f"v_{name}": (also or {})[name] for name in columns}
    params.update(b_id=session_id, b_n=len(pending))
    row = _bump_events(columns).first(conn, params)
    if row is None:
        return []
    return write_events(
        conn,
        session_id=session_id,
        tenant_id=row["tenant_id"],
        last_seq=int(row["event_count"]),
        pending=pending,
        at=at,
    )


def read_events(conn: Connection, session_id: str, after: int, limit: int) -> list[SessionEvent]:
    """The session's events with a cursor above ``after``, in order, at most ``limit``."""
    rows = conn.execute(
        _EVENTS_AFTER, {"b_id": session_id, "b_after": after, "b_limit": limit}
    ).mappings()
    return [decoded(EventCodec.decode, row) for row in rows]

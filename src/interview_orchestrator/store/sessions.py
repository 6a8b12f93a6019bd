"""Sessions: insert, read, list, and change status by compare-and-set on ``version``.

"One ACTIVE session per candidate of a tenant" is a partial unique index; a status change
writes its audit row, the messages that come with it (the opening question), its events and,
on reaching COMPLETED, a PENDING evaluation, all in one transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidInputError, InvalidStateTransitionError, SessionNotFoundError
from ..lifecycle import EVENT_OF, Operation
from ..models import (
    EvaluationStatus,
    EventType,
    Message,
    NewEvent,
    NewMessage,
    Session,
    SessionStatus,
    plain_json,
    validate_page,
)
from ..ports import TransitionResult
from .codecs import MessageCodec, SessionCodec, decoded
from .driver import DriverStatement
from .events import PendingEvent, write_events
from .schema import EVALUATIONS, INTERVIEWER_NOTES, MESSAGES, SESSIONS, TRANSITIONS
from .transactions import Transactions, require_aware, store_error

_MAX_REASON_CHARS: Final = 64
#: Interviewer notes are short by contract; longer ones are clipped rather than refused, so a
#: verbose interviewer never costs the reply it came with.
_MAX_NOTES: Final = 50
_MAX_NOTE_CHARS: Final = 4000
ACTIVE: Final = SessionStatus.ACTIVE.value

# Statements of the hot path, built once: building a statement costs as much as running it,
# and a prebuilt one keeps its compiled form in SQLAlchemy's cache.
_SESSION_BY_ID: Final = select(SESSIONS).where(SESSIONS.c.id == bindparam("b_id"))
_SESSION_ID: Final = select(SESSIONS.c.id).where(SESSIONS.c.id == bindparam("b_id"))
_LOWEST_ID: Final = "00000000-0000-0000-0000-000000000000"
_HIGHEST_ID: Final = "ffffffff-ffff-ffff-ffff-ffffffffffff"
_INSERT_MESSAGES: Final = insert(MESSAGES)
#: A status change's statements, prebuilt (one UPDATE per set of changed columns), on the
#: driver (``driver.py``).
_TRANSITION_COLUMNS: Final = (
    "status",
    "version",
    "started_at",
    "ended_at",
    "end_reason",
    "active_since",
    "active_seconds",
    "last_activity_at",
)


def _transition(*, with_state: bool, with_phase: bool) -> DriverStatement:
    changes: dict[str, Any] = {
        name: bindparam(f"b_{name}", type_=SESSIONS.c[name].type) for name in _TRANSITION_COLUMNS
    }
    changes["message_count"] = SESSIONS.c.message_count + bindparam("b_messages", type_=Integer)
    changes["event_count"] = SESSIONS.c.event_count + bindparam("b_events", type_=Integer)
    if with_state:
        changes["interviewer_state"] = bindparam(
            "b_interviewer_state", type_=SESSIONS.c.interviewer_state.type
        )
    if with_phase:
        changes["phase"] = bindparam("b_phase", type_=SESSIONS.c.phase.type)
    return DriverStatement(
        update(SESSIONS)
        .where(
            SESSIONS.c.id == bindparam("b_id"),
            SESSIONS.c.version == bindparam("b_version_before", type_=Integer),
            SESSIONS.c.status == bindparam("b_status_before", type_=SESSIONS.c.status.type),
        )
        .values(changes)
        .returning(*SESSIONS.c)  # the session as stored: no second read
    )


_TRANSITIONS: Final = {
    (with_state, with_phase): _transition(with_state=with_state, with_phase=with_phase)
    for with_state in (True, False)
    for with_phase in (True, False)
}
_INSERT_TRANSITION: Final = DriverStatement(
    insert(TRANSITIONS).inline(),
    column_keys=("session_id", "from_status", "to_status", "operation", "reason", "at"),
)
_INSERT_PENDING_EVALUATION: Final = DriverStatement(
    insert(EVALUATIONS).inline(),
    column_keys=("session_id", "status", "attempts", "created_at", "updated_at"),
)
_INSERT_SESSION: Final = DriverStatement(
    insert(SESSIONS).returning(*SESSIONS.c), column_keys=[column.key for column in SESSIONS.c]
)
#: The session read and the message insert of every turn, run on the driver (``driver.py``).
_READ_SESSION: Final = DriverStatement(_SESSION_BY_ID)
_STORE_MESSAGES: Final = DriverStatement(
    insert(MESSAGES).inline(),
    column_keys=(
        "session_id",
        "seq",
        "role",
        "mode",
        "content",
        "created_at",
        "late",
        "client_message_id",
        "reply_to",
    ),
)
_INSERT_NOTES: Final = insert(INTERVIEWER_NOTES)


def _active_session(*, of_tenant: bool, of_user: bool) -> DriverStatement:
    query = select(SESSIONS).where(SESSIONS.c.status == ACTIVE)
    if of_tenant:
        query = query.where(SESSIONS.c.tenant_id == bindparam("b_tenant"))
    if of_user:
        query = query.where(SESSIONS.c.user_id == bindparam("b_user"))
    return DriverStatement(
        query.order_by(SESSIONS.c.started_at.desc().nulls_last(), SESSIONS.c.id.desc()).limit(1)
    )


#: The ACTIVE session (of a tenant, of a user): asked before every start.
_ACTIVE_SESSION: Final = {
    (of_tenant, of_user): _active_session(of_tenant=of_tenant, of_user=of_user)
    for of_tenant in (True, False)
    for of_user in (True, False)
}
#: The filters of a page of sessions, in the order of ``_page_statement``'s shape.
_PAGE_FILTERS: Final = (
    "b_tenant",
    "b_user",
    "b_status",
    "b_since",
    "b_until",
    "b_min_score",
    "b_after",
)


@functools.cache
def _page_statement(shape: tuple[bool, ...]) -> DriverStatement:
    """The page query for the filters present (``shape``, by ``_PAGE_FILTERS``), built once per
    combination, newest first."""
    tenant, user, status, since, until, min_score, after = shape
    c = SESSIONS.c
    query = select(SESSIONS)
    if tenant:
        query = query.where(c.tenant_id == bindparam("b_tenant"))
    if user:
        query = query.where(c.user_id == bindparam("b_user"))
    if status:
        query = query.where(c.status == bindparam("b_status"))
    if since:
        query = query.where(c.created_at >= bindparam("b_since", type_=c.created_at.type))
    if until:
        query = query.where(c.created_at < bindparam("b_until", type_=c.created_at.type))
    if min_score:
        query = query.where(c.overall_score >= bindparam("b_min_score", type_=c.overall_score.type))
    if after:
        cursor_at = bindparam("b_cursor_at", type_=c.created_at.type)
        query = query.where(
            or_(
                c.created_at < cursor_at,
                and_(c.created_at == cursor_at, c.id < bindparam("b_after")),
            )
        )
    query = query.order_by(c.created_at.desc(), c.id.desc())
    return DriverStatement(
        query.limit(bindparam("b_limit", type_=Integer)).offset(
            bindparam("b_offset", type_=Integer)
        )
    )


class SessionRepository:
    """The sessions of the ``DataStore``."""

    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def add_session(self, session: Session) -> Session:
        values = SessionCodec.encode(session)

        def tx(conn: Connection) -> Session:
            stored = load_session(conn, session.id)
            if stored is not None:
                return stored
            (row,) = _INSERT_SESSION.rows(conn, values)  # the session as stored: no re-read
            return decoded(SessionCodec.decode, row)

        try:
            return self._tx.write(f"store session {session.id!r}", tx, pass_integrity=True)
        except IntegrityError as exc:
            # A concurrent add of the same id won the race: return what it stored.
            stored = self._tx.read(
                f"read session {session.id!r}", lambda conn: load_session(conn, session.id)
            )
            if stored is not None:
                return stored
            raise store_error(f"store session {session.id!r}", exc) from exc

    def get_session(self, session_id: str) -> Session:
        return self._tx.read(
            f"read session {session_id!r}", lambda conn: require_session(conn, session_id)
        )

    def list_sessions(
        self,
        *,
        user_id: str | None,
        status: SessionStatus | None,
        limit: int,
        offset: int,
        since: datetime | None = None,
        until: datetime | None = None,
        min_score: float | None = None,
        after: str | None = None,
        tenant_id: str | None = None,
    ) -> list[Session]:
        limit, offset = validate_page(limit, offset)
        params: dict[str, Any] = {
            "b_tenant": tenant_id,
            "b_user": user_id,
            "b_status": None if status is None else SessionStatus(status).value,
            "b_since": None if since is None else require_aware(since, "since"),
            "b_until": None if until is None else require_aware(until, "until"),
            "b_min_score": min_score,
            "b_after": after,
            "b_limit": limit,
            "b_offset": offset,
        }
        statement = _page_statement(tuple(params[name] is not None for name in _PAGE_FILTERS))

        def tx(conn: Connection) -> list[Session]:
            if after is not None:
                # Keyset: strictly after the cursor session in (created_at, id) descending order.
                cursor = select(SESSIONS.c.created_at).where(SESSIONS.c.id == after)
                if tenant_id is not None:
                    cursor = cursor.where(SESSIONS.c.tenant_id == tenant_id)
                cursor_at = conn.execute(cursor).scalar()
                if cursor_at is None:
                    raise InvalidInputError(
                        f"cursor {after!r} does not name a session: pass the id of the last "
                        "session of the previous page"
                    )
                params["b_cursor_at"] = cursor_at
            rows = statement.rows(conn, params)
            return [decoded(SessionCodec.decode, row) for row in rows]

        return self._tx.read("list sessions", tx)

    def session_ids_starting(self, prefix: str, limit: int = 2) -> list[str]:
        """The ids (in order, at most ``limit``) that start with ``prefix``: lower-case hex
        digits and hyphens laid out as in a UUID. A range scan of the primary key."""
        low = prefix + _LOWEST_ID[len(prefix) :]
        high = prefix + _HIGHEST_ID[len(prefix) :]
        query = (
            select(SESSIONS.c.id)
            .where(SESSIONS.c.id.between(low, high))
            .order_by(SESSIONS.c.id)
            .limit(limit)
        )
        return self._tx.read(
            "find sessions by id prefix", lambda conn: list(conn.execute(query).scalars())
        )

    def find_active_session(
        self, user_id: str | None, tenant_id: str | None = None
    ) -> Session | None:
        statement = _ACTIVE_SESSION[(tenant_id is not None, user_id is not None)]
        params = {"b_tenant": tenant_id, "b_user": user_id}

        def tx(conn: Connection) -> Session | None:
            row = statement.first(conn, params)
            return None if row is None else decoded(SessionCodec.decode, row)

        return self._tx.read("find the active session", tx)

    def save_transition(
        self,
        before: Session,
        after: Session,
        *,
        operation: Operation,
        reason: str | None,
        messages: Sequence[NewMessage] = (),
        notes: Sequence[str] = (),
        events: Sequence[NewEvent] = (),
    ) -> TransitionResult:
        session_id = before.id
        if after.id != session_id:
            raise InvalidInputError(f"cannot store session {after.id!r} as {session_id!r}")
        if after.version <= before.version:
            raise InvalidInputError(
                f"a status change must increase the version ({before.version} -> {after.version})"
            )
        if reason is not None and len(reason) > _MAX_REASON_CHARS:
            raise InvalidInputError(f"transition reason is longer than {_MAX_REASON_CHARS}")
        operation = Operation(operation)
        note_texts = note_texts_of(notes)
        at = after.last_activity_at or datetime.now(UTC)
        completed = after.status is SessionStatus.COMPLETED
        status_data: dict[str, Any] = {
            "status": after.status.value,
            "previous_status": before.status.value,
            "reason": reason,
            "active_seconds": round(after.active_seconds, 3),
        }
        if completed:
            status_data["end_reason"] = None if after.end_reason is None else after.end_reason.value
        # Events in the order they happened: the status change, the messages that came with it
        # (numbered below), what the caller adds (a phase change), the evaluation it awaits.
        leading = [PendingEvent(NewEvent(EVENT_OF[operation], status_data))]
        trailing = [PendingEvent(event) for event in events]
        if completed:
            trailing.append(
                PendingEvent(
                    NewEvent(
                        EventType.EVALUATION_UPDATED,
                        {"status": EvaluationStatus.PENDING.value, "overall_score": None},
                    )
                )
            )
        event_total = len(leading) + len(messages) + len(trailing)
        params: dict[str, Any] = {
            "b_id": session_id,
            "b_version_before": before.version,
            "b_status_before": before.status.value,
            "b_status": after.status.value,
            "b_version": after.version,
            "b_started_at": after.started_at,
            "b_ended_at": after.ended_at,
            "b_end_reason": None if after.end_reason is None else after.end_reason.value,
            "b_active_since": after.active_since,
            "b_active_seconds": after.active_seconds,
            "b_last_activity_at": after.last_activity_at,
            "b_messages": len(messages),
            "b_events": event_total,
        }
        # Only what the caller changed is written, so that an append that replaced the state
        # meanwhile (appends do not bump the version) is not undone by a stale copy.
        with_state = after.interviewer_state != before.interviewer_state
        if with_state:
            params["b_interviewer_state"] = plain_json(after.interviewer_state, "interviewer_state")
        with_phase = after.phase != before.phase
        if with_phase:
            params["b_phase"] = after.phase
        statement = _TRANSITIONS[(with_state, with_phase)]

        def tx(conn: Connection) -> TransitionResult:
            row = statement.first(conn, params)
            if row is None:
                current = require_session(conn, session_id)
                raise InvalidStateTransitionError(
                    session_id, current.status.value, operation.value, "changed concurrently"
                )
            _INSERT_TRANSITION.run_many(
                conn,
                [
                    {
                        "session_id": session_id,
                        "from_status": before.status.value,
                        "to_status": after.status.value,
                        "operation": operation.value,
                        "reason": reason,
                        "at": at,
                    }
                ],
            )
            stored = insert_messages(conn, session_id, messages, last_seq=int(row["message_count"]))
            if stored and note_texts:
                insert_notes(conn, session_id, stored[0].seq, note_texts, at)
            if completed:
                _INSERT_PENDING_EVALUATION.run_many(
                    conn,
                    [
                        {
                            "session_id": session_id,
                            "status": EvaluationStatus.PENDING.value,
                            "attempts": 0,
                            "created_at": at,
                            "updated_at": at,
                        }
                    ],
                )
            message_events = [
                PendingEvent(message_created(message), message.seq) for message in stored
            ]
            written = write_events(
                conn,
                session_id=session_id,
                tenant_id=row["tenant_id"],
                last_seq=int(row["event_count"]),
                pending=[*leading, *message_events, *trailing],
                at=at,
            )
            return TransitionResult(
                session=decoded(SessionCodec.decode, row),
                messages=stored,
                events=tuple(written),
            )

        what = f"{operation.value} session {session_id!r}"
        try:
            return self._tx.write(what, tx, pass_integrity=after.status is SessionStatus.ACTIVE)
        except IntegrityError as exc:
            other = self.find_active_session(after.user_id, after.tenant_id)
            if other is not None and other.id != session_id:
                raise InvalidStateTransitionError(
                    session_id,
                    before.status.value,
                    operation.value,
                    f"user {after.user_id!r} already has an active session {other.id}",
                ) from None
            raise store_error(what, exc) from exc

    def delete_session(self, session_id: str) -> bool:
        """Delete a session with everything attached (erasure requests); False if there was
        none."""

        def tx(conn: Connection) -> bool:
            result = conn.execute(delete(SESSIONS).where(SESSIONS.c.id == session_id))
            return result.rowcount == 1

        return self._tx.write(f"delete session {session_id!r}", tx)


# ---------------------------------------------------------------------- shared helpers


def load_session(conn: Connection, session_id: str) -> Session | None:
    row = _READ_SESSION.first(conn, {"b_id": session_id})
    return None if row is None else decoded(SessionCodec.decode, row)


def require_session(conn: Connection, session_id: str) -> Session:
    session = load_session(conn, session_id)
    if session is None:
        raise SessionNotFoundError(session_id)
    return session


def require_exists(conn: Connection, session_id: str) -> None:
    if conn.execute(_SESSION_ID, {"b_id": session_id}).first() is None:
        raise SessionNotFoundError(session_id)


def message_created(message: Message) -> NewEvent:
    """The ``message.created`` event of a stored message (its text is joined when read)."""
    return NewEvent(
        EventType.MESSAGE_CREATED,
        {"seq": message.seq, "role": message.role.value, "late": message.late},
    )


def insert_messages(
    conn: Connection,
    session_id: str,
    messages: Sequence[NewMessage],
    last_seq: int,
    *,
    late: bool = False,
) -> tuple[Message, ...]:
    """Insert ``messages`` numbered so that the last gets ``last_seq`` (already counted)."""
    if not messages:
        return ()
    first = last_seq - len(messages) + 1
    stored = tuple(
        MessageCodec.numbered(session_id, first + index, message, late=late)
        for index, message in enumerate(messages)
    )
    _STORE_MESSAGES.run_many(conn, [MessageCodec.encode(session_id, m) for m in stored])
    return stored


def note_texts_of(notes: Sequence[str]) -> list[str]:
    """The notes as stored: strings only (refused otherwise), blank ones skipped, NULs removed,
    each at most ``_MAX_NOTE_CHARS`` and at most ``_MAX_NOTES`` of them."""
    if isinstance(notes, str | bytes) or not isinstance(notes, Sequence):
        raise InvalidInputError("notes must be a sequence of strings")
    texts: list[str] = []
    for note in notes:
        if not isinstance(note, str):
            raise InvalidInputError(f"a note must be a string, got {type(note).__name__}")
        text = note.replace("\x00", "").strip()
        if text:
            texts.append(text[:_MAX_NOTE_CHARS])
    return texts[:_MAX_NOTES]


def insert_notes(
    conn: Connection, session_id: str, message_seq: int, texts: Sequence[str], at: datetime
) -> None:
    conn.execute(
        _INSERT_NOTES,
        [
            {
                "session_id": session_id,
                "message_seq": message_seq,
                "content": text,
                "created_at": at,
            }
            for text in texts
        ],
    )

"""The ``SessionArchive`` on SQLAlchemy Core: whole sessions out, in, and deleted.

It shares the data store's codecs and transaction runner (retries on lock contention,
database errors as ``DataStoreError``), so a session reads and writes here exactly as it
does there. Pages are read in one snapshot each (PostgreSQL REPEATABLE READ; a SQLite read
transaction is one already), so a session being written meanwhile is exported whole: its
message count and its messages agree.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    RowMapping,
    Select,
    Table,
    delete,
    func,
    insert,
    select,
    tuple_,
)
from sqlalchemy.exc import IntegrityError

from ..errors import DataStoreError, InvalidInputError
from ..models import (
    EvaluationReport,
    EventType,
    Session,
    SessionEvent,
    SessionStatus,
    validate_page,
)
from ..ports import (
    ArchivedSession,
    Deletion,
    DeletionCounts,
    ImportOutcome,
    ImportResult,
    SessionArchive,
    SessionFilter,
)
from .codecs import (
    EvaluationCodec,
    EventCodec,
    MessageCodec,
    NoteCodec,
    Row,
    SessionCodec,
    TransitionCodec,
    decoded,
)
from .events import read_events
from .schema import EVALUATIONS, EVENTS, INTERVIEWER_NOTES, MESSAGES, SESSIONS, TRANSITIONS
from .transactions import Transactions, require_aware, store_error

T = TypeVar("T")
#: The tables whose rows belong to a session (all ON DELETE CASCADE as well).
_CHILDREN: Final = (MESSAGES, TRANSITIONS, EVALUATIONS, INTERVIEWER_NOTES, EVENTS)
#: An exported session's event log is read whole, a page at a time.
_EVENT_PAGE: Final = 1000


class SqlAlchemyArchive:
    """``SessionArchive`` on an engine from ``create_engine_for`` (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, *, max_attempts: int = 5) -> None:
        self._tx = Transactions(engine, max_attempts=max_attempts)

    # ------------------------------------------------------------------ export

    def count_sessions(self, selection: SessionFilter) -> int:
        query = select(func.count()).select_from(SESSIONS).where(*_selected(selection))
        return self._read("count sessions", lambda conn: int(conn.execute(query).scalar_one()))

    def read_page(
        self, selection: SessionFilter, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[ArchivedSession]:
        limit, _ = validate_page(limit, 0)
        query = select(SESSIONS).where(*_selected(selection))
        if after is not None:
            at, last_id = after
            key = tuple_(SESSIONS.c.created_at, SESSIONS.c.id)
            query = query.where(key > tuple_(require_aware(at, "after"), last_id))
        query = query.order_by(SESSIONS.c.created_at, SESSIONS.c.id).limit(limit)
        return self._read("read sessions to export", lambda conn: _load_whole(conn, query))

    # ------------------------------------------------------------------ import

    def import_session(self, archived: ArchivedSession, *, dry_run: bool) -> ImportResult:
        session = archived.session
        rows = _rows_of(archived)
        what = f"import session {session.id!r}"

        def tx(conn: Connection) -> ImportResult:
            refused = _refusal(conn, session)
            if refused is not None or dry_run:
                return refused or ImportResult(ImportOutcome.IMPORTED)
            for table, values in rows:
                conn.execute(insert(table), values)
            return ImportResult(ImportOutcome.IMPORTED)

        if dry_run:
            return self._read(what, tx)
        try:
            return self._tx.write(what, tx, pass_integrity=True)
        except IntegrityError as exc:
            # A concurrent writer took the id, or started another session of this user.
            refused = self._read(what, lambda conn: _refusal(conn, session))
            if refused is not None:
                return refused
            raise store_error(what, exc) from exc

    # ------------------------------------------------------------------ deletion

    def count_deletable(self, deletion: Deletion) -> DeletionCounts:
        ids = select(SESSIONS.c.id).where(*_doomed(deletion))

        def tx(conn: Connection) -> DeletionCounts:
            def count(query: Select[Any]) -> int:
                return int(conn.execute(query).scalar_one())

            return DeletionCounts(
                sessions=count(select(func.count()).select_from(ids.subquery())),
                messages=count(_children_of(MESSAGES, ids)),
                transitions=count(_children_of(TRANSITIONS, ids)),
                evaluations=count(_children_of(EVALUATIONS, ids)),
                notes=count(_children_of(INTERVIEWER_NOTES, ids)),
                events=count(_children_of(EVENTS, ids)),
            )

        return self._read("count the sessions to delete", tx)

    def delete_batch(self, deletion: Deletion, *, limit: int) -> DeletionCounts:
        limit, _ = validate_page(limit, 0)
        # FOR UPDATE (PostgreSQL; SQLite writers are serialised anyway): a session that changes
        # status meanwhile is either locked out until the deletion commits or no longer chosen.
        batch_query = (
            select(SESSIONS.c.id)
            .where(*_doomed(deletion))
            .order_by(SESSIONS.c.created_at, SESSIONS.c.id)
            .limit(limit)
            .with_for_update()
        )

        def tx(conn: Connection) -> DeletionCounts:
            batch = list(conn.execute(batch_query).scalars())
            if not batch:
                return DeletionCounts()
            # Children first and by name, so that the counts are exact and nothing is left
            # behind even on a connection without foreign keys enforced.
            gone = {
                table.name: conn.execute(
                    delete(table).where(table.c.session_id.in_(batch))
                ).rowcount
                for table in _CHILDREN
            }
            sessions = conn.execute(delete(SESSIONS).where(SESSIONS.c.id.in_(batch))).rowcount
            return DeletionCounts(
                sessions=sessions,
                messages=gone[MESSAGES.name],
                transitions=gone[TRANSITIONS.name],
                evaluations=gone[EVALUATIONS.name],
                notes=gone[INTERVIEWER_NOTES.name],
                events=gone[EVENTS.name],
            )

        deleted = self._tx.write("delete sessions", tx)
        if deleted.sessions and self._tx.is_sqlite:
            self._checkpoint()
        return deleted

    def _checkpoint(self) -> None:
        """Copy the WAL into the database file and empty it: the WAL would otherwise keep the
        deleted rows' old pages (``secure_delete`` zeroes them in the file, not in frames
        already written)."""
        connection = self._tx.engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.fetchall()
            finally:
                cursor.close()
        except sqlite3.Error as exc:
            raise DataStoreError(
                "the sessions were deleted, but their old pages could not be cleared from the "
                f"write-ahead log ({type(exc).__name__}: {exc}); run the deletion again"
            ) from exc
        finally:
            connection.close()

    # ------------------------------------------------------------------ transactions

    def _read(self, what: str, fn: Callable[[Connection], T]) -> T:
        return self._tx.snapshot(what, fn)


# ---------------------------------------------------------------------- queries


def _selected(selection: SessionFilter) -> list[ColumnElement[bool]]:
    c = SESSIONS.c
    conditions: list[ColumnElement[bool]] = []
    if selection.session_id is not None:
        conditions.append(c.id == selection.session_id)
    if selection.tenant_id is not None:
        conditions.append(c.tenant_id == selection.tenant_id)
    if selection.user_id is not None:
        conditions.append(c.user_id == selection.user_id)
    if selection.status is not None:
        conditions.append(c.status == SessionStatus(selection.status).value)
    if selection.since is not None:
        conditions.append(c.created_at >= require_aware(selection.since, "since"))
    if selection.until is not None:
        conditions.append(c.created_at < require_aware(selection.until, "until"))
    return conditions


def _doomed(deletion: Deletion) -> list[ColumnElement[bool]]:
    if not deletion.statuses:
        raise InvalidInputError("a deletion must name the statuses it may remove")
    c = SESSIONS.c
    conditions: list[ColumnElement[bool]] = [
        c.status.in_(sorted(SessionStatus(s).value for s in deletion.statuses))
    ]
    if deletion.tenant_id is not None:
        conditions.append(c.tenant_id == deletion.tenant_id)
    if deletion.user_id is not None:
        conditions.append(c.user_id == deletion.user_id)
    if deletion.created_before is not None:
        conditions.append(c.created_at < require_aware(deletion.created_before, "created_before"))
    return conditions


def _children_of(table: Table, ids: Select[Any]) -> Select[Any]:
    return select(func.count()).select_from(table).where(table.c.session_id.in_(ids))


def _refusal(conn: Connection, session: Session) -> ImportResult | None:
    """Why ``session`` cannot be inserted as it is (its id is taken; it is ACTIVE and its
    user has another ACTIVE session in its tenant), or None."""
    found = _load_whole(conn, select(SESSIONS).where(SESSIONS.c.id == session.id))
    if found:
        return ImportResult(ImportOutcome.EXISTS, stored=found[0])
    if session.status is SessionStatus.ACTIVE:
        other = conn.execute(
            select(SESSIONS.c.id).where(
                SESSIONS.c.tenant_id == session.tenant_id,
                SESSIONS.c.user_id == session.user_id,
                SESSIONS.c.status == SessionStatus.ACTIVE.value,
            )
        ).scalar()
        if other is not None:
            return ImportResult(ImportOutcome.USER_HAS_ACTIVE, active_session_id=other)
    return None


def _load_whole(conn: Connection, sessions_query: Select[Any]) -> list[ArchivedSession]:
    """The sessions ``sessions_query`` selects, each with its transcript, transitions and
    evaluation and notes, in the query's order: five queries, whatever the number of
    sessions."""
    sessions = [
        decoded(SessionCodec.decode_checked, row) for row in conn.execute(sessions_query).mappings()
    ]
    if not sessions:
        return []
    ids = [session.id for session in sessions]
    messages = _grouped(
        conn.execute(
            select(MESSAGES)
            .where(MESSAGES.c.session_id.in_(ids))
            .order_by(MESSAGES.c.session_id, MESSAGES.c.seq)
        ).mappings(),
        MessageCodec.decode,
    )
    transitions = _grouped(
        conn.execute(
            select(TRANSITIONS)
            .where(TRANSITIONS.c.session_id.in_(ids))
            .order_by(TRANSITIONS.c.session_id, TRANSITIONS.c.id)
        ).mappings(),
        TransitionCodec.decode,
    )
    evaluations: dict[str, EvaluationReport] = {
        row["session_id"]: decoded(EvaluationCodec.decode, row)
        for row in conn.execute(
            select(EVALUATIONS).where(EVALUATIONS.c.session_id.in_(ids))
        ).mappings()
    }
    notes = _grouped(
        conn.execute(
            select(INTERVIEWER_NOTES)
            .where(INTERVIEWER_NOTES.c.session_id.in_(ids))
            .order_by(INTERVIEWER_NOTES.c.session_id, INTERVIEWER_NOTES.c.id)
        ).mappings(),
        NoteCodec.decode,
    )
    return [
        ArchivedSession(
            session=session,
            messages=tuple(messages.get(session.id, ())),
            transitions=tuple(transitions.get(session.id, ())),
            evaluation=evaluations.get(session.id),
            notes=tuple(notes.get(session.id, ())),
            events=tuple(_all_events(conn, session.id)),
        )
        for session in sessions
    ]


def _all_events(conn: Connection, session_id: str) -> list[SessionEvent]:
    """The session's whole event log, in order (pages of the reader the service uses)."""
    found: list[SessionEvent] = []
    while True:
        page = read_events(conn, session_id, found[-1].id if found else 0, _EVENT_PAGE)
        found.extend(page)
        if len(page) < _EVENT_PAGE:
            return found


def _grouped(rows: Iterable[RowMapping], decode: Callable[[Row], T]) -> dict[str, list[T]]:
    grouped: dict[str, list[T]] = defaultdict(list)
    for row in rows:
        grouped[row["session_id"]].append(decoded(decode, row))
    return grouped


# ---------------------------------------------------------------------- domain -> rows


def _rows_of(archived: ArchivedSession) -> Sequence[tuple[Table, list[dict[str, Any]]]]:
    """The inserts that store ``archived`` exactly: (table, values) in dependency order."""
    session_id, tenant_id = archived.session.id, archived.session.tenant_id
    rows: list[tuple[Table, list[dict[str, Any]]]] = [
        (SESSIONS, [SessionCodec.encode(archived.session)])
    ]
    if archived.messages:
        rows.append((MESSAGES, [MessageCodec.encode(session_id, m) for m in archived.messages]))
    if archived.transitions:
        rows.append((TRANSITIONS, [TransitionCodec.encode(t) for t in archived.transitions]))
    report: EvaluationReport | None = archived.evaluation
    if report is not None:
        rows.append((EVALUATIONS, [EvaluationCodec.encode(report)]))
    if archived.notes:
        rows.append((INTERVIEWER_NOTES, [NoteCodec.encode(n) for n in archived.notes]))
    if archived.events:
        rows.append(
            (
                EVENTS,
                [
                    # The session's tenant, which an import may have mapped.
                    {**EventCodec.encode(event, _message_seq(event)), "tenant_id": tenant_id}
                    for event in archived.events
                ],
            )
        )
    return rows


def _message_seq(event: SessionEvent) -> int | None:
    """The message a ``message.created`` event is about (its data carries it when read)."""
    message = event.data.get("message")
    seq = message.get("seq") if isinstance(message, dict) else event.data.get("seq")
    return seq if event.type is EventType.MESSAGE_CREATED and isinstance(seq, int) else None


if TYPE_CHECKING:

    def _implements_the_port(archive: SqlAlchemyArchive) -> SessionArchive:
        """mypy checks here that the class satisfies the ``SessionArchive`` protocol."""
        return archive

"""The transcript: messages, turns, the interviewer's notes, the audit trail and the event log.

A message's ``seq`` comes from ``UPDATE sessions SET message_count = message_count + 1 …
RETURNING`` in the transaction that inserts it, which serialises appends to one session on
its row lock: no duplicates, no gaps, on both databases.

One turn at a time: storing a candidate's message claims the session's turn
(``turn_seq``, with an expiry) in that same ``UPDATE``, and only if no unexpired turn is
pending; storing the interviewer's reply releases it, and only if the turn is still this
message's. The database decides, so the rule holds across threads and processes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, NoReturn, TypeVar

from sqlalchemy import (
    JSON,
    Connection,
    Integer,
    Select,
    String,
    bindparam,
    null,
    or_,
    select,
    update,
)

from ..errors import (
    DataStoreError,
    InvalidInputError,
    InvalidStateTransitionError,
    SessionNotFoundError,
    TurnInProgressError,
)
from ..models import (
    MAX_EVENT_PAGE,
    InterviewerNote,
    Message,
    NewEvent,
    NewMessage,
    Role,
    Session,
    SessionEvent,
    SessionStatus,
    TransitionRecord,
    plain_json,
)
from ..ports import ExistingTurn, TurnStart
from .codecs import MessageCodec, NoteCodec, Row, TransitionCodec, decoded
from .driver import DriverStatement
from .events import PendingEvent, read_events, write_events
from .schema import INTERVIEWER_NOTES, MESSAGES, SESSIONS, TRANSITIONS, UtcDateTime
from .sessions import (
    ACTIVE,
    insert_messages,
    insert_notes,
    message_created,
    note_texts_of,
    require_exists,
    require_session,
)
from .transactions import Transactions, require_aware

T = TypeVar("T")

#: How often a claim that lost to a turn ending at that moment is tried again.
_CLAIM_RETRIES: Final = 3
_SESSION_STATE: Final = select(
    SESSIONS.c.status, SESSIONS.c.turn_seq, SESSIONS.c.turn_expires_at, SESSIONS.c.message_count
).where(SESSIONS.c.id == bindparam("b_id"))
_RECENT_MESSAGES: Final = (
    select(MESSAGES)
    .where(MESSAGES.c.session_id == bindparam("b_id"))
    .order_by(MESSAGES.c.seq.desc())
    .limit(bindparam("b_limit", type_=Integer))
)
_MESSAGE_BY_SEQ: Final = select(MESSAGES).where(
    MESSAGES.c.session_id == bindparam("b_id"), MESSAGES.c.seq == bindparam("b_seq")
)
_RETURNING: Final = (
    SESSIONS.c.message_count,
    SESSIONS.c.event_count,
    SESSIONS.c.tenant_id,
    SESSIONS.c.status,
)
_NO_TURN_OR_EXPIRED = or_(
    SESSIONS.c.turn_seq.is_(None),
    SESSIONS.c.turn_expires_at <= bindparam("b_now", type_=UtcDateTime()),
)


def _append(*, only_active: bool, with_state: bool) -> Any:
    """``message_count + 1`` (and one event) returning the new counts: the next message's
    ``seq`` and the next event's cursor."""
    changes: dict[str, Any] = {
        "message_count": SESSIONS.c.message_count + 1,
        "event_count": SESSIONS.c.event_count + 1,
        "last_activity_at": bindparam("b_at", type_=UtcDateTime()),
    }
    if with_state:
        changes["interviewer_state"] = bindparam("b_state", type_=JSON())
    where = [SESSIONS.c.id == bindparam("b_id")]
    if only_active:
        where.append(SESSIONS.c.status == ACTIVE)
    return update(SESSIONS).where(*where).values(changes).returning(*_RETURNING)


_APPENDS: Final = {
    (only_active, with_state): DriverStatement(
        _append(only_active=only_active, with_state=with_state)
    )
    for only_active in (True, False)
    for with_state in (True, False)
}
#: The candidate's message claims the turn: only while ACTIVE and no unexpired turn pends.
_BEGIN_TURN: Final = (
    update(SESSIONS)
    .where(SESSIONS.c.id == bindparam("b_id"), SESSIONS.c.status == ACTIVE, _NO_TURN_OR_EXPIRED)
    .values(
        message_count=SESSIONS.c.message_count + 1,
        event_count=SESSIONS.c.event_count + 1,
        last_activity_at=bindparam("b_at", type_=UtcDateTime()),
        turn_seq=SESSIONS.c.message_count + 1,
        turn_expires_at=bindparam("b_expires", type_=UtcDateTime()),
    )
    .returning(*_RETURNING)
)
#: A retry claims the turn again for the unanswered last message.
_RESUME_TURN: Final = (
    update(SESSIONS)
    .where(
        SESSIONS.c.id == bindparam("b_id"),
        SESSIONS.c.status == ACTIVE,
        SESSIONS.c.message_count == bindparam("b_seq"),
        _NO_TURN_OR_EXPIRED,
    )
    .values(
        turn_seq=bindparam("b_seq"),
        turn_expires_at=bindparam("b_expires", type_=UtcDateTime()),
        last_activity_at=bindparam("b_now", type_=UtcDateTime()),
    )
)
_RELEASE_TURN: Final = (
    update(SESSIONS)
    .where(SESSIONS.c.id == bindparam("b_id"), SESSIONS.c.turn_seq == bindparam("b_seq"))
    .values(turn_seq=null(), turn_expires_at=null())
)


def _finish_turn(*, with_phase: bool) -> Any:
    changes: dict[str, Any] = {
        "message_count": SESSIONS.c.message_count + 1,
        "event_count": SESSIONS.c.event_count + bindparam("b_events", type_=Integer),
        "last_activity_at": bindparam("b_at", type_=UtcDateTime()),
        "interviewer_state": bindparam("b_state", type_=JSON()),
        "turn_seq": null(),
        "turn_expires_at": null(),
        "turn_count": SESSIONS.c.turn_count + 1,
    }
    if with_phase:
        changes["phase"] = bindparam("b_phase", type_=String())
    return (
        update(SESSIONS)
        .where(SESSIONS.c.id == bindparam("b_id"), SESSIONS.c.turn_seq == bindparam("b_seq"))
        .values(changes)
        .returning(*_RETURNING)
    )


_FINISH_TURN: Final = {
    with_phase: DriverStatement(_finish_turn(with_phase=with_phase)) for with_phase in (True, False)
}


def _transcript(*, after: bool, limited: bool) -> DriverStatement:
    query = select(MESSAGES).where(MESSAGES.c.session_id == bindparam("b_id"))
    if after:
        query = query.where(MESSAGES.c.seq > bindparam("b_after", type_=Integer))
    query = query.order_by(MESSAGES.c.seq)
    if limited:
        query = query.limit(bindparam("b_limit", type_=Integer))
    return DriverStatement(query)


#: A transcript, whole or a page of it after a cursor: prebuilt, on the driver.
_TRANSCRIPTS: Final = {
    (after, limited): _transcript(after=after, limited=limited)
    for after in (True, False)
    for limited in (True, False)
}
_NOTES: Final = DriverStatement(
    select(INTERVIEWER_NOTES)
    .where(INTERVIEWER_NOTES.c.session_id == bindparam("b_id"))
    .order_by(INTERVIEWER_NOTES.c.id)
)
#: The rest of a turn's statements, run on the driver (``driver.py``).
_CLAIM_TURN: Final = DriverStatement(_BEGIN_TURN)
_READ_RECENT: Final = DriverStatement(_RECENT_MESSAGES)


class TranscriptRepository:
    """Messages, turns, notes, transitions and events of the ``DataStore``."""

    def __init__(self, tx: Transactions) -> None:
        self._tx = tx
        #: Turns this process gave up while the database was unreachable: released by the
        #: next turn it takes on the session (otherwise they expire).
        self._unreleased: dict[str, int] = {}
        self._unreleased_lock = threading.Lock()

    # ------------------------------------------------------------------ messages

    def append_message(
        self,
        session_id: str,
        message: NewMessage,
        *,
        interviewer_state: Mapping[str, Any] | None = None,
        allow_late: bool = False,
        notes: Sequence[str] = (),
    ) -> Message:
        texts = note_texts_of(notes)
        with_state = interviewer_state is not None
        params: dict[str, Any] = {"b_id": session_id, "b_at": message.created_at}
        if interviewer_state is not None:
            params["b_state"] = plain_json(interviewer_state, "interviewer_state")

        def tx(conn: Connection) -> Message:
            late = False
            row = _APPENDS[(True, with_state)].first(conn, params)
            if row is None:
                status = self._status(conn, session_id)
                # "Late" is a message for a session that has left ACTIVE; a session that was
                # never started has no conversation to be late to.
                if not allow_late or status == SessionStatus.CREATED.value:
                    raise InvalidStateTransitionError(session_id, status, "send a message to")
                row = _APPENDS[(False, with_state)].first(conn, params)
                assert row is not None
                late = True
            return self._store_message(conn, session_id, row, message, late=late, notes=texts)

        return self._tx.write(f"store a message of session {session_id!r}", tx)

    # ------------------------------------------------------------------ turns

    def begin_turn(
        self,
        session_id: str,
        message: NewMessage,
        *,
        expires_at: datetime,
        context_messages: int,
        admit: Callable[[Session], None] | None = None,
    ) -> TurnStart:
        params = {
            "b_id": session_id,
            "b_at": message.created_at,
            "b_now": message.created_at,
            "b_expires": require_aware(expires_at, "expires_at"),
        }

        def tx(conn: Connection) -> TurnStart:
            session = require_session(conn, session_id)
            if admit is not None:
                admit(session)
            self._release_given_up(conn, session_id)
            row = _CLAIM_TURN.first(conn, params)
            for _ in range(_CLAIM_RETRIES):
                if row is not None or not self._turn_was_just_released(conn, session_id):
                    break
                # PostgreSQL: the claim waited on a reply's transaction that has now released
                # the turn; claim it again, reading the committed row.
                row = _CLAIM_TURN.first(conn, params)
            if row is None:
                self._refuse_turn(conn, session_id, message.created_at, "send a message to")
            candidate = self._store_message(conn, session_id, row, message, late=False)
            recent = self._recent(conn, session_id, context_messages)
            return TurnStart(candidate, recent, session)

        started: TurnStart = self._tx.write(f"store a message of session {session_id!r}", tx)
        self._forget_given_up(session_id)
        return started

    def resume_turn(
        self,
        session_id: str,
        *,
        now: datetime,
        expires_at: datetime,
        context_messages: int,
        candidate_seq: int | None = None,
    ) -> TurnStart:
        def tx(conn: Connection) -> TurnStart:
            self._release_given_up(conn, session_id)
            state = conn.execute(_SESSION_STATE, {"b_id": session_id}).first()
            if state is None:
                raise SessionNotFoundError(session_id)
            operation = "retry the reply of"
            if state.status != ACTIVE:
                raise InvalidStateTransitionError(
                    session_id, state.status, operation, "the interviewer answers only while ACTIVE"
                )
            last_seq = int(state.message_count)
            if candidate_seq is not None and candidate_seq != last_seq:
                raise InvalidStateTransitionError(
                    session_id,
                    state.status,
                    operation,
                    f"message #{candidate_seq} is no longer the last one: later messages "
                    "followed it, so the interviewer answers those",
                )
            last = conn.execute(_MESSAGE_BY_SEQ, {"b_id": session_id, "b_seq": last_seq}).first()
            if last is None or last.role != Role.CANDIDATE.value:
                raise InvalidStateTransitionError(
                    session_id,
                    state.status,
                    operation,
                    "the last message is the interviewer's: no candidate message awaits a reply",
                )
            claimed = conn.execute(
                _RESUME_TURN,
                {"b_id": session_id, "b_seq": last_seq, "b_now": now, "b_expires": expires_at},
            )
            if claimed.rowcount != 1:
                self._refuse_turn(conn, session_id, now, operation)
            candidate = decoded(MessageCodec.decode, last._mapping)
            return TurnStart(candidate, self._recent(conn, session_id, context_messages))

        resumed: TurnStart = self._tx.write(f"retry the reply of session {session_id!r}", tx)
        self._forget_given_up(session_id)
        return resumed

    def finish_turn(
        self,
        session_id: str,
        candidate_seq: int,
        reply: NewMessage,
        *,
        interviewer_state: Mapping[str, Any],
        notes: Sequence[str] = (),
        phase: str | None = None,
        events: Sequence[NewEvent] = (),
    ) -> Message:
        texts = note_texts_of(notes)
        params: dict[str, Any] = {
            "b_id": session_id,
            "b_seq": candidate_seq,
            "b_at": reply.created_at,
            "b_state": plain_json(interviewer_state, "interviewer_state"),
            "b_events": 1 + len(events),
        }
        if phase is not None:
            params["b_phase"] = phase

        def tx(conn: Connection) -> Message:
            row = _FINISH_TURN[phase is not None].first(conn, params)
            if row is None:
                status = self._status(conn, session_id)
                raise InvalidStateTransitionError(
                    session_id,
                    status,
                    "store the reply of",
                    f"the turn of message #{candidate_seq} expired and was taken over",
                )
            late = row["status"] != ACTIVE
            return self._store_message(
                conn, session_id, row, reply, late=late, notes=texts, events=events
            )

        return self._tx.write(f"store the reply of session {session_id!r}", tx)

    def release_turn(self, session_id: str, candidate_seq: int) -> None:
        """Give up the turn; if the database cannot be reached, remember it so that this
        process's next turn on the session releases it first (else it expires)."""
        try:
            self._tx.write(
                f"release the turn of session {session_id!r}",
                lambda conn: conn.execute(
                    _RELEASE_TURN, {"b_id": session_id, "b_seq": candidate_seq}
                ),
            )
        except DataStoreError:
            with self._unreleased_lock:
                self._unreleased[session_id] = candidate_seq
            raise
        with self._unreleased_lock:
            self._unreleased.pop(session_id, None)

    def find_turn(self, session_id: str, client_message_id: str) -> ExistingTurn | None:
        candidate_query = select(MESSAGES).where(
            MESSAGES.c.session_id == session_id,
            MESSAGES.c.client_message_id == client_message_id,
        )

        def tx(conn: Connection) -> ExistingTurn | None:
            row = conn.execute(candidate_query).mappings().first()
            if row is None:
                return None
            candidate = decoded(MessageCodec.decode, row)
            reply_row = (
                conn.execute(
                    select(MESSAGES)
                    .where(
                        MESSAGES.c.session_id == session_id,
                        MESSAGES.c.reply_to == candidate.seq,
                        MESSAGES.c.role == Role.INTERVIEWER.value,
                    )
                    .order_by(MESSAGES.c.seq)
                    .limit(1)
                )
                .mappings()
                .first()
            )
            reply = None if reply_row is None else decoded(MessageCodec.decode, reply_row)
            return ExistingTurn(candidate, reply)

        return self._tx.read(f"read a turn of session {session_id!r}", tx)

    # ------------------------------------------------------------------ reads

    def get_transcript(
        self, session_id: str, after_seq: int | None = None, limit: int | None = None
    ) -> list[Message]:
        statement = _TRANSCRIPTS[(after_seq is not None, limit is not None)]
        params = {"b_id": session_id, "b_after": after_seq, "b_limit": limit}

        def tx(conn: Connection) -> list[Message]:
            rows = statement.rows(conn, params)
            items = [decoded(MessageCodec.decode, row) for row in rows]
            if not items:
                require_exists(conn, session_id)
            return items

        return self._tx.read(f"read the transcript of session {session_id!r}", tx)

    def recent_messages(self, session_id: str, limit: int) -> list[Message]:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise InvalidInputError(f"limit must be a non-negative integer, got {limit!r}")
        newest_first = self._session_rows(
            "the messages",
            session_id,
            _RECENT_MESSAGES,
            MessageCodec.decode,
            params={"b_id": session_id, "b_limit": limit},
        )
        return newest_first[::-1]

    def read_for_evaluation(
        self, session_id: str
    ) -> tuple[Session, list[Message], list[InterviewerNote]]:
        """The session, its transcript and its notes, read as one consistent snapshot."""
        params = {"b_id": session_id}

        def tx(conn: Connection) -> tuple[Session, list[Message], list[InterviewerNote]]:
            session = require_session(conn, session_id)
            messages = _TRANSCRIPTS[(False, False)].rows(conn, params)
            notes = _NOTES.rows(conn, params)
            return (
                session,
                [decoded(MessageCodec.decode, row) for row in messages],
                [decoded(NoteCodec.decode, row) for row in notes],
            )

        return self._tx.snapshot(f"read session {session_id!r} for its evaluation", tx)

    def get_notes(self, session_id: str) -> list[InterviewerNote]:
        query = (
            select(INTERVIEWER_NOTES)
            .where(INTERVIEWER_NOTES.c.session_id == session_id)
            .order_by(INTERVIEWER_NOTES.c.id)
        )
        return self._session_rows("the interviewer notes", session_id, query, NoteCodec.decode)

    def list_transitions(self, session_id: str) -> list[TransitionRecord]:
        query = (
            select(TRANSITIONS)
            .where(TRANSITIONS.c.session_id == session_id)
            .order_by(TRANSITIONS.c.id)
        )
        return self._session_rows("the transitions", session_id, query, TransitionCodec.decode)

    def events(self, session_id: str, after: int = 0, limit: int = 100) -> list[SessionEvent]:
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_EVENT_PAGE
        ):
            raise InvalidInputError(f"limit must be between 1 and {MAX_EVENT_PAGE}, got {limit!r}")

        def tx(conn: Connection) -> list[SessionEvent]:
            found = read_events(conn, session_id, after, limit)
            if not found:
                require_exists(conn, session_id)
            return found

        return self._tx.read(f"read the events of session {session_id!r}", tx)

    # ------------------------------------------------------------------ internals

    def _store_message(
        self,
        conn: Connection,
        session_id: str,
        row: Mapping[str, Any],
        message: NewMessage,
        *,
        late: bool,
        notes: Sequence[str] = (),
        events: Sequence[NewEvent] = (),
    ) -> Message:
        """Insert the message numbered by ``row`` (the counts the append returned), its notes,
        its ``message.created`` event and ``events``."""
        (stored,) = insert_messages(
            conn, session_id, [message], int(row["message_count"]), late=late
        )
        if notes:
            insert_notes(conn, session_id, stored.seq, notes, message.created_at)
        write_events(
            conn,
            session_id=session_id,
            tenant_id=row["tenant_id"],
            last_seq=int(row["event_count"]),
            pending=[
                PendingEvent(message_created(stored), stored.seq),
                *(PendingEvent(event) for event in events),
            ],
            at=message.created_at,
        )
        return stored

    def _release_given_up(self, conn: Connection, session_id: str) -> None:
        """Inside a turn's transaction: release the turn this process gave up earlier."""
        with self._unreleased_lock:
            seq = self._unreleased.get(session_id)
        if seq is not None:
            conn.execute(_RELEASE_TURN, {"b_id": session_id, "b_seq": seq})
            # Forgotten once this transaction commits (a failed one keeps it for the next).

    def _forget_given_up(self, session_id: str) -> None:
        with self._unreleased_lock:
            self._unreleased.pop(session_id, None)

    def _recent(self, conn: Connection, session_id: str, limit: int) -> tuple[Message, ...]:
        rows = _READ_RECENT.rows(conn, {"b_id": session_id, "b_limit": limit})
        return tuple(decoded(MessageCodec.decode, row) for row in rows)[::-1]

    @staticmethod
    def _status(conn: Connection, session_id: str) -> str:
        state = conn.execute(_SESSION_STATE, {"b_id": session_id}).first()
        if state is None:
            raise SessionNotFoundError(session_id)
        return str(state.status)

    @staticmethod
    def _turn_was_just_released(conn: Connection, session_id: str) -> bool:
        state = conn.execute(_SESSION_STATE, {"b_id": session_id}).first()
        return state is not None and state.status == ACTIVE and state.turn_seq is None

    @staticmethod
    def _refuse_turn(conn: Connection, session_id: str, now: datetime, operation: str) -> NoReturn:
        """Why the turn could not be claimed: no such session, not ACTIVE, or a turn pends."""
        state = conn.execute(_SESSION_STATE, {"b_id": session_id}).first()
        if state is None:
            raise SessionNotFoundError(session_id)
        if state.status != ACTIVE:
            raise InvalidStateTransitionError(
                session_id, state.status, operation, "input is accepted only while ACTIVE"
            )
        # A turn was pending when the claim was tried (it may have ended since: the caller
        # sends again).
        awaiting = state.turn_seq if state.turn_seq is not None else state.message_count
        raise TurnInProgressError(session_id, state.status, int(awaiting))

    def _session_rows(
        self,
        what: str,
        session_id: str,
        query: Select[Any],
        convert: Callable[[Row], T],
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[T]:
        """The rows ``query`` finds for one session, converted; an empty result is told apart
        from an unknown session (``SessionNotFoundError``) in the same transaction."""

        def tx(conn: Connection) -> list[T]:
            items = [decoded(convert, row) for row in conn.execute(query, params).mappings()]
            if not items:
                require_exists(conn, session_id)
            return items

        return self._tx.read(f"read {what} of session {session_id!r}", tx)

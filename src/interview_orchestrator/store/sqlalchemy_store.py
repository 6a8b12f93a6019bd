"""The ``DataStore`` on SQLAlchemy Core: SQLite files and PostgreSQL.

Every method is one short transaction on a pooled connection; nothing is held between calls.
Concurrency is settled by the database, never by Python locks: status changes are
compare-and-set on ``version``, the transcript's next ``seq`` comes from a row-level
``UPDATE ... RETURNING message_count`` (which serialises appends to one session), evaluations
are claimed by compare-and-set on ``(status, attempts)``, and "one ACTIVE session per user" is a
partial unique index.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, TypeVar

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Integer,
    RowMapping,
    Select,
    Update,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from ..errors import (
    DataStoreError,
    EvaluationError,
    InterviewPlatformError,
    InvalidInputError,
    InvalidStateTransitionError,
    SessionNotFoundError,
)
from ..lifecycle import Operation
from ..models import (
    CommunicationMode,
    DimensionScore,
    EndReason,
    EvaluationReport,
    EvaluationStatus,
    InterviewerNote,
    Message,
    NewMessage,
    Role,
    Session,
    SessionConfig,
    SessionStats,
    SessionStatus,
    TransitionRecord,
    plain_json,
    validate_page,
)
from ..ports import DataStore, EvaluationOutcome, TransitionResult
from .engine import SQLITE_BEGIN_OPTION
from .schema import EVALUATIONS, INTERVIEWER_NOTES, MESSAGES, SESSIONS, TRANSITIONS, UtcDateTime

T = TypeVar("T")

#: SQLite reports lock contention with these; PostgreSQL with SQLSTATE 40001 / 40P01.
_BUSY_MARKERS: Final = ("database is locked", "database is busy", "database table is locked")
_RETRY_SQLSTATES: Final = frozenset({"40001", "40P01"})
_MAX_REASON_CHARS: Final = 64
#: Interviewer notes are short by contract; longer ones are clipped rather than refused, so a
#: verbose interviewer never costs the reply it came with.
_MAX_NOTES: Final = 50
_MAX_NOTE_CHARS: Final = 4000
_ACTIVE: Final = SessionStatus.ACTIVE.value
_FINISHED: Final = frozenset({EvaluationStatus.READY, EvaluationStatus.NO_EVIDENCE})

# The statements of the turn path, built once: building a statement costs as much as running
# it, and a prebuilt one keeps its compiled form in SQLAlchemy's cache.
_SESSION_BY_ID: Final = select(SESSIONS).where(SESSIONS.c.id == bindparam("b_id"))
_SESSION_ID: Final = select(SESSIONS.c.id).where(SESSIONS.c.id == bindparam("b_id"))
_SESSION_STATUS: Final = select(SESSIONS.c.status).where(SESSIONS.c.id == bindparam("b_id"))
_RECENT_MESSAGES: Final = (
    select(MESSAGES)
    .where(MESSAGES.c.session_id == bindparam("b_id"))
    .order_by(MESSAGES.c.seq.desc())
    .limit(bindparam("b_limit", type_=Integer))
)


def _bump(*, only_active: bool, with_state: bool) -> Update:
    """``message_count + 1`` returning the new count: the next message's sequence number."""
    changes: dict[str, Any] = {
        "message_count": SESSIONS.c.message_count + 1,
        "last_activity_at": bindparam("b_at", type_=UtcDateTime()),
    }
    if with_state:
        changes["interviewer_state"] = bindparam("b_state", type_=JSON())
    where = [SESSIONS.c.id == bindparam("b_id")]
    if only_active:
        where.append(SESSIONS.c.status == _ACTIVE)
    return update(SESSIONS).where(*where).values(changes).returning(SESSIONS.c.message_count)


_BUMPS: Final = {
    (only_active, with_state): _bump(only_active=only_active, with_state=with_state)
    for only_active in (True, False)
    for with_state in (True, False)
}


class SqlAlchemyDataStore:
    """``DataStore`` on an engine from ``create_engine_for`` (SQLite or PostgreSQL).

    ``max_attempts`` bounds the retries of a transaction that met lock contention (SQLite
    "database is locked", PostgreSQL serialization failure or deadlock).
    """

    def __init__(self, engine: Engine, *, max_attempts: int = 5, retry_delay: float = 0.02):
        if max_attempts < 1:
            raise InvalidInputError("max_attempts must be at least 1")
        self._engine = engine
        # Readers on SQLite begin DEFERRED so that they never wait for (or block) a writer.
        self._reader = (
            engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
            if engine.dialect.name == "sqlite"
            else engine
        )
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay

    @property
    def engine(self) -> Engine:
        return self._engine

    # ------------------------------------------------------------------ sessions

    def add_session(self, session: Session) -> Session:
        values = _session_values(session)

        def tx(conn: Connection) -> Session:
            stored = _load_session(conn, session.id)
            if stored is not None:
                return stored
            conn.execute(insert(SESSIONS).values(values))
            return _require_session(conn, session.id)

        try:
            return self._write(f"store session {session.id!r}", tx, pass_integrity=True)
        except IntegrityError as exc:
            # A concurrent add of the same id won the race: return what it stored.
            stored = self._read(
                f"read session {session.id!r}", lambda conn: _load_session(conn, session.id)
            )
            if stored is not None:
                return stored
            raise _store_error(f"store session {session.id!r}", exc) from exc

    def get_session(self, session_id: str) -> Session:
        return self._read(
            f"read session {session_id!r}", lambda conn: _require_session(conn, session_id)
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
    ) -> list[Session]:
        limit, offset = validate_page(limit, offset)
        query = select(SESSIONS)
        if user_id is not None:
            query = query.where(SESSIONS.c.user_id == user_id)
        if status is not None:
            query = query.where(SESSIONS.c.status == SessionStatus(status).value)
        if since is not None:
            query = query.where(SESSIONS.c.created_at >= _require_aware(since, "since"))
        if until is not None:
            query = query.where(SESSIONS.c.created_at < _require_aware(until, "until"))
        if min_score is not None:
            query = query.where(SESSIONS.c.overall_score >= min_score)
        query = query.order_by(SESSIONS.c.created_at.desc(), SESSIONS.c.id.desc())

        def tx(conn: Connection) -> list[Session]:
            page = query
            if after is not None:
                # Keyset: strictly after the cursor session in (created_at, id) descending order.
                cursor_at = conn.execute(
                    select(SESSIONS.c.created_at).where(SESSIONS.c.id == after)
                ).scalar()
                if cursor_at is None:
                    raise InvalidInputError(
                        f"cursor {after!r} does not name a session: pass the id of the last "
                        "session of the previous page"
                    )
                page = page.where(
                    or_(
                        SESSIONS.c.created_at < cursor_at,
                        and_(SESSIONS.c.created_at == cursor_at, SESSIONS.c.id < after),
                    )
                )
            rows = conn.execute(page.limit(limit).offset(offset)).mappings()
            return [_session_from_row(row) for row in rows]

        return self._read("list sessions", tx)

    def find_active_session(self, user_id: str | None) -> Session | None:
        query = select(SESSIONS).where(SESSIONS.c.status == _ACTIVE)
        if user_id is not None:
            query = query.where(SESSIONS.c.user_id == user_id)
        query = query.order_by(
            SESSIONS.c.started_at.desc().nulls_last(), SESSIONS.c.id.desc()
        ).limit(1)

        def tx(conn: Connection) -> Session | None:
            row = conn.execute(query).mappings().first()
            return None if row is None else _session_from_row(row)

        return self._read("find the active session", tx)

    def save_transition(
        self,
        before: Session,
        after: Session,
        *,
        operation: Operation,
        reason: str | None,
        messages: Sequence[NewMessage] = (),
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
        at = after.last_activity_at or datetime.now(UTC)
        changes: dict[str, Any] = {
            "status": after.status.value,
            "version": after.version,
            "started_at": after.started_at,
            "ended_at": after.ended_at,
            "end_reason": None if after.end_reason is None else after.end_reason.value,
            "active_since": after.active_since,
            "active_seconds": after.active_seconds,
            "last_activity_at": after.last_activity_at,
            "message_count": SESSIONS.c.message_count + len(messages),
        }
        # Only a state the caller changed is written, so that an append that replaced it
        # meanwhile (appends do not bump the version) is not undone by a stale copy.
        if after.interviewer_state != before.interviewer_state:
            changes["interviewer_state"] = plain_json(after.interviewer_state, "interviewer_state")

        def tx(conn: Connection) -> TransitionResult:
            row = conn.execute(
                update(SESSIONS)
                .where(
                    SESSIONS.c.id == session_id,
                    SESSIONS.c.version == before.version,
                    SESSIONS.c.status == before.status.value,
                )
                .values(changes)
                .returning(SESSIONS.c.message_count)
            ).first()
            if row is None:
                current = _require_session(conn, session_id)
                raise InvalidStateTransitionError(
                    session_id, current.status.value, operation.value, "changed concurrently"
                )
            conn.execute(
                insert(TRANSITIONS).values(
                    session_id=session_id,
                    from_status=before.status.value,
                    to_status=after.status.value,
                    operation=operation.value,
                    reason=reason,
                    at=at,
                )
            )
            stored = _insert_messages(conn, session_id, messages, last_seq=int(row[0]))
            if after.status is SessionStatus.COMPLETED:
                conn.execute(
                    insert(EVALUATIONS).values(
                        session_id=session_id,
                        status=EvaluationStatus.PENDING.value,
                        attempts=0,
                        created_at=at,
                        updated_at=at,
                    )
                )
            return TransitionResult(session=_require_session(conn, session_id), messages=stored)

        what = f"{operation.value} session {session_id!r}"
        try:
            return self._write(what, tx, pass_integrity=after.status is SessionStatus.ACTIVE)
        except IntegrityError as exc:
            other = self.find_active_session(after.user_id)
            if other is not None and other.id != session_id:
                raise InvalidStateTransitionError(
                    session_id,
                    before.status.value,
                    operation.value,
                    f"user {after.user_id!r} already has an active session {other.id}",
                ) from None
            raise _store_error(what, exc) from exc

    # ------------------------------------------------------------------ transcript

    def append_message(
        self,
        session_id: str,
        message: NewMessage,
        *,
        interviewer_state: Mapping[str, Any] | None = None,
        allow_late: bool = False,
        notes: Sequence[str] = (),
    ) -> Message:
        note_texts = _note_texts(notes)
        with_state = interviewer_state is not None
        params: dict[str, Any] = {"b_id": session_id, "b_at": message.created_at}
        if interviewer_state is not None:
            params["b_state"] = plain_json(interviewer_state, "interviewer_state")

        def tx(conn: Connection) -> Message:
            late = False
            row = conn.execute(_BUMPS[(True, with_state)], params).first()
            if row is None:
                status = conn.execute(_SESSION_STATUS, {"b_id": session_id}).scalar()
                if status is None:
                    raise SessionNotFoundError(session_id)
                # "Late" is a message for a session that has left ACTIVE; a session that was
                # never started has no conversation to be late to.
                if not allow_late or status == SessionStatus.CREATED.value:
                    raise InvalidStateTransitionError(session_id, status, "send a message to")
                row = conn.execute(_BUMPS[(False, with_state)], params).first()
                assert row is not None
                late = True
            (stored,) = _insert_messages(conn, session_id, [message], int(row[0]), late=late)
            if note_texts:
                conn.execute(
                    insert(INTERVIEWER_NOTES),
                    [
                        {
                            "session_id": session_id,
                            "message_seq": stored.seq,
                            "content": text,
                            "created_at": message.created_at,
                        }
                        for text in note_texts
                    ],
                )
            return stored

        return self._write(f"store a message of session {session_id!r}", tx)

    def get_notes(self, session_id: str) -> list[InterviewerNote]:
        query = (
            select(INTERVIEWER_NOTES)
            .where(INTERVIEWER_NOTES.c.session_id == session_id)
            .order_by(INTERVIEWER_NOTES.c.id)
        )

        def note(row: RowMapping) -> InterviewerNote:
            return InterviewerNote(
                session_id=row["session_id"],
                message_seq=row["message_seq"],
                content=row["content"],
                created_at=row["created_at"],
            )

        return self._session_rows("the interviewer notes", session_id, query, note)

    def get_transcript(self, session_id: str) -> list[Message]:
        query = select(MESSAGES).where(MESSAGES.c.session_id == session_id).order_by(MESSAGES.c.seq)

        return self._session_rows("the transcript", session_id, query, _message_from_row)

    def recent_messages(self, session_id: str, limit: int) -> list[Message]:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise InvalidInputError(f"limit must be a non-negative integer, got {limit!r}")
        # Newest first through the (session_id, seq) primary key, then put back in order.
        newest_first = self._session_rows(
            "the messages",
            session_id,
            _RECENT_MESSAGES,
            _message_from_row,
            params={"b_id": session_id, "b_limit": limit},
        )
        return newest_first[::-1]

    def list_transitions(self, session_id: str) -> list[TransitionRecord]:
        query = (
            select(TRANSITIONS)
            .where(TRANSITIONS.c.session_id == session_id)
            .order_by(TRANSITIONS.c.id)
        )

        return self._session_rows("the transitions", session_id, query, _transition_from_row)

    # ------------------------------------------------------------------ evaluations

    def get_evaluation(self, session_id: str) -> EvaluationReport | None:
        def tx(conn: Connection) -> EvaluationReport | None:
            report = _load_evaluation(conn, session_id)
            if report is None:
                _require_exists(conn, session_id)
            return report

        return self._read(f"read the evaluation of session {session_id!r}", tx)

    def claim_evaluation(
        self, session_id: str, *, force: bool, now: datetime, stale_after: timedelta
    ) -> EvaluationReport | None:
        _require_aware(now, "now")

        def tx(conn: Connection) -> EvaluationReport | None:
            status = conn.execute(
                select(SESSIONS.c.status).where(SESSIONS.c.id == session_id)
            ).scalar()
            if status is None:
                raise SessionNotFoundError(session_id)
            if status != SessionStatus.COMPLETED.value:
                raise InvalidStateTransitionError(
                    session_id, status, "evaluate", "only a completed session is evaluated"
                )
            seen = conn.execute(
                select(
                    EVALUATIONS.c.status, EVALUATIONS.c.attempts, EVALUATIONS.c.started_at
                ).where(EVALUATIONS.c.session_id == session_id)
            ).first()
            if seen is None:
                conn.execute(
                    insert(EVALUATIONS).values(
                        session_id=session_id,
                        status=EvaluationStatus.RUNNING.value,
                        attempts=1,
                        created_at=now,
                        updated_at=now,
                        started_at=now,
                    )
                )
                return _load_evaluation(conn, session_id)
            seen_status = EvaluationStatus(seen.status)
            if not _is_due(seen_status, seen.started_at, force=force, now=now, stale=stale_after):
                return None
            claimed = conn.execute(
                update(EVALUATIONS)
                .where(
                    EVALUATIONS.c.session_id == session_id,
                    EVALUATIONS.c.status == seen_status.value,
                    EVALUATIONS.c.attempts == seen.attempts,
                )
                .values(
                    status=EvaluationStatus.RUNNING.value,
                    attempts=seen.attempts + 1,
                    started_at=now,
                    updated_at=now,
                    completed_at=None,
                    error=None,
                )
            )
            if claimed.rowcount != 1:
                return None
            return _load_evaluation(conn, session_id)

        try:
            return self._write(
                f"claim the evaluation of session {session_id!r}", tx, pass_integrity=True
            )
        except IntegrityError:
            # Another runner inserted the missing evaluation first: it holds it.
            return None

    def finish_evaluation(
        self, session_id: str, outcome: EvaluationOutcome, *, attempt: int, now: datetime
    ) -> EvaluationReport:
        _require_aware(now, "now")
        if EvaluationStatus(outcome.status) not in _FINISHED:
            raise InvalidInputError(
                f"an evaluation outcome is ready or no_evidence, got {outcome.status}"
            )
        values = {
            "status": EvaluationStatus(outcome.status).value,
            "overall_score": outcome.overall_score,
            "coverage": outcome.coverage,
            "dimension_scores": _dimension_scores_json(outcome.dimension_scores),
            "strengths": plain_json(list(outcome.strengths), "strengths"),
            "improvements": plain_json(list(outcome.improvements), "improvements"),
            "summary": outcome.summary,
            "provider": outcome.provider,
            "model": outcome.model,
            "template": outcome.template,
            "rubric_version": outcome.rubric_version,
            "provenance": plain_json(dict(outcome.provenance), "provenance"),
            "error": None,
            "updated_at": now,
            "completed_at": now,
        }

        def tx(conn: Connection) -> EvaluationReport:
            _update_held_evaluation(conn, session_id, attempt, values)
            conn.execute(
                update(SESSIONS)
                .where(SESSIONS.c.id == session_id)
                .values(overall_score=outcome.overall_score)
            )
            return _require_evaluation(conn, session_id)

        return self._write(f"store the evaluation of session {session_id!r}", tx)

    def fail_evaluation(
        self, session_id: str, *, error: str, attempt: int, now: datetime
    ) -> EvaluationReport:
        _require_aware(now, "now")
        values = {"status": EvaluationStatus.FAILED.value, "error": error, "updated_at": now}

        def tx(conn: Connection) -> EvaluationReport:
            _update_held_evaluation(conn, session_id, attempt, values)
            return _require_evaluation(conn, session_id)

        return self._write(f"record the failed evaluation of session {session_id!r}", tx)

    # ------------------------------------------------------------------ maintenance

    def sessions_to_sweep(
        self, *, abandoned_before: datetime, after_id: str | None, limit: int
    ) -> list[Session]:
        """A page (by id) of the sessions the time rules may concern: every ACTIVE one (its
        time limit depends on its own duration) and the PAUSED ones idle since before
        ``abandoned_before``."""
        _require_aware(abandoned_before, "abandoned_before")
        query = select(SESSIONS).where(
            or_(
                SESSIONS.c.status == _ACTIVE,
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
            return [_session_from_row(row) for row in conn.execute(query).mappings()]

        return self._read("find sessions to sweep", tx)

    def evaluations_to_resume(
        self, *, pending_before: datetime, running_before: datetime, limit: int
    ) -> list[str]:
        """Ids of sessions whose evaluation was left PENDING, or RUNNING by a runner that
        died (a crash between the ending and its evaluation)."""
        query = (
            select(EVALUATIONS.c.session_id)
            .where(
                or_(
                    and_(
                        EVALUATIONS.c.status == EvaluationStatus.PENDING.value,
                        EVALUATIONS.c.updated_at < _require_aware(pending_before, "pending_before"),
                    ),
                    and_(
                        EVALUATIONS.c.status == EvaluationStatus.RUNNING.value,
                        EVALUATIONS.c.started_at < _require_aware(running_before, "running_before"),
                    ),
                )
            )
            .order_by(EVALUATIONS.c.updated_at)
            .limit(limit)
        )
        return self._read(
            "find evaluations to resume", lambda conn: list(conn.execute(query).scalars())
        )

    def failed_evaluations(self, *, limit: int) -> list[str]:
        """Ids of sessions whose evaluation is FAILED, oldest failure first."""
        query = (
            select(EVALUATIONS.c.session_id)
            .where(EVALUATIONS.c.status == EvaluationStatus.FAILED.value)
            .order_by(EVALUATIONS.c.updated_at)
            .limit(limit)
        )
        return self._read(
            "find failed evaluations", lambda conn: list(conn.execute(query).scalars())
        )

    def session_stats(self, *, since: datetime) -> SessionStats:
        """Aggregates for dashboards, computed by the database (no rows are brought back)."""
        _require_aware(since, "since")
        day = (
            func.date(SESSIONS.c.created_at)
            if self._engine.dialect.name == "sqlite"
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

        def tx(conn: Connection) -> SessionStats:
            by_status: dict[str, int] = dict(
                conn.execute(
                    select(SESSIONS.c.status, func.count()).group_by(SESSIONS.c.status)
                ).all()
            )
            per_day = conn.execute(
                select(day.label("day"), func.count())
                .where(SESSIONS.c.created_at >= since)
                .group_by("day")
                .order_by("day")
            ).all()
            averages = conn.execute(
                select(
                    func.avg(case((completed, SESSIONS.c.active_seconds))),
                    func.avg(score),
                    func.count(score),
                    *buckets,
                )
            ).one()
            evaluations: dict[str, int] = dict(
                conn.execute(
                    select(EVALUATIONS.c.status, func.count()).group_by(EVALUATIONS.c.status)
                ).all()
            )
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

        return self._read("compute session statistics", tx)

    def delete_session(self, session_id: str) -> bool:
        """Delete a session with its transcript, transitions and evaluation (erasure requests);
        False if there was none."""

        def tx(conn: Connection) -> bool:
            result = conn.execute(delete(SESSIONS).where(SESSIONS.c.id == session_id))
            return result.rowcount == 1

        return self._write(f"delete session {session_id!r}", tx)

    # ------------------------------------------------------------------ transactions

    def _session_rows(
        self,
        what: str,
        session_id: str,
        query: Select[Any],
        convert: Callable[[RowMapping], T],
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[T]:
        """The rows ``query`` finds for one session, converted; an empty result is told apart
        from an unknown session (``SessionNotFoundError``) in the same transaction."""

        def tx(conn: Connection) -> list[T]:
            items = [convert(row) for row in conn.execute(query, params).mappings()]
            if not items:
                _require_exists(conn, session_id)
            return items

        return self._read(f"read {what} of session {session_id!r}", tx)

    def _read(self, what: str, fn: Callable[[Connection], T]) -> T:
        return self._run(self._reader, what, fn, pass_integrity=False)

    def _write(
        self, what: str, fn: Callable[[Connection], T], *, pass_integrity: bool = False
    ) -> T:
        return self._run(self._engine, what, fn, pass_integrity=pass_integrity)

    def _run(
        self, engine: Engine, what: str, fn: Callable[[Connection], T], *, pass_integrity: bool
    ) -> T:
        """Run ``fn`` in one transaction; retry lock contention, translate database errors.

        ``pass_integrity`` lets an ``IntegrityError`` reach the caller, which knows what the
        violated constraint means; the transaction has been rolled back by then.
        """
        attempt = 1
        while True:
            try:
                with engine.begin() as conn:
                    return fn(conn)
            except InterviewPlatformError:
                raise
            except IntegrityError as exc:
                if pass_integrity:
                    raise
                raise _translate(what, exc) from exc
            except OperationalError as exc:
                if attempt < self._max_attempts and _is_contention(exc):
                    time.sleep(self._retry_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
                    attempt += 1
                    continue
                raise _translate(what, exc) from exc
            except SQLAlchemyError as exc:
                raise _translate(what, exc) from exc


# ---------------------------------------------------------------------- error translation


def _translate(what: str, exc: SQLAlchemyError) -> InterviewPlatformError:
    """The library's error for a failed statement."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, InterviewPlatformError):
        # Raised by our own column types (a naive datetime, say) while binding parameters.
        return orig
    return _store_error(what, exc)


def _store_error(what: str, exc: SQLAlchemyError) -> DataStoreError:
    orig = getattr(exc, "orig", None)
    cause = orig if orig is not None else exc
    detail = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    if isinstance(exc, OperationalError) and _is_contention(exc):
        hint = "the database stayed locked by another writer; try again"
    elif isinstance(exc, IntegrityError):
        hint = "it conflicts with stored data"
    elif isinstance(exc, DBAPIError) and exc.connection_invalidated:
        hint = "the connection to the database was lost"
    elif isinstance(exc, OperationalError) and _is_connection_refused(detail):
        hint = "could not connect to the database: check that it is running and the URL"
    else:
        hint = "database error"
    return DataStoreError(f"could not {what}: {hint} ({type(cause).__name__}: {detail})")


def _is_connection_refused(detail: str) -> bool:
    """A PostgreSQL (psycopg) connection that could not be made."""
    return detail.startswith("connection failed") or "Connection refused" in detail


def _is_contention(exc: OperationalError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return any(marker in message for marker in _BUSY_MARKERS)


# ---------------------------------------------------------------------- queries


def _load_session(conn: Connection, session_id: str) -> Session | None:
    row = conn.execute(_SESSION_BY_ID, {"b_id": session_id}).mappings().first()
    if row is None:
        return None
    try:
        return _session_from_row(row)
    except (ValueError, KeyError, TypeError) as exc:  # InvalidInputError is a ValueError
        # A row the domain refuses was written by something else; say so, not "bad input".
        raise DataStoreError(f"stored session {session_id!r} cannot be read: {exc}") from exc


def _note_texts(notes: Sequence[str]) -> list[str]:
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


def _require_session(conn: Connection, session_id: str) -> Session:
    session = _load_session(conn, session_id)
    if session is None:
        raise SessionNotFoundError(session_id)
    return session


def _require_exists(conn: Connection, session_id: str) -> None:
    found = conn.execute(_SESSION_ID, {"b_id": session_id}).first()
    if found is None:
        raise SessionNotFoundError(session_id)


def _insert_messages(
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
    rows = [
        {
            "session_id": session_id,
            "seq": first + index,
            "role": Role(message.role).value,
            "mode": CommunicationMode(message.mode).value,
            "content": message.content,
            "created_at": message.created_at,
            "late": late,
        }
        for index, message in enumerate(messages)
    ]
    conn.execute(insert(MESSAGES), rows)
    # Stored: the timestamps were aware (the column type refuses naive ones); report them in
    # UTC, as a read would.
    return tuple(
        Message(
            session_id=session_id,
            seq=first + index,
            role=Role(message.role),
            mode=CommunicationMode(message.mode),
            content=message.content,
            created_at=message.created_at.astimezone(UTC),
            late=late,
        )
        for index, message in enumerate(messages)
    )


def _load_evaluation(conn: Connection, session_id: str) -> EvaluationReport | None:
    row = (
        conn.execute(select(EVALUATIONS).where(EVALUATIONS.c.session_id == session_id))
        .mappings()
        .first()
    )
    return None if row is None else _evaluation_from_row(row)


def _require_evaluation(conn: Connection, session_id: str) -> EvaluationReport:
    report = _load_evaluation(conn, session_id)
    if report is None:
        _require_exists(conn, session_id)
        raise EvaluationError(f"session {session_id!r} has no evaluation")
    return report


def _update_held_evaluation(
    conn: Connection, session_id: str, attempt: int, values: Mapping[str, Any]
) -> None:
    """Apply ``values`` if attempt ``attempt`` still holds the evaluation (it is RUNNING with
    that many attempts); otherwise raise ``EvaluationError`` and change nothing."""
    result = conn.execute(
        update(EVALUATIONS)
        .where(
            EVALUATIONS.c.session_id == session_id,
            EVALUATIONS.c.status == EvaluationStatus.RUNNING.value,
            EVALUATIONS.c.attempts == attempt,
        )
        .values(dict(values))
    )
    if result.rowcount == 1:
        return
    current = _require_evaluation(conn, session_id)
    raise EvaluationError(
        f"attempt {attempt} no longer holds the evaluation of session {session_id!r} "
        f"(it is {current.status.value} after {current.attempts} attempt(s)); "
        "its result was not stored"
    )


def _is_due(
    status: EvaluationStatus,
    started_at: datetime | None,
    *,
    force: bool,
    now: datetime,
    stale: timedelta,
) -> bool:
    if status in (EvaluationStatus.PENDING, EvaluationStatus.FAILED):
        return True
    if status is EvaluationStatus.RUNNING:
        return started_at is None or now - started_at >= stale
    return force


def _float_or_none(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def _require_aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value


# ---------------------------------------------------------------------- rows <-> domain


def _session_values(session: Session) -> dict[str, Any]:
    config = session.config
    return {
        "id": session.id,
        "user_id": session.user_id,
        "status": SessionStatus(session.status).value,
        "template": config.template,
        "ai_provider": config.ai_provider,
        "config": config.to_dict(include_resume=False),
        "resume_data": None if config.resume_data is None else dict(config.resume_data),
        "interviewer_state": plain_json(session.interviewer_state, "interviewer_state"),
        "created_at": session.created_at,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "last_activity_at": session.last_activity_at,
        "active_since": session.active_since,
        "active_seconds": session.active_seconds,
        "end_reason": None if session.end_reason is None else session.end_reason.value,
        "overall_score": session.overall_score,
        "message_count": session.message_count,
        "version": session.version,
    }


def _session_from_row(row: RowMapping) -> Session:
    config = SessionConfig.from_dict({**row["config"], "resume_data": row["resume_data"]})
    return Session(
        id=row["id"],
        user_id=row["user_id"],
        status=SessionStatus(row["status"]),
        config=config,
        created_at=row["created_at"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        end_reason=None if row["end_reason"] is None else EndReason(row["end_reason"]),
        overall_score=row["overall_score"],
        message_count=row["message_count"],
        last_activity_at=row["last_activity_at"],
        active_seconds=row["active_seconds"],
        active_since=row["active_since"],
        version=row["version"],
        interviewer_state=row["interviewer_state"] or {},
    )


def _message_from_row(row: RowMapping) -> Message:
    return Message(
        session_id=row["session_id"],
        seq=row["seq"],
        role=Role(row["role"]),
        mode=CommunicationMode(row["mode"]),
        content=row["content"],
        created_at=row["created_at"],
        late=bool(row["late"]),
    )


def _transition_from_row(row: RowMapping) -> TransitionRecord:
    return TransitionRecord(
        session_id=row["session_id"],
        from_status=SessionStatus(row["from_status"]),
        to_status=SessionStatus(row["to_status"]),
        operation=row["operation"],
        reason=row["reason"],
        at=row["at"],
    )


def _dimension_scores_json(scores: Mapping[str, DimensionScore]) -> dict[str, Any]:
    # Built by hand, not through plain_json, which would sort the dimensions (rubric order).
    return {
        str(key): {
            "score": None if score.score is None else int(score.score),
            "evidence": [int(seq) for seq in score.evidence],
            "rationale": str(score.rationale),
        }
        for key, score in scores.items()
    }


def _evaluation_from_row(row: RowMapping) -> EvaluationReport:
    scores = {
        key: DimensionScore(
            dimension=key,
            score=value.get("score"),
            evidence=tuple(value.get("evidence") or ()),
            rationale=value.get("rationale") or "",
        )
        for key, value in (row["dimension_scores"] or {}).items()
    }
    return EvaluationReport(
        session_id=row["session_id"],
        status=EvaluationStatus(row["status"]),
        overall_score=row["overall_score"],
        dimension_scores=scores,
        strengths=tuple(row["strengths"] or ()),
        improvements=tuple(row["improvements"] or ()),
        summary=row["summary"] or "",
        provider=row["provider"],
        model=row["model"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        completed_at=row["completed_at"],
        started_at=row["started_at"],
        coverage=row["coverage"],
        template=row["template"],
        rubric_version=row["rubric_version"],
        error=row["error"],
        attempts=row["attempts"],
        provenance=row["provenance"] or {},
    )


if TYPE_CHECKING:

    def _implements_the_port(store: SqlAlchemyDataStore) -> DataStore:
        """mypy checks here that the class satisfies the ``DataStore`` protocol."""
        return store

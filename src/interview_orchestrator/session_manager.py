"""SessionManager: the one orchestrator of an interview's lifecycle.

It holds no session in memory: every operation loads the session from the ``DataStore``,
applies the lifecycle table, and stores the result (compare-and-set) before it reports success.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import structlog

from . import lifecycle
from .clock import Clock, utc_now
from .errors import (
    DataStoreError,
    EvaluationError,
    InterviewPlatformError,
    InvalidInputError,
    InvalidStateTransitionError,
    ProviderError,
    SessionNotFoundError,
)
from .faults import fault_point
from .lifecycle import DueAction, Operation, TimePolicy
from .models import (
    CommunicationMode,
    EndReason,
    EvaluationReport,
    EvaluationStatus,
    Message,
    NewMessage,
    Role,
    Session,
    SessionConfig,
    SessionStatus,
    new_id,
    parse_mode,
    parse_session_id,
    parse_user_id,
    validate_message_content,
    validate_page,
)
from .ports import (
    AIInterviewer,
    CommunicationManager,
    DataStore,
    EvaluationManager,
    EventKind,
    InterviewContext,
    InterviewerReply,
    SessionEvent,
)

T = TypeVar("T")

#: Caller mistakes are logged as warnings; everything else that fails is an error.
_CALLER_ERRORS = (InvalidInputError, InvalidStateTransitionError, SessionNotFoundError)
_FINISHED = frozenset({EvaluationStatus.READY, EvaluationStatus.NO_EVIDENCE})


class SessionManager:
    """Creates, starts, conducts, pauses, resumes and ends interview sessions."""

    def __init__(
        self,
        data_store: DataStore,
        ai_interviewer: AIInterviewer,
        evaluation_manager: EvaluationManager,
        communication_manager: CommunicationManager,
        logger: Any = None,
        *,
        clock: Clock = utc_now,
        context_messages: int = 20,
        time_policy: TimePolicy | None = None,
    ) -> None:
        self._store = data_store
        self._interviewer = ai_interviewer
        self._evaluations = evaluation_manager
        self._channels = communication_manager
        self._log = (logger if logger is not None else structlog.get_logger()).bind(
            component="SessionManager"
        )
        self._clock = clock
        self._context_messages = context_messages
        self._time_policy = time_policy or TimePolicy()

    # ------------------------------------------------------------------ lifecycle

    def create_session(
        self,
        config: SessionConfig,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
    ) -> Session:
        """Store a new CREATED session. With ``session_id`` the call is idempotent: repeating
        it with the same config returns the stored session."""
        sid = parse_session_id(session_id) if session_id is not None else new_id()
        with self._operation("create_session", sid):
            if not isinstance(config, SessionConfig):
                raise InvalidInputError("config must be a SessionConfig")
            owner = self._owner(config, user_id)
            self._call_ai(
                "check the session config", lambda: self._interviewer.check_config(config)
            )
            now = self._clock()
            draft = Session(
                id=sid,
                user_id=owner or f"user-{uuid.uuid4().hex[:12]}",
                status=SessionStatus.CREATED,
                config=config,
                created_at=now,
                last_activity_at=now,
            )
            stored = self._store.add_session(draft)
            created = stored.created_at == draft.created_at and stored.config == config
            if not created and (stored.config != config or (owner and stored.user_id != owner)):
                raise InvalidInputError(
                    f"session id {sid!r} is already used by a session with a different "
                    "configuration or user; use a new idempotency key"
                )
            self._log.info(
                "session created" if created else "session already existed (idempotent create)",
                metadata={
                    "enabled_modes": [m.value for m in config.enabled_modes],
                    "ai_provider": config.ai_provider,
                    "template": config.template,
                    "duration_minutes": config.duration_minutes,
                    "has_resume": config.resume_data is not None,
                },
            )
            if created:
                self._publish(EventKind.STATE_CHANGED, stored)
            return stored

    def start_session(self, session_id: str) -> Session:
        """CREATED → ACTIVE: initialise the interviewer, open the channels, ask the opening
        question and store it. On failure the session stays CREATED with its channels closed."""
        sid = parse_session_id(session_id)
        with self._operation("start_session", sid):
            session = self._store.get_session(sid)
            lifecycle.next_status(sid, session.status, Operation.START)
            self._refuse_second_active(session)
            config = session.config
            try:
                state = self._call_ai(
                    "initialise the interviewer",
                    lambda: self._interviewer.initialize(sid, config.resume_data, config=config),
                )
                fault_point("start_session.after_initialize")
                for mode in config.enabled_modes:
                    self._channels.enable_mode(sid, mode)
                now = self._clock()
                prepared = session.with_changes(interviewer_state=dict(state))
                opening = self._call_ai(
                    "ask the opening question",
                    lambda: self._interviewer.opening_question(InterviewContext(prepared, (), now)),
                )
                after = lifecycle.apply(prepared, Operation.START, now).with_changes(
                    interviewer_state=dict(opening.state)
                )
                fault_point("start_session.before_commit")
                result = self._store.save_transition(
                    session,
                    after,
                    operation=Operation.START,
                    reason=None,
                    messages=[
                        NewMessage(
                            Role.INTERVIEWER, self._reply_mode(config, None), opening.content, now
                        )
                    ],
                )
            except BaseException:
                self._close_channels_unless_started(sid)
                raise
            self._log.info(
                "session started",
                metadata={"enabled_modes": [m.value for m in config.enabled_modes]},
            )
            self._publish(EventKind.STATE_CHANGED, result.session)
            for message in result.messages:
                self._publish(EventKind.MESSAGE, result.session, message)
            return result.session

    def send_message(
        self,
        session_id: str,
        content: str,
        mode: CommunicationMode = CommunicationMode.TEXT,
    ) -> Message:
        """Store the candidate's message, then ask the interviewer and store its reply.

        If the interviewer fails, the candidate's message stays stored and ``ProviderError``
        says so. Returns the interviewer's message.
        """
        sid = parse_session_id(session_id)
        with self._operation("send_message", sid):
            channel = parse_mode(mode)
            text = validate_message_content(content, channel)
            session = self._overdue_guard(self._store.get_session(sid), "send a message to")
            if session.status is not SessionStatus.ACTIVE:
                raise InvalidStateTransitionError(
                    sid,
                    session.status.value,
                    "send a message to",
                    "input is accepted only while ACTIVE",
                )
            self._require_channel(session, channel)
            candidate = self._store.append_message(
                sid, NewMessage(Role.CANDIDATE, channel, text, self._clock())
            )
            fault_point("send_message.after_candidate_stored")
            self._publish(EventKind.MESSAGE, session, candidate)
            # From here on a failure must say that the candidate's message is kept.
            unanswered = (
                f"the candidate's message #{candidate.seq} is stored and nothing was lost, "
                "but the interviewer's reply was not: send the next message or retry later"
            )
            try:
                recent = tuple(self._store.recent_messages(sid, self._context_messages))
                reply: InterviewerReply = self._call_ai(
                    "reply",
                    lambda: self._interviewer.reply(
                        InterviewContext(session, recent, self._clock())
                    ),
                )
            except ProviderError as exc:
                raise ProviderError(
                    f"{exc}; the candidate's message #{candidate.seq} is stored and nothing "
                    "was lost: send the next message or retry later"
                ) from exc
            except DataStoreError as exc:
                raise DataStoreError(f"{exc}; {unanswered}") from exc
            fault_point("send_message.after_reply_generated")
            try:
                answer = self._store.append_message(
                    sid,
                    NewMessage(
                        Role.INTERVIEWER,
                        self._reply_mode(session.config, channel),
                        reply.content,
                        self._clock(),
                    ),
                    interviewer_state=reply.state,
                    allow_late=True,
                    notes=reply.notes,
                )
            except DataStoreError as exc:
                raise DataStoreError(f"{exc}; {unanswered}") from exc
            fault_point("send_message.after_reply_stored")
            if not answer.late:
                self._publish(EventKind.MESSAGE, session, answer)
            self._log.info(
                "message exchanged" if not answer.late else "reply stored late: session had ended",
                metadata={
                    "mode": channel.value,
                    "candidate_seq": candidate.seq,
                    "reply_seq": answer.seq,
                    "chars": len(text),
                    "notes": len(reply.notes),
                },
            )
            return answer

    def pause_session(self, session_id: str) -> Session:
        """ACTIVE → PAUSED; the clock stops counting against ``duration_minutes``."""
        return self._simple_transition("pause_session", session_id, Operation.PAUSE)

    def resume_session(self, session_id: str) -> Session:
        """PAUSED → ACTIVE."""
        return self._simple_transition("resume_session", session_id, Operation.RESUME)

    def end_session(
        self, session_id: str, *, reason: EndReason = EndReason.REQUESTED
    ) -> EvaluationReport:
        """ACTIVE or PAUSED → COMPLETED (stored first, with a PENDING evaluation), close the
        channels, then generate the evaluation. If that fails the session stays COMPLETED,
        the failure is stored and ``EvaluationError`` raised (``retry_evaluation`` redoes it)."""
        sid = parse_session_id(session_id)
        with self._operation("end_session", sid):
            session = self._store.get_session(sid)
            due = lifecycle.due_action(session, self._clock(), self._time_policy)
            if due is not None and due.end_reason is not None:
                reason = due.end_reason  # it was overdue: record why it really ended
            after = lifecycle.apply(session, Operation.END, self._clock(), end_reason=reason)
            result = self._store.save_transition(
                session, after, operation=Operation.END, reason=reason.value
            )
            fault_point("end_session.after_commit")
            self._channels.disable_all_modes(sid)
            fault_point("end_session.after_channels_closed")
            self._publish(EventKind.STATE_CHANGED, result.session)
            report = self._generate(sid, force=False)
            self._log.info(
                "session ended",
                metadata={
                    "end_reason": reason.value,
                    "active_seconds": round(result.session.active_seconds, 3),
                    "messages": result.session.message_count,
                    "evaluation": report.status.value,
                    "overall_score": report.overall_score,
                },
            )
            return report

    def retry_evaluation(self, session_id: str, *, force: bool = False) -> EvaluationReport:
        """Regenerate a failed, pending or missing evaluation of a COMPLETED session; a finished
        one is returned as it is unless ``force``."""
        sid = parse_session_id(session_id)
        with self._operation("retry_evaluation", sid):
            session = self._store.get_session(sid)
            if session.status is not SessionStatus.COMPLETED:
                raise InvalidStateTransitionError(
                    sid, session.status.value, "evaluate", "only a COMPLETED session is evaluated"
                )
            existing = self._store.get_evaluation(sid)
            if existing is not None and existing.status in _FINISHED and not force:
                self._log.info(
                    "evaluation already finished; not regenerated",
                    metadata={"evaluation": existing.status.value},
                )
                return existing
            report = self._generate(sid, force=force)
            self._log.info(
                "evaluation regenerated",
                metadata={"evaluation": report.status.value, "force": force},
            )
            return report

    def enforce_time_rules(self, session_id: str) -> DueAction | None:
        """Apply the time rules to one session now: end it past its time limit, pause it when
        idle, end it when abandoned (``sweep`` runs this for each candidate). Returns what was
        done, or None. Decided and stored against one snapshot (compare-and-set), so it is
        safe against live traffic and against another sweep."""
        sid = parse_session_id(session_id)
        with self._operation("enforce_time_rules", sid):
            session = self._store.get_session(sid)
            action = lifecycle.due_action(session, self._clock(), self._time_policy)
            if action is not None:
                self._apply_due(session, action)
            return action

    # ------------------------------------------------------------------ reads

    def get_session(self, session_id: str) -> Session:
        sid = parse_session_id(session_id)
        with self._operation("get_session", sid, quiet=True):
            return self._store.get_session(sid)

    def get_transcript(self, session_id: str) -> list[Message]:
        sid = parse_session_id(session_id)
        with self._operation("get_transcript", sid, quiet=True):
            return self._store.get_transcript(sid)

    def get_evaluation(self, session_id: str) -> EvaluationReport | None:
        sid = parse_session_id(session_id)
        with self._operation("get_evaluation", sid, quiet=True):
            return self._store.get_evaluation(sid)  # SessionNotFoundError for an unknown id

    def get_active_session(self, user_id: str | None = None) -> Session | None:
        with self._operation("get_active_session", None, quiet=True):
            owner = parse_user_id(user_id) if user_id is not None else None
            return self._store.find_active_session(owner)

    def list_sessions(
        self,
        user_id: str | None = None,
        status: SessionStatus | str | None = None,
        limit: int = 50,
        offset: int = 0,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        min_score: float | None = None,
        after: str | None = None,
    ) -> list[Session]:
        """Sessions most recent first, optionally of one user and one status, created in
        [since, until), scored at least ``min_score``; ``after`` (the id of the last session
        of the previous page) pages by keyset, which stays fast on any history."""
        with self._operation("list_sessions", None, quiet=True):
            owner = parse_user_id(user_id) if user_id is not None else None
            wanted = _parse_status(status) if status is not None else None
            page, skip = validate_page(limit, offset)
            for name, moment in (("since", since), ("until", until)):
                if moment is not None and (
                    not isinstance(moment, datetime) or moment.utcoffset() is None
                ):
                    raise InvalidInputError(f"{name} must be a timezone-aware datetime")
            if since is not None and until is not None and since >= until:
                raise InvalidInputError("since must be earlier than until")
            if min_score is not None and (
                isinstance(min_score, bool)
                or not isinstance(min_score, int | float)
                or not 0 <= min_score <= 100
            ):
                raise InvalidInputError("min_score must be a number between 0 and 100")
            cursor = parse_session_id(after) if after is not None else None
            return self._store.list_sessions(
                user_id=owner,
                status=wanted,
                limit=page,
                offset=skip,
                since=since,
                until=until,
                min_score=min_score,
                after=cursor,
            )

    # ------------------------------------------------------------------ internals

    def _simple_transition(self, operation: str, session_id: str, op: Operation) -> Session:
        sid = parse_session_id(session_id)
        with self._operation(operation, sid):
            session = self._overdue_guard(self._store.get_session(sid), op.value)
            after = lifecycle.apply(session, op, self._clock())
            result = self._store.save_transition(session, after, operation=op, reason=None)
            self._log.info(
                f"session {result.session.status.value}",
                metadata={"active_seconds": round(result.session.active_seconds, 3)},
            )
            self._publish(EventKind.STATE_CHANGED, result.session)
            return result.session

    def _generate(self, session_id: str, *, force: bool) -> EvaluationReport:
        try:
            return self._evaluations.generate_evaluation(session_id, force=force)
        except InterviewPlatformError:
            raise
        except Exception as exc:  # an evaluator that broke its contract
            raise EvaluationError(
                f"the evaluation of session {session_id!r} failed unexpectedly "
                f"({type(exc).__name__}); retry it with retry_evaluation"
            ) from exc

    def _apply_due(self, session: Session, action: DueAction) -> Session:
        after = lifecycle.apply(
            session, action.operation, self._clock(), end_reason=action.end_reason
        )
        result = self._store.save_transition(
            session, after, operation=action.operation, reason=action.reason
        )
        self._publish(EventKind.STATE_CHANGED, result.session)
        self._log.info(
            f"session {after.status.value} by the time rules",
            metadata={"reason": action.reason, "active_seconds": round(after.active_seconds, 3)},
        )
        if action.operation is Operation.END:
            self._channels.disable_all_modes(session.id)
            try:
                self._generate(session.id, force=False)
            except EvaluationError:
                # The ending stands; the failed evaluation is stored and retriable.
                self._log.error("evaluation after a timed ending failed", exc_info=True)
        return result.session

    def _overdue_guard(self, session: Session, operation: str) -> Session:
        """Lazy time rules: an operation on a session past its time limit or abandonment age
        ends it first and says so (an idle session is left to ``sweep``)."""
        action = lifecycle.due_action(session, self._clock(), self._time_policy)
        if action is None or action.operation is not Operation.END:
            return session
        self._apply_due(session, action)
        why = "time limit" if action.end_reason is EndReason.TIME_LIMIT else "abandonment age"
        raise InvalidStateTransitionError(
            session.id,
            SessionStatus.COMPLETED.value,
            operation,
            f"it had passed its {why} and has now been ended; its evaluation is available",
        )

    def _refuse_second_active(self, session: Session) -> None:
        """A candidate has at most one ACTIVE session (the database enforces it too; asking
        first spares the AI calls of a start that could not be stored)."""
        active = self._store.find_active_session(session.user_id)
        if active is not None and active.id != session.id:
            raise InvalidStateTransitionError(
                session.id,
                session.status.value,
                Operation.START.value,
                f"user {session.user_id!r} already has an active session {active.id}; "
                "pause or end it first",
            )

    def _close_channels_unless_started(self, session_id: str) -> None:
        """After a failed start, close the channels, unless a racing start won and needs them."""
        try:
            started = self._store.get_session(session_id).status is not SessionStatus.CREATED
        except InterviewPlatformError:
            started = False
        if not started:
            self._channels.disable_all_modes(session_id)

    def _call_ai(self, what: str, call: Callable[[], T]) -> T:
        """Run an interviewer call; anything but a platform error becomes ``ProviderError``."""
        try:
            return call()
        except InterviewPlatformError:
            raise
        except Exception as exc:
            raise ProviderError(
                f"the AI interviewer failed to {what} ({type(exc).__name__}: {exc})"
            ) from exc

    def _owner(self, config: SessionConfig, user_id: str | None) -> str | None:
        if user_id is not None:
            return parse_user_id(user_id)
        resume = config.resume_data or {}
        if resume.get("user_id") is not None:
            return parse_user_id(resume["user_id"])
        return None

    def _require_channel(self, session: Session, mode: CommunicationMode) -> None:
        """Input only in an enabled mode (requirement 5.2). Channels of a session started in
        another process are reopened here from the stored config."""
        if mode not in session.config.enabled_modes:
            enabled = ", ".join(m.value for m in session.config.enabled_modes)
            raise InvalidInputError(
                f"mode {mode.value!r} is not enabled for session {session.id!r} "
                f"(enabled: {enabled})"
            )
        if not self._channels.enabled_modes(session.id):
            for enabled_mode in session.config.enabled_modes:
                self._channels.enable_mode(session.id, enabled_mode)

    @staticmethod
    def _reply_mode(config: SessionConfig, incoming: CommunicationMode | None) -> CommunicationMode:
        """The interviewer speaks in text when text is open, else in the channel addressed."""
        if CommunicationMode.TEXT in config.enabled_modes:
            return CommunicationMode.TEXT
        return incoming or config.enabled_modes[0]

    def _publish(self, kind: EventKind, session: Session, message: Message | None = None) -> None:
        self._channels.publish(SessionEvent(kind, session.id, session.status, message))

    @contextmanager
    def _operation(
        self, operation: str, session_id: str | None, *, quiet: bool = False
    ) -> Iterator[None]:
        """Bind the operation and session to every log line inside; log failures with their
        stack; let no foreign exception escape."""
        with structlog.contextvars.bound_contextvars(operation=operation, session_id=session_id):
            try:
                yield
            except _CALLER_ERRORS as exc:
                self._log.warning(f"{operation} refused: {exc}", exc_info=True)
                raise
            except InterviewPlatformError as exc:
                self._log.error(f"{operation} failed: {exc}", exc_info=True)
                raise
            except Exception as exc:
                self._log.error(f"{operation} failed unexpectedly", exc_info=True)
                raise InterviewPlatformError(
                    f"{operation} failed unexpectedly ({type(exc).__name__}); nothing was "
                    "reported as done, see the log for details"
                ) from exc
            if quiet:
                self._log.info(f"{operation} done")


def _parse_status(value: SessionStatus | str) -> SessionStatus:
    if isinstance(value, SessionStatus):
        return value
    try:
        return SessionStatus(str(value).strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in SessionStatus)
        raise InvalidInputError(
            f"unknown session status {value!r}; expected one of: {known}"
        ) from None


__all__ = ["SessionManager"]

"""SessionManager: the one orchestrator of an interview's lifecycle.

It holds no session in memory: every operation loads the session from the ``DataStore``,
applies the lifecycle table, and stores the result (compare-and-set) before it reports success.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Final, Literal, TypeVar

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
from .lifecycle import FINISHED_EVALUATION, Action, DueAction, Operation, TimePolicy
from .log_events import LogEvent, Logger, log_failure
from .models import (
    DEFAULT_TENANT,
    MAX_EVENT_PAGE,
    CommunicationMode,
    EndReason,
    EvaluationReport,
    EvaluationStatus,
    EventType,
    Message,
    NewEvent,
    NewMessage,
    Role,
    Session,
    SessionConfig,
    SessionEvent,
    SessionStats,
    SessionStatus,
    Turn,
    _preview,
    new_id,
    parse_client_message_id,
    parse_cursor,
    parse_mode,
    parse_session_id,
    parse_status,
    parse_tenant_id,
    parse_user_id,
    validate_message_content,
    validate_page,
)
from .ports import (
    AIInterviewer,
    CommunicationManager,
    DataStore,
    EvaluationManager,
    InterviewContext,
    InterviewerReply,
    TurnStart,
)
from .subscriptions import EventHandler, Subscription

T = TypeVar("T")
EvaluateWhen = Literal["now", "background"]

_EVALUATE_WHEN: tuple[EvaluateWhen, ...] = ("now", "background")
#: A subscription wakes at least this often (seconds) to read what it may have missed.
_MAX_POLL_SECONDS = 3600


class SessionManager:
    """Creates, starts, conducts, pauses, resumes and ends interview sessions.

    A manager built with ``tenant_id`` (or obtained with ``for_tenant``) acts only within that
    tenant: another tenant's session is ``SessionNotFoundError``, as if it did not exist.
    """

    def __init__(
        self,
        data_store: DataStore,
        ai_interviewer: AIInterviewer,
        evaluation_manager: EvaluationManager,
        communication_manager: CommunicationManager,
        logger: Logger,
        *,
        clock: Clock = utc_now,
        context_messages: int = 20,
        time_policy: TimePolicy | None = None,
        tenant_id: str | None = None,
        turn_timeout: timedelta = timedelta(minutes=5),
        evaluate: EvaluateWhen = "now",
        max_turns: int | None = None,
    ) -> None:
        self._store = data_store
        self._interviewer = ai_interviewer
        self._evaluations = evaluation_manager
        self._channels = communication_manager
        self._base_log = logger
        self._log = self._base_log.bind(component="SessionManager")
        self._clock = clock
        self._context_messages = context_messages
        self._time_policy = time_policy or TimePolicy()
        self._tenant = None if tenant_id is None else parse_tenant_id(tenant_id)
        self._turn_timeout = turn_timeout
        self._evaluate = _parse_when(evaluate)
        self._max_turns = max_turns

    @property
    def tenant_id(self) -> str | None:
        """The tenant this manager is scoped to (None: all tenants)."""
        return self._tenant

    def for_tenant(self, tenant_id: str) -> SessionManager:
        """A manager that sees and creates only ``tenant_id``'s sessions (same collaborators).
        A manager already scoped to another tenant refuses."""
        tenant = parse_tenant_id(tenant_id)
        if self._tenant is not None and tenant != self._tenant:
            raise InvalidInputError(
                f"this manager is scoped to tenant {self._tenant!r}; it cannot act for {tenant!r}"
            )
        return SessionManager(
            self._store,
            self._interviewer,
            self._evaluations,
            self._channels,
            self._base_log,
            clock=self._clock,
            context_messages=self._context_messages,
            time_policy=self._time_policy,
            tenant_id=tenant,
            turn_timeout=self._turn_timeout,
            evaluate=self._evaluate,
            max_turns=self._max_turns,
        )

    # ------------------------------------------------------------------ lifecycle

    def create_session(
        self,
        config: SessionConfig,
        *,
        user_id: str | None = None,
        session_id: str | None = None,
        tenant_id: str | None = None,
    ) -> Session:
        """Store a new CREATED session in ``tenant_id`` (default: the manager's tenant, else
        ``"default"``). With ``session_id`` the call is idempotent: repeating it with the same
        config returns the stored session."""
        sid = parse_session_id(session_id) if session_id is not None else new_id()
        with self._operation("create_session", sid):
            if not isinstance(config, SessionConfig):
                raise InvalidInputError("config must be a SessionConfig")
            tenant = self._tenant_for_create(tenant_id)
            owner = self._owner(config, user_id)
            self._call_ai(
                "check the session config", lambda: self._interviewer.check_config(config)
            )
            now = self._clock()
            draft = Session(
                id=sid,
                tenant_id=tenant,
                user_id=owner or f"user-{uuid.uuid4().hex[:12]}",
                status=SessionStatus.CREATED,
                config=config,
                created_at=now,
                last_activity_at=now,
            )
            stored = self._store.add_session(draft)
            created = stored.created_at == draft.created_at and stored.config == config
            same_owner = stored.tenant_id == tenant and (not owner or stored.user_id == owner)
            if not created and (stored.config != config or not same_owner):
                raise InvalidInputError(
                    f"session id {sid!r} is already used by a session with a different "
                    "configuration or user; use a new idempotency key"
                )
            self._log.info(
                LogEvent.SESSION_CREATED if created else LogEvent.SESSION_CREATE_REPEATED,
                metadata={
                    "tenant_id": tenant,
                    "enabled_modes": [m.value for m in config.enabled_modes],
                    "ai_provider": config.ai_provider,
                    "template": config.template,
                    "duration_minutes": config.duration_minutes,
                    "has_resume": config.resume_data is not None,
                },
            )
            return stored

    def start_session(self, session_id: str) -> Session:
        """CREATED → ACTIVE: initialise the interviewer, open the channels, ask the opening
        question and store it (with its notes). On failure the session stays CREATED with its
        channels closed."""
        sid = parse_session_id(session_id)
        with self._operation("start_session", sid):
            session = self._load(sid)
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
                    interviewer_state=dict(opening.state), phase=opening.phase or session.phase
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
                    notes=opening.notes,
                    events=_phase_change(session.phase, opening.phase),
                )
            except BaseException:
                self._close_channels_unless_started(sid)
                raise
            self._log.info(
                LogEvent.SESSION_STARTED,
                metadata={"enabled_modes": [m.value for m in config.enabled_modes]},
            )
            return result.session

    def send_message(
        self,
        session_id: str,
        content: str,
        mode: CommunicationMode = CommunicationMode.TEXT,
        *,
        client_message_id: str | None = None,
    ) -> Message:
        """Store the candidate's message, then ask the interviewer and store its reply; returns
        the reply (``send_turn`` returns both). See ``send_turn``."""
        return self.send_turn(session_id, content, mode, client_message_id=client_message_id).reply

    def send_turn(
        self,
        session_id: str,
        content: str,
        mode: CommunicationMode = CommunicationMode.TEXT,
        *,
        client_message_id: str | None = None,
    ) -> Turn:
        """One exchange: store the candidate's message, ask the interviewer, store its reply.

        One turn at a time: while a previous message awaits its reply the call is refused with
        ``TurnInProgressError`` and nothing is stored. ``client_message_id`` makes the call
        idempotent: the same id returns the same turn (a different text under a used id is
        ``InvalidInputError``). If the interviewer fails, the candidate's message stays stored,
        the turn is released and ``ProviderError`` (with ``candidate_message_seq``) says so;
        ``retry_reply`` asks again.
        """
        sid = parse_session_id(session_id)
        with self._operation("send_message", sid):
            channel = parse_mode(mode)
            text = validate_message_content(content, channel)
            key = None if client_message_id is None else parse_client_message_id(client_message_id)
            if key is not None:
                loaded = self._overdue_guard(self._load(sid), Action.SEND.value)
                repeated = self._repeated_turn(loaded, key, text, channel)
                if repeated is not None:
                    return repeated
            now = self._clock()
            try:
                # The session is read and checked in the transaction that stores the message:
                # a turn is one transaction before the interviewer is asked, not two.
                started = self._store.begin_turn(
                    sid,
                    NewMessage(Role.CANDIDATE, channel, text, now, client_message_id=key),
                    expires_at=now + self._turn_timeout,
                    context_messages=self._context_messages,
                    admit=lambda current: self._admit_turn(current, channel, now),
                )
            except _DueFirst as due:
                self._overdue_guard(due.session, Action.SEND.value)
                raise  # not reached: the guard ends the overdue session and refuses
            except DataStoreError:
                if key is not None:  # a racing send with the same id stored it first
                    repeated = self._repeated_turn(self._load(sid), key, text, channel)
                    if repeated is not None:
                        return repeated
                raise
            fault_point("send_message.after_candidate_stored")
            session = started.session
            assert session is not None  # begin_turn returns the session it read
            turn = self._answer(session, started, channel)
            self._end_if_budget_spent(session)
            self._log.info(
                LogEvent.REPLY_STORED_LATE if turn.reply.late else LogEvent.MESSAGE_EXCHANGED,
                metadata={
                    "mode": channel.value,
                    "candidate_seq": turn.candidate.seq,
                    "reply_seq": turn.reply.seq,
                    "chars": len(text),
                    "idempotency_key": key is not None,
                },
            )
            return turn

    def retry_reply(self, session_id: str) -> Message:
        """Ask the interviewer again for the last message when it is the candidate's (the
        interviewer failed on it); store and return the reply. Refused when the last message is
        the interviewer's, while another turn is pending, or unless the session is ACTIVE."""
        sid = parse_session_id(session_id)
        with self._operation("retry_reply", sid):
            session = self._overdue_guard(self._load(sid), Action.RETRY_REPLY.value)
            lifecycle.require(sid, session.status, Action.RETRY_REPLY)
            now = self._clock()
            started = self._store.resume_turn(
                sid,
                now=now,
                expires_at=now + self._turn_timeout,
                context_messages=self._context_messages,
            )
            turn = self._answer(session, started, started.candidate.mode)
            self._log.info(
                LogEvent.REPLY_RETRIED,
                metadata={"candidate_seq": turn.candidate.seq, "reply_seq": turn.reply.seq},
            )
            return turn.reply

    def pause_session(self, session_id: str) -> Session:
        """ACTIVE → PAUSED; the clock stops counting against ``duration_minutes``."""
        return self._simple_transition("pause_session", session_id, Operation.PAUSE)

    def resume_session(self, session_id: str) -> Session:
        """PAUSED → ACTIVE."""
        return self._simple_transition("resume_session", session_id, Operation.RESUME)

    def end_session(
        self,
        session_id: str,
        *,
        reason: EndReason = EndReason.REQUESTED,
        evaluate: EvaluateWhen | None = None,
    ) -> EvaluationReport:
        """ACTIVE or PAUSED → COMPLETED (stored first, with a PENDING evaluation), close the
        channels, then evaluate: ``"now"`` generates the report before returning (if that fails
        the session stays COMPLETED, the failure is stored and ``EvaluationError`` raised);
        ``"background"`` returns the PENDING report at once, for a worker to generate.
        ``None``: the manager's default (``"now"`` unless configured)."""
        sid = parse_session_id(session_id)
        when = self._evaluate if evaluate is None else _parse_when(evaluate)
        reason = _parse_reason(reason)
        with self._operation("end_session", sid):
            session = self._load(sid)
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
            report = self._evaluation_after_end(sid, when)
            self._log.info(
                LogEvent.SESSION_ENDED,
                metadata={
                    "end_reason": reason.value,
                    "active_seconds": round(result.session.active_seconds, 3),
                    "messages": result.session.message_count,
                    "evaluate": when,
                    "evaluation": report.status.value,
                    "overall_score": report.overall_score,
                },
            )
            return report

    def retry_evaluation(self, session_id: str, *, force: bool = False) -> EvaluationReport:
        """Regenerate a failed, pending or missing evaluation of a COMPLETED session; a finished
        one is returned as it is unless ``force``."""
        sid = parse_session_id(session_id)
        if not isinstance(force, bool):
            raise InvalidInputError(f"force must be True or False, got {_preview(force)}")
        with self._operation("retry_evaluation", sid):
            session = self._load(sid)
            lifecycle.require(sid, session.status, Action.EVALUATE)
            existing = self._store.get_evaluation(sid)
            if existing is not None and existing.status in FINISHED_EVALUATION and not force:
                self._log.info(
                    LogEvent.EVALUATION_KEPT,
                    metadata={"evaluation": existing.status.value},
                )
                return existing
            report = self._generate(sid, force=force)
            self._log.info(
                LogEvent.EVALUATION_FAILED
                if report.status is EvaluationStatus.FAILED
                else LogEvent.EVALUATION_READY,
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
            session = self._load(sid)
            action = lifecycle.due_action(session, self._clock(), self._time_policy)
            if action is not None:
                self._apply_due(session, action)
            return action

    # ------------------------------------------------------------------ reads

    def get_session(self, session_id: str) -> Session:
        sid = parse_session_id(session_id)
        with self._operation("get_session", sid, quiet=True):
            return self._load(sid)

    def get_transcript(
        self, session_id: str, after_seq: int | None = None, limit: int | None = None
    ) -> list[Message]:
        """The messages in order; with ``after_seq`` only those after it (what is new to a
        reader that has seen up to ``after_seq``), at most ``limit``."""
        sid = parse_session_id(session_id)
        with self._operation("get_transcript", sid, quiet=True):
            after = None if after_seq is None else parse_cursor(after_seq, "after_seq")
            if limit is not None:
                limit, _ = validate_page(limit, 0)
            self._check_tenant(sid)
            return self._store.get_transcript(sid, after_seq=after, limit=limit)

    def get_evaluation(self, session_id: str) -> EvaluationReport | None:
        sid = parse_session_id(session_id)
        with self._operation("get_evaluation", sid, quiet=True):
            self._check_tenant(sid)
            return self._store.get_evaluation(sid)  # SessionNotFoundError for an unknown id

    def events(
        self, session_id: str, after: int | None = None, limit: int = 100
    ) -> list[SessionEvent]:
        """The session's events after the cursor ``after`` (from the start if None), in order,
        at most ``limit`` (1-1,000). Pass the last event's ``id`` to continue."""
        sid = parse_session_id(session_id)
        with self._operation("events", sid, quiet=True):
            cursor = 0 if after is None else parse_cursor(after)
            if (
                isinstance(limit, bool)
                or not isinstance(limit, int)
                or not 1 <= limit <= MAX_EVENT_PAGE
            ):
                raise InvalidInputError(f"limit must be between 1 and {MAX_EVENT_PAGE}")
            self._check_tenant(sid)
            return self._store.events(sid, after=cursor, limit=limit)

    def subscribe(
        self,
        handler: EventHandler,
        *,
        session_id: str | None = None,
        after: int | None = None,
        poll_interval: float = 1.0,
    ) -> Subscription:
        """Deliver events to ``handler`` on a thread of the subscription's own: one session's
        from the cursor ``after`` (replayed first, then live), or with no ``session_id`` every
        session's of this manager's tenant from now on. Live across processes on PostgreSQL;
        ``close()`` the subscription (or use it as a context manager) to stop."""
        sid = None if session_id is None else parse_session_id(session_id)
        with self._operation("subscribe", sid, quiet=True):
            if not callable(handler):
                raise InvalidInputError("handler must be callable with a SessionEvent")
            cursor = 0 if after is None else parse_cursor(after)
            if (
                isinstance(poll_interval, bool)
                or not isinstance(poll_interval, int | float)
                or not 0 < poll_interval <= _MAX_POLL_SECONDS
            ):
                raise InvalidInputError(
                    f"poll_interval must be a number of seconds above 0 and at most "
                    f"{_MAX_POLL_SECONDS}, got {_preview(poll_interval)}"
                )
            if sid is not None:
                self._load(sid)  # an unknown (or another tenant's) session is not found
            elif after is not None:
                raise InvalidInputError("after applies to one session: pass session_id too")
            return Subscription(
                self._store,
                self._channels,
                handler,
                session_id=sid,
                after=cursor,
                tenant_id=self._tenant,
                poll_interval=poll_interval,
                logger=self._log,
            )

    def get_active_session(
        self, user_id: str | None = None, *, tenant_id: str | None = None
    ) -> Session | None:
        with self._operation("get_active_session", None, quiet=True):
            owner = parse_user_id(user_id) if user_id is not None else None
            return self._store.find_active_session(owner, self._tenant_filter(tenant_id))

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
        tenant_id: str | None = None,
    ) -> list[Session]:
        """Sessions most recent first, optionally of one tenant, user and status, created in
        [since, until), scored at least ``min_score``; ``after`` (the id of the last session
        of the previous page) pages by keyset, which stays fast on any history."""
        with self._operation("list_sessions", None, quiet=True):
            owner = parse_user_id(user_id) if user_id is not None else None
            wanted = parse_status(status) if status is not None else None
            page, skip = validate_page(limit, offset)
            tenant = self._tenant_filter(tenant_id)
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
                tenant_id=tenant,
            )

    def session_stats(
        self, *, since: datetime | None = None, days: int = 30, tenant_id: str | None = None
    ) -> SessionStats:
        """Counts by status, sessions per day (since ``since``, default the last ``days``
        days), averages and the score histogram, of the manager's tenant (or ``tenant_id``)."""
        with self._operation("session_stats", None, quiet=True):
            if since is None:
                if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
                    raise InvalidInputError("days must be a whole number between 1 and 3660")
                since = self._clock() - timedelta(days=days)
            elif not isinstance(since, datetime) or since.utcoffset() is None:
                raise InvalidInputError("since must be a timezone-aware datetime")
            return self._store.session_stats(since=since, tenant_id=self._tenant_filter(tenant_id))

    # ------------------------------------------------------------------ internals

    def _load(self, session_id: str) -> Session:
        """The session, if this manager may see it (another tenant's is "not found")."""
        session = self._store.get_session(session_id)
        if self._tenant is not None and session.tenant_id != self._tenant:
            raise SessionNotFoundError(session_id)
        return session

    def _check_tenant(self, session_id: str) -> None:
        """For reads that go straight to the store: a scoped manager loads the session first."""
        if self._tenant is not None:
            self._load(session_id)

    def _tenant_filter(self, tenant_id: str | None) -> str | None:
        """The tenant a listing is restricted to: the manager's own, or the one asked for."""
        asked = None if tenant_id is None else parse_tenant_id(tenant_id)
        if self._tenant is None:
            return asked
        if asked is not None and asked != self._tenant:
            raise InvalidInputError(
                f"this manager is scoped to tenant {self._tenant!r}; it cannot read {asked!r}"
            )
        return self._tenant

    def _tenant_for_create(self, tenant_id: str | None) -> str:
        return self._tenant_filter(tenant_id) or DEFAULT_TENANT

    def _admit_turn(self, session: Session, channel: CommunicationMode, now: datetime) -> None:
        """The rules a candidate's message must pass, on the session as the turn's transaction
        read it; raising refuses the turn with nothing stored."""
        if self._tenant is not None and session.tenant_id != self._tenant:
            raise SessionNotFoundError(session.id)
        action = lifecycle.due_action(session, now, self._time_policy)
        if action is not None and action.operation is Operation.END:
            raise _DueFirst(session)
        lifecycle.require(session.id, session.status, Action.SEND)
        self._require_channel(session, channel)

    def _repeated_turn(
        self, session: Session, key: str, text: str, channel: CommunicationMode
    ) -> Turn | None:
        """The turn a reused client message id names (None: the id is new). The same text
        gets the same turn; a turn whose reply failed is answered now if its message is still
        the last one."""
        existing = self._store.find_turn(session.id, key)
        if existing is None:
            return None
        candidate = existing.candidate
        if candidate.content != text or candidate.mode is not channel:
            raise InvalidInputError(
                f"client_message_id {key!r} was already used for message #{candidate.seq} of "
                "this session with different content; use a new id for a new message"
            )
        if existing.reply is not None:
            self._log.info(
                LogEvent.MESSAGE_REPEATED,
                metadata={"candidate_seq": candidate.seq, "reply_seq": existing.reply.seq},
            )
            return Turn(candidate, existing.reply)
        lifecycle.require(session.id, session.status, Action.SEND)
        now = self._clock()
        started = self._store.resume_turn(
            session.id,
            now=now,
            expires_at=now + self._turn_timeout,
            context_messages=self._context_messages,
            candidate_seq=candidate.seq,
        )
        return self._answer(session, started, channel)

    def _answer(self, session: Session, started: TurnStart, channel: CommunicationMode) -> Turn:
        """Ask the interviewer for the reply to a claimed turn and store it; on failure release
        the turn and say that the candidate's message is kept."""
        sid, candidate = session.id, started.candidate
        unanswered = (
            f"the candidate's message #{candidate.seq} is stored and nothing was lost, "
            "but the interviewer's reply was not: retry_reply asks again"
        )
        try:
            reply: InterviewerReply = self._call_ai(
                "reply",
                lambda: self._interviewer.reply(
                    InterviewContext(session, started.recent, self._clock())
                ),
            )
            fault_point("send_message.after_reply_generated")
            answer = self._store.finish_turn(
                sid,
                candidate.seq,
                NewMessage(
                    Role.INTERVIEWER,
                    self._reply_mode(session.config, channel),
                    reply.content,
                    self._clock(),
                    reply_to=candidate.seq,
                ),
                interviewer_state=reply.state,
                notes=reply.notes,
                phase=reply.phase if reply.phase != session.phase else None,
                events=_phase_change(session.phase, reply.phase),
            )
        except ProviderError as exc:
            self._release(sid, candidate.seq)
            raise ProviderError(
                f"the AI interviewer could not reply ({_public_reason(exc)}); the candidate's "
                f"message #{candidate.seq} is stored and nothing was lost: retry_reply asks "
                "again, or send the next message",
                retryable=exc.retryable,
                candidate_message_seq=candidate.seq,
            ) from exc
        except DataStoreError as exc:
            self._release(sid, candidate.seq)
            raise DataStoreError(f"{exc}; {unanswered}") from exc
        except InvalidStateTransitionError as exc:
            raise InvalidStateTransitionError(
                sid, exc.status, "store the reply of", f"{_detail_of(exc)}; {unanswered}"
            ) from exc
        except BaseException:
            self._release(sid, candidate.seq)
            raise
        fault_point("send_message.after_reply_stored")
        return Turn(candidate, answer)

    def _end_if_budget_spent(self, session: Session) -> None:
        """The turn just answered was the session's last allowed one: end the interview (its
        reply stays the last word) and evaluate it as an ending would."""
        budget = session.config.max_turns or self._max_turns
        if budget is None or session.turn_count + 1 < budget:
            return
        current = self._store.get_session(session.id)
        if current.status not in (SessionStatus.ACTIVE, SessionStatus.PAUSED):
            return
        after = lifecycle.apply(
            current, Operation.END, self._clock(), end_reason=EndReason.TURN_LIMIT
        )
        try:
            self._store.save_transition(
                current, after, operation=Operation.END, reason=EndReason.TURN_LIMIT.value
            )
        except InvalidStateTransitionError:
            return  # ended meanwhile by someone else: nothing left to do
        self._channels.disable_all_modes(session.id)
        self._log.info(
            LogEvent.SESSION_ENDED,
            metadata={"end_reason": EndReason.TURN_LIMIT.value, "max_turns": budget},
        )
        if self._evaluate == "now":
            try:
                self._generate(session.id, force=False)
            except EvaluationError:
                self._log.error(
                    LogEvent.EVALUATION_FAILED,
                    metadata={"end_reason": EndReason.TURN_LIMIT.value},
                    exc_info=True,
                )

    def _release(self, session_id: str, candidate_seq: int) -> None:
        """Give the turn back so the candidate can go on; if even that fails, the turn expires
        by itself."""
        try:
            self._store.release_turn(session_id, candidate_seq)
        except InterviewPlatformError:
            self._log.warning(
                LogEvent.TURN_RELEASE_FAILED,
                metadata={"candidate_seq": candidate_seq},
                exc_info=True,
            )

    def _evaluation_after_end(self, session_id: str, when: EvaluateWhen) -> EvaluationReport:
        if when == "now":
            return self._generate(session_id, force=False)
        report = self._store.get_evaluation(session_id)
        if report is None:  # cannot happen: the ending stored it; say so plainly if it does
            raise EvaluationError(f"session {session_id!r} ended but has no pending evaluation")
        return report

    def _simple_transition(self, operation: str, session_id: str, op: Operation) -> Session:
        sid = parse_session_id(session_id)
        with self._operation(operation, sid):
            session = self._overdue_guard(self._load(sid), op.value)
            after = lifecycle.apply(session, op, self._clock())
            result = self._store.save_transition(session, after, operation=op, reason=None)
            self._log.info(
                _TRANSITION_EVENTS[op],
                metadata={"active_seconds": round(result.session.active_seconds, 3)},
            )
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
        self._log.info(
            _TRANSITION_EVENTS[action.operation],
            metadata={
                "by": "time_rules",
                "reason": action.reason,
                "end_reason": None if action.end_reason is None else action.end_reason.value,
                "active_seconds": round(after.active_seconds, 3),
            },
        )
        if action.operation is Operation.END:
            self._channels.disable_all_modes(session.id)
            if self._evaluate == "now":
                try:
                    self._generate(session.id, force=False)
                except EvaluationError:
                    # The ending stands; the failed evaluation is stored and retriable.
                    self._log.error(
                        LogEvent.EVALUATION_FAILED,
                        metadata={"by": "time_rules", "reason": action.reason},
                        exc_info=True,
                    )
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
        """A candidate has at most one ACTIVE session per tenant (the database enforces it
        too; asking first spares the AI calls of a start that could not be stored)."""
        active = self._store.find_active_session(session.user_id, session.tenant_id)
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
        """Input only in a mode the session's config enables. Channels of a session started in
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

    @contextmanager
    def _operation(
        self, operation: str, session_id: str | None, *, quiet: bool = False
    ) -> Iterator[None]:
        """Bind the operation and session to every log line inside; log a refusal as a warning
        and a failure with its stack (``log_failure``); let no foreign exception escape."""
        with structlog.contextvars.bound_contextvars(operation=operation, session_id=session_id):
            try:
                yield
            except InterviewPlatformError as exc:
                log_failure(self._log, exc)
                raise
            except Exception as exc:
                log_failure(self._log, exc)
                raise InterviewPlatformError(
                    f"{operation} failed unexpectedly ({type(exc).__name__}); nothing was "
                    "reported as done, see the log for details"
                ) from exc
            if quiet:
                self._log.info(LogEvent.OPERATION_DONE)


class _DueFirst(InterviewPlatformError):
    """Raised inside a turn's transaction for a session past its time limit: the turn is
    refused (nothing stored) so that the session is ended first, outside it."""

    def __init__(self, session: Session) -> None:
        super().__init__(f"session {session.id!r} is overdue")
        self.session = session


#: The line a status change logs, by the operation that made it.
_TRANSITION_EVENTS: Final = {
    Operation.START: LogEvent.SESSION_STARTED,
    Operation.PAUSE: LogEvent.SESSION_PAUSED,
    Operation.RESUME: LogEvent.SESSION_RESUMED,
    Operation.END: LogEvent.SESSION_ENDED,
}


def _parse_when(value: object) -> EvaluateWhen:
    for when in _EVALUATE_WHEN:
        if isinstance(value, str) and value == when:
            return when
    raise InvalidInputError(f"evaluate must be 'now' or 'background', got {_preview(value)}")


def _parse_reason(value: object) -> EndReason:
    """Why a caller ends a session: an ``EndReason`` or its value."""
    if isinstance(value, EndReason):
        return value
    if isinstance(value, str):
        for reason in EndReason:
            if value == reason.value:
                return reason
    known = ", ".join(r.value for r in EndReason)
    raise InvalidInputError(f"unknown end reason {_preview(value)}; expected one of: {known}")


def _phase_change(before: str | None, after: str | None) -> list[NewEvent]:
    """A ``phase.changed`` event when the interviewer reports a phase other than the last."""
    if after is None or after == before:
        return []
    return [NewEvent(EventType.PHASE_CHANGED, {"phase": after, "previous_phase": before})]


def _public_reason(exc: ProviderError) -> str:
    """Why a turn failed, in words fit for a candidate's screen (no URL, no host)."""
    if exc.retryable:
        return "the AI provider did not answer in time or was unavailable"
    return "the AI provider refused the request: the interviewer's configuration needs attention"


def _detail_of(exc: InvalidStateTransitionError) -> str:
    text = str(exc)
    return text[text.find("(") + 1 : -1] if text.endswith(")") and "(" in text else text


__all__ = ["SessionManager"]

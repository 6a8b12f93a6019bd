"""The interfaces SessionManager talks to. Adapters implement them; the container wires them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, Protocol

from .access import ApiKey, SessionLink
from .interview_template import InterviewTemplate
from .lifecycle import Operation
from .models import (
    CommunicationMode,
    DimensionScore,
    EvaluationReport,
    EvaluationStatus,
    EventType,
    InterviewerNote,
    Message,
    NewEvent,
    NewMessage,
    Session,
    SessionConfig,
    SessionEvent,
    SessionStats,
    SessionStatus,
    TransitionRecord,
)

# --------------------------------------------------------------------------- data store


@dataclass(frozen=True)
class TransitionResult:
    """A stored status change: the session as it now is and the messages stored with it."""

    session: Session
    messages: tuple[Message, ...] = ()
    events: tuple[SessionEvent, ...] = ()


@dataclass(frozen=True)
class TurnStart:
    """A turn claimed: the candidate's stored message and the recent messages (ending with
    it) that the interviewer sees, read in the same transaction — and, from ``begin_turn``,
    the session as that transaction read it before the claim."""

    candidate: Message
    recent: tuple[Message, ...]
    session: Session | None = None


@dataclass(frozen=True)
class ExistingTurn:
    """What a client message id already names: the candidate's message and, once stored, the
    interviewer's reply to it."""

    candidate: Message
    reply: Message | None


@dataclass(frozen=True)
class EvaluationOutcome:
    """What an evaluation run produced, to be stored as READY or NO_EVIDENCE."""

    status: EvaluationStatus
    overall_score: float | None
    coverage: float
    dimension_scores: Mapping[str, DimensionScore]
    strengths: tuple[str, ...]
    improvements: tuple[str, ...]
    summary: str
    provider: str
    model: str | None
    template: str
    rubric_version: str
    provenance: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationLease:
    """The runner holding a RUNNING evaluation (``worker`` of its claim) and when its lease
    ends, after which another runner may take the evaluation over."""

    claimed_by: str | None
    expires_at: datetime | None


class DataStore(Protocol):
    """Durable storage of sessions, transcripts, transitions and evaluations.

    Every method is one transaction; nothing is held open between calls. Status changes are
    compare-and-set on ``Session.version``: a stale ``before`` raises
    ``InvalidStateTransitionError`` and changes nothing.
    """

    def add_session(self, session: Session) -> Session:
        """Insert ``session``; if its id is already taken, return the stored one unchanged."""
        ...

    def get_session(self, session_id: str) -> Session:
        """The session, or ``SessionNotFoundError``."""
        ...

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
        """Sessions newest first (by creation time, then id), of ``tenant_id`` if given,
        created in [since, until), with an overall score of at least ``min_score``; ``after``
        is a keyset cursor: the id of the last session of the previous page
        (``InvalidInputError`` if it names none)."""
        ...

    def find_active_session(
        self, user_id: str | None, tenant_id: str | None = None
    ) -> Session | None:
        """The most recently started ACTIVE session (of ``user_id`` and ``tenant_id`` if
        given)."""
        ...

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
        """Store ``after`` if the stored session is still ``before`` (same version), with an audit
        row, the given messages (numbered next in the transcript; ``notes`` go with the first),
        the events of the change (its own, the messages', then ``events``) and, on reaching
        COMPLETED, a PENDING evaluation. Otherwise raise ``InvalidStateTransitionError`` naming
        the status the session is in now."""
        ...

    def append_message(
        self,
        session_id: str,
        message: NewMessage,
        *,
        interviewer_state: Mapping[str, Any] | None = None,
        allow_late: bool = False,
        notes: Sequence[str] = (),
    ) -> Message:
        """Store ``message`` as the next of the transcript, only while the session is ACTIVE.

        With ``allow_late`` a message for a session that has left ACTIVE is still stored,
        marked ``late``. ``interviewer_state``, if given, replaces the stored one atomically;
        ``notes`` (the interviewer's private notes on this message) are stored in the same
        transaction.
        """
        ...

    def begin_turn(
        self,
        session_id: str,
        message: NewMessage,
        *,
        expires_at: datetime,
        context_messages: int,
        admit: Callable[[Session], None] | None = None,
    ) -> TurnStart:
        """Store the candidate's ``message`` and claim the session's turn until ``expires_at``,
        only while the session is ACTIVE and no unexpired turn is pending
        (``TurnInProgressError`` otherwise); return it with the ``context_messages`` most
        recent messages and the session. ``admit`` is shown the session first, in the same
        transaction: whatever it raises refuses the turn with nothing stored (the caller's
        rules, checked without a transaction of their own)."""
        ...

    def resume_turn(
        self,
        session_id: str,
        *,
        now: datetime,
        expires_at: datetime,
        context_messages: int,
        candidate_seq: int | None = None,
    ) -> TurnStart:
        """Claim the turn again for the last message, which must be an unanswered candidate
        message (``candidate_seq`` if given); refused while another turn is pending."""
        ...

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
        """Store the interviewer's reply to ``candidate_seq`` with its state, notes, phase and
        ``events``, and release the turn, if the turn is still that message's (else
        ``InvalidStateTransitionError``). Marked ``late`` if the session has left ACTIVE."""
        ...

    def release_turn(self, session_id: str, candidate_seq: int) -> None:
        """Give up the turn of ``candidate_seq`` (the interviewer failed); its message stays."""
        ...

    def find_turn(self, session_id: str, client_message_id: str) -> ExistingTurn | None:
        """The turn a client message id names, if any."""
        ...

    def events(self, session_id: str, after: int = 0, limit: int = 100) -> list[SessionEvent]:
        """The session's events with a cursor above ``after``, in order, at most ``limit``;
        ``SessionNotFoundError`` for an unknown session."""
        ...

    def read_for_evaluation(
        self, session_id: str
    ) -> tuple[Session, list[Message], list[InterviewerNote]]:
        """The session, its transcript and the interviewer's notes, read as one consistent
        snapshot (what an evaluation needs)."""
        ...

    def get_notes(self, session_id: str) -> list[InterviewerNote]:
        """The interviewer's private notes in the order they were written (never part of the
        transcript); ``SessionNotFoundError`` for an unknown session."""
        ...

    def get_transcript(
        self, session_id: str, after_seq: int | None = None, limit: int | None = None
    ) -> list[Message]:
        """The messages after ``after_seq`` (all if None) in sequence order, at most ``limit``;
        ``SessionNotFoundError`` for an unknown session."""
        ...

    def recent_messages(self, session_id: str, limit: int) -> list[Message]:
        """The last ``limit`` messages, in sequence order (an index range, not a scan)."""
        ...

    def list_transitions(self, session_id: str) -> list[TransitionRecord]: ...

    def get_evaluation(self, session_id: str) -> EvaluationReport | None: ...

    def evaluation_lease(self, session_id: str) -> EvaluationLease | None:
        """Who holds the session's RUNNING evaluation and until when; None if none runs."""
        ...

    def claim_evaluation(
        self,
        session_id: str,
        *,
        force: bool,
        now: datetime,
        lease: timedelta,
        worker: str | None = None,
    ) -> EvaluationReport | None:
        """Mark the evaluation RUNNING (attempts + 1, held for ``lease``) and return it, if it
        may be claimed (``lifecycle.evaluation_claim``): PENDING, FAILED, missing, RUNNING with
        an expired lease (its runner died), or READY / NO_EVIDENCE with ``force``. Return None
        otherwise (another runner holds it, or it is done and not forced). Only a COMPLETED
        session has an evaluation."""
        ...

    def claim_next_evaluation(
        self, *, now: datetime, lease: timedelta, worker: str
    ) -> EvaluationReport | None:
        """Claim the oldest evaluation a worker may pick up (PENDING, or RUNNING with an
        expired lease), or return None; concurrent workers never claim the same one."""
        ...

    def renew_evaluation(self, session_id: str, *, attempt: int, until: datetime) -> bool:
        """Extend the lease of ``attempt``; False if it no longer holds the evaluation."""
        ...

    def release_evaluation(self, session_id: str, *, attempt: int, now: datetime) -> bool:
        """Give the evaluation held by ``attempt`` back as PENDING (a worker shutting down)."""
        ...

    def finish_evaluation(
        self, session_id: str, outcome: EvaluationOutcome, *, attempt: int, now: datetime
    ) -> EvaluationReport:
        """Store the outcome (and the session's overall score) if attempt ``attempt`` still
        holds the evaluation; otherwise raise ``EvaluationError``."""
        ...

    def fail_evaluation(
        self, session_id: str, *, error: str, attempt: int, now: datetime
    ) -> EvaluationReport:
        """Record attempt ``attempt`` as FAILED with the reason (retriable)."""
        ...

    def sessions_to_sweep(
        self, *, abandoned_before: datetime, after_id: str | None, limit: int
    ) -> list[Session]:
        """A page, by id, of every ACTIVE session and of the PAUSED ones idle since before
        ``abandoned_before``: the sessions the time rules may concern."""
        ...

    def evaluations_to_resume(
        self, *, pending_before: datetime, now: datetime, limit: int
    ) -> list[str]:
        """Session ids whose evaluation was left PENDING since before ``pending_before``, or
        RUNNING with an expired lease (its runner died)."""
        ...

    def failed_evaluations(self, *, limit: int) -> list[str]:
        """Session ids whose evaluation FAILED, oldest first."""
        ...

    def session_stats(self, *, since: datetime, tenant_id: str | None = None) -> SessionStats:
        """Counts by status, sessions per day since ``since``, averages, score histogram (of
        one tenant if given)."""
        ...


# --------------------------------------------------------------------------- access


class AccessStore(Protocol):
    """API keys and session links, kept as hashes of their tokens."""

    def add_key(self, key: ApiKey, token_hash: str) -> ApiKey: ...

    def list_keys(self, tenant_id: str | None = None) -> list[ApiKey]: ...

    def revoke_key(self, key_id: str, *, now: datetime, tenant_id: str | None = None) -> ApiKey:
        """Revoke (idempotent); ``InvalidInputError`` if there is no such key."""
        ...

    def key_by_token_hash(self, token_hash: str) -> ApiKey | None: ...

    def touch_key(self, key_id: str, *, now: datetime) -> None: ...

    def add_link(self, link: SessionLink, token_hash: str) -> SessionLink:
        """Store a link; ``SessionNotFoundError`` if its session does not exist."""
        ...

    def link_by_token_hash(self, token_hash: str) -> SessionLink | None: ...

    def get_link(self, link_id: str) -> SessionLink | None: ...

    def revoke_link(self, link_id: str, *, now: datetime) -> SessionLink | None: ...


class RateLimitStore(Protocol):
    """Counters of requests per bucket per fixed window, shared by every process."""

    def hit(self, bucket: str, *, window_start: datetime) -> int: ...

    def forget_windows_before(self, before: datetime) -> int: ...


# --------------------------------------------------------------------------- AI interviewer


@dataclass(frozen=True)
class InterviewContext:
    """What an interviewer sees for one turn: bounded, whatever the transcript's length."""

    session: Session
    recent_messages: tuple[Message, ...]
    now: datetime

    @property
    def state(self) -> Mapping[str, Any]:
        return self.session.interviewer_state

    @property
    def elapsed_fraction(self) -> float:
        total = self.session.config.duration.total_seconds()
        return min(self.session.active_seconds_at(self.now) / total, 1.0) if total else 1.0


@dataclass(frozen=True)
class InterviewerReply:
    """The interviewer's next message and its updated private state (stored with the session)."""

    content: str
    state: Mapping[str, Any]
    notes: tuple[str, ...] = ()
    #: The interview phase the interviewer is in after this message (e.g. "deep_dive"),
    #: None if it does not track phases.
    phase: str | None = None


class AIInterviewer(Protocol):
    """Asks the opening question and the follow-ups. Stateless: its state lives in the session."""

    def check_config(self, config: SessionConfig) -> None:
        """Raise ``InvalidInputError`` if this interviewer cannot run ``config`` (unknown
        provider or template, provider not configured)."""
        ...

    def initialize(
        self, session_id: str, resume_data: Mapping[str, Any] | None, *, config: SessionConfig
    ) -> Mapping[str, Any]:
        """Prepare an interview; return the initial interviewer state."""
        ...

    def opening_question(self, context: InterviewContext) -> InterviewerReply: ...

    def reply(self, context: InterviewContext) -> InterviewerReply:
        """Answer the candidate's latest message (the last of ``context.recent_messages``)."""
        ...


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class EvaluationRequest:
    session: Session
    transcript: tuple[Message, ...]
    template: InterviewTemplate
    #: The interviewer's private notes: context for the evaluator, never evidence.
    notes: tuple[InterviewerNote, ...] = ()


@dataclass(frozen=True)
class EvaluationDraft:
    """An evaluator's judgement before the overall score is computed (in code, from weights)."""

    dimension_scores: Mapping[str, DimensionScore]
    strengths: tuple[str, ...]
    improvements: tuple[str, ...]
    summary: str
    model: str | None
    provenance: Mapping[str, Any] = field(default_factory=dict)


class Evaluator(Protocol):
    """Scores one transcript against a rubric (one implementation per AI provider)."""

    def evaluate(self, request: EvaluationRequest) -> EvaluationDraft: ...


class EvaluationManager(Protocol):
    """Turns a finished transcript into a stored ``EvaluationReport``."""

    def generate_evaluation(self, session_id: str, *, force: bool = False) -> EvaluationReport:
        """Generate (or, if already done and not forced, return) the session's evaluation.
        Raise ``EvaluationError`` when it fails; the failure is stored and retriable."""
        ...


class TemplateCatalog(Protocol):
    def get(self, name: str, language: str = "en") -> InterviewTemplate:
        """The template in ``language``, or ``InvalidInputError`` naming the templates that
        exist (or the languages this one has)."""
        ...

    def names(self) -> list[str]: ...

    def languages(self, name: str) -> list[str]:
        """The languages template ``name`` has a version in (``InvalidInputError`` if unknown)."""
        ...


def template_in_language(catalog: TemplateCatalog, name: str, language: str) -> InterviewTemplate:
    """The template's version in ``language`` if it has one, else its English (or first)
    version: what a provider that speaks any language, or an evaluator, works from."""
    available = catalog.languages(name)
    if language in available:
        return catalog.get(name, language)
    return catalog.get(name, "en" if "en" in available else available[0])


# --------------------------------------------------------------------------- chat model

ChatRole = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: ChatRole
    content: str


@dataclass(frozen=True)
class ResponseSchema:
    """A JSON Schema the answer must follow (structured output), named for the provider."""

    name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion. ``model`` None: the adapter's configured default."""

    messages: tuple[ChatMessage, ...]
    model: str | None = None
    temperature: float = 0.0
    max_tokens: int | None = None
    response_schema: ResponseSchema | None = None


@dataclass(frozen=True)
class TokenUsage:
    """Tokens a request cost; ``estimated`` when the provider reported none and we counted."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.estimated or other.estimated,
        )


@dataclass(frozen=True)
class ChatResponse:
    """The answer: its text, the model that served it, why it stopped, what it cost."""

    content: str
    model: str
    requested_model: str
    finish_reason: str | None
    usage: TokenUsage
    latency_seconds: float


class ChatModel(Protocol):
    """A chat-completion model (OpenAI or any compatible server). Transport faults are retried
    inside; what is left surfaces as ``ProviderError`` (``ProviderResponseError`` when the
    server answered with something that is not a chat completion)."""

    def check_configured(self) -> None:
        """Raise ``InvalidInputError`` if the model cannot be used (no API key, say)."""
        ...

    def complete(self, request: ChatRequest) -> ChatResponse: ...


# --------------------------------------------------------------------------- communication

#: Called with ``(session_id, first, last)`` when events ``first..last`` were added to a
#: session's log (in this process or another).
WakeHandler = Callable[[str, int, int], None]


class CommunicationManager(Protocol):
    """The channels (text, whiteboard, audio) open per session, and who hears what happens.

    Events themselves are rows of the session's log (``DataStore.events``); this port only
    wakes the readers: ``notify`` after a commit in this process, and ``listen`` for commits
    in any process that the adapter can hear (PostgreSQL ``LISTEN``; in-process on SQLite).
    """

    def enable_mode(self, session_id: str, mode: CommunicationMode) -> None: ...

    def disable_all_modes(self, session_id: str) -> None: ...

    def enabled_modes(self, session_id: str) -> frozenset[CommunicationMode]: ...

    def notify(self, session_id: str, first: int, last: int) -> None:
        """Events ``first..last`` of the session were committed (the store calls this after
        the commit). Never blocks on a listener."""
        ...

    def listen(self, handler: WakeHandler) -> Callable[[], None]:
        """Call ``handler`` (on a thread of the adapter's, never the notifier's) whenever a
        session's log grows; the returned callable stops it."""
        ...


# --------------------------------------------------------------------------- archive


@dataclass(frozen=True)
class SessionFilter:
    """The sessions an export reads: the one ``session_id`` names, or every session matching
    all the given criteria, created in ``[since, until)``."""

    session_id: str | None = None
    user_id: str | None = None
    status: SessionStatus | None = None
    since: datetime | None = None
    until: datetime | None = None
    tenant_id: str | None = None


@dataclass(frozen=True)
class ArchivedSession:
    """A session with everything attached to it: the unit of export, import and deletion."""

    session: Session
    messages: tuple[Message, ...] = ()
    transitions: tuple[TransitionRecord, ...] = ()
    evaluation: EvaluationReport | None = None
    notes: tuple[InterviewerNote, ...] = ()
    events: tuple[SessionEvent, ...] = ()


class ImportOutcome(StrEnum):
    IMPORTED = "imported"
    #: The id is taken; ``ImportResult.stored`` is what the store holds under it.
    EXISTS = "exists"
    #: The session is ACTIVE and its user has another ACTIVE session in the same tenant.
    USER_HAS_ACTIVE = "user_has_active"


@dataclass(frozen=True)
class ImportResult:
    outcome: ImportOutcome
    stored: ArchivedSession | None = None
    active_session_id: str | None = None


@dataclass(frozen=True)
class Deletion:
    """Which sessions a retention run or an erasure removes: those in ``statuses``, of
    ``tenant_id`` and ``user_id`` if given, created before ``created_before`` if given."""

    statuses: frozenset[SessionStatus]
    user_id: str | None = None
    created_before: datetime | None = None
    tenant_id: str | None = None


@dataclass(frozen=True)
class DeletionCounts:
    sessions: int = 0
    messages: int = 0
    transitions: int = 0
    evaluations: int = 0
    notes: int = 0
    events: int = 0


class SessionArchive(Protocol):
    """Whole sessions out and in (export, import) and their deletion (retention, erasure).

    Every method is one transaction; the services loop over pages and batches.
    """

    def count_sessions(self, selection: SessionFilter) -> int: ...

    def read_page(
        self, selection: SessionFilter, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[ArchivedSession]:
        """Up to ``limit`` matching sessions, oldest first by ``(created_at, id)`` and strictly
        after ``after`` (the last of the previous page), each read as one consistent whole."""
        ...

    def import_session(self, archived: ArchivedSession, *, dry_run: bool) -> ImportResult:
        """Store the session and everything attached exactly as given (ids, sequence numbers,
        versions, timestamps), unless its id is taken or its user has another ACTIVE session;
        with ``dry_run`` only say which it would be."""
        ...

    def count_deletable(self, deletion: Deletion) -> DeletionCounts: ...

    def delete_batch(self, deletion: Deletion, *, limit: int) -> DeletionCounts:
        """Delete up to ``limit`` matching sessions (oldest first) with everything attached;
        what went (no sessions: none were left)."""
        ...


# --------------------------------------------------------------------------- webhooks


class DeliveryStatus(StrEnum):
    """A delivery is PENDING until an attempt succeeds (DELIVERED) or its time runs out
    (FAILED)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Webhook:
    """An endpoint of a tenant that hears the event types it names (none named: all)."""

    id: str
    tenant_id: str
    url: str
    event_types: tuple[EventType, ...]
    #: ``whsec_<base64>`` (Standard Webhooks): read back to sign, so stored (encrypted at rest
    #: when keys are configured), shown to the tenant once.
    secret: str
    created_at: datetime
    disabled_at: datetime | None = None

    def hears(self, event_type: EventType) -> bool:
        return not self.event_types or event_type in self.event_types


@dataclass(frozen=True)
class WebhookDelivery:
    """One event for one endpoint. ``event_id`` is the log's global ``events.id`` (the
    ``webhook-id`` header is ``evt_<event_id>``); ``event_seq`` the session's cursor."""

    id: int
    webhook_id: str
    event_id: int
    session_id: str
    event_seq: int
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class LogGap:
    """Event ids ``first..last`` not seen yet below one that was, and the transactions that
    were in flight when they were first missed (one of them may still commit such an id)."""

    first: int
    last: int
    blockers: frozenset[int] = frozenset()


@dataclass(frozen=True)
class LogPosition:
    """How far a dispatcher has read the whole event log (``WebhookStore.enqueue``).

    ``cursor`` is what is stored: every event at or below it has its deliveries. ``scanned``
    is the highest id read; ``gaps`` are the ids between them not seen yet. Kept in memory by
    the dispatcher; a restart starts again from ``cursor``, which costs re-reading, never an
    event.
    """

    cursor: int
    scanned: int
    gaps: tuple[LogGap, ...] = ()


@dataclass(frozen=True)
class EnqueueResult:
    """What one pass over the log did; ``position`` is None when another dispatcher held
    the log at that moment (it reads for both)."""

    position: LogPosition | None
    events: int = 0
    deliveries: int = 0
    #: A full batch was read: more may be waiting.
    more: bool = False


@dataclass(frozen=True)
class DueDelivery:
    """A claimed delivery with what sending it needs; ``event`` is None when the event was
    deleted (a purge) after the delivery was queued."""

    delivery: WebhookDelivery
    url: str
    secret: str
    event: SessionEvent | None


class WebhookStore(Protocol):
    """Webhooks per tenant, their deliveries, and the dispatcher's reading of the event log.

    Every method is one short transaction; none is held across an HTTP request.
    """

    def add_webhook(self, webhook: Webhook) -> Webhook: ...

    def list_webhooks(self, tenant_id: str) -> list[Webhook]: ...

    def get_webhook(self, webhook_id: str, *, tenant_id: str) -> Webhook | None: ...

    def delete_webhook(self, webhook_id: str, *, tenant_id: str) -> bool:
        """Delete the tenant's webhook with its deliveries; False if it has none so named."""
        ...

    def enqueue(
        self, position: LogPosition | None, *, reader: str, now: datetime, limit: int
    ) -> EnqueueResult:
        """Read up to ``limit`` events past ``position`` (None: the stored cursor of
        ``reader``) and queue one PENDING delivery per event and matching webhook of its
        tenant (idempotent); store the advanced cursor."""
        ...

    def claim_due(
        self,
        *,
        now: datetime,
        lease: timedelta,
        limit: int,
        per_webhook: int | None = None,
        in_flight: Mapping[str, int] | None = None,
    ) -> list[DueDelivery]:
        """Lease up to ``limit`` PENDING deliveries that are due (``next_attempt_at`` passed,
        no live lease) and first of their (webhook, session) still pending, ``attempts`` + 1;
        at most ``per_webhook`` per webhook counting the caller's ``in_flight`` sends."""
        ...

    def record_success(
        self, delivery_id: int, *, now: datetime, status_code: int | None
    ) -> bool: ...

    def record_failure(
        self,
        delivery_id: int,
        *,
        attempt: int,
        now: datetime,
        status_code: int | None,
        error: str,
        next_attempt_at: datetime | None,
    ) -> bool:
        """Record a failed ``attempt``: PENDING again at ``next_attempt_at``, or FAILED when
        None. False if that attempt no longer holds the delivery."""
        ...

    def list_deliveries(
        self, webhook_id: str, *, tenant_id: str, limit: int, before: int | None = None
    ) -> list[WebhookDelivery]:
        """The webhook's deliveries, newest first (ids below ``before``);
        ``ResourceNotFoundError`` if the tenant has no such webhook."""
        ...


@dataclass(frozen=True)
class WebhookMessage:
    """One signed POST: ``message_id`` is stable across retries (receivers de-duplicate)."""

    url: str
    secret: str
    message_id: str
    body: str


@dataclass(frozen=True)
class SendOutcome:
    """An attempt's result: delivered on a 2xx; otherwise the status or the error, in words
    (never the secret)."""

    delivered: bool
    status_code: int | None = None
    error: str | None = None


class WebhookSender(Protocol):
    """Sends one message, signed (Standard Webhooks), with short timeouts; never raises for
    the endpoint's or the network's faults."""

    def send(self, message: WebhookMessage) -> SendOutcome: ...

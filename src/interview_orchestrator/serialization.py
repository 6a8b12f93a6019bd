"""The public JSON shapes of the domain objects, for the HTTP service and for embedders.

The field names are the library's, in snake_case; enums are their lower-case values; times are
ISO 8601 in UTC with a ``Z`` (``2026-03-01T09:00:00Z``, fractional seconds only when there are
any, like the timestamps inside event data). What a session keeps for its own running — the
interviewer's internal state, the compare-and-set version, the turn's claim and expiry — is
never part of a shape, and a résumé appears only in ``SessionWithResumeOut``, which a caller
has to ask for by name.

Every model is frozen and refuses unknown fields. Class docstrings and field descriptions are
the documentation of the HTTP API (OpenAPI), so they are Markdown: single backticks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from .clock import utc_now
from .errors import InvalidInputError
from .models import (
    CommunicationMode,
    DimensionScore,
    EndReason,
    EvaluationReport,
    EvaluationStatus,
    EventType,
    Message,
    Role,
    Session,
    SessionConfig,
    SessionEvent,
    SessionStats,
    SessionStatus,
    Turn,
)


def _in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


#: A timezone-aware time, held and written in UTC (``Z``) whatever offset it came with.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]

#: The domain objects this module has a shape for.
Serializable = Session | Message | Turn | EvaluationReport | SessionEvent | SessionStats


class _OutModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- sessions


class SessionConfigOut(_OutModel):
    """How the interview runs (`SessionConfig`), without the résumé."""

    enabled_modes: list[CommunicationMode] = Field(
        min_length=1,
        description="The channels the candidate may use: 'text', 'whiteboard', 'audio'.",
    )
    ai_provider: str = Field(
        description="The provider that asks the questions and evaluates, e.g. 'openai', 'offline'."
    )
    ai_model: str | None = Field(
        description="The provider's model name; null: the provider's configured default."
    )
    duration_minutes: int = Field(
        ge=1, le=480, description="Active time allowed; paused time does not count."
    )
    template: str = Field(description="The interview kind: its questions, phases and rubric.")
    language: str = Field(
        default="en",
        description="The language the interview is held in, a BCP 47 tag such as 'en', 'de' "
        "or 'pt-BR' (the offline provider needs a question bank in it).",
    )
    metadata: dict[str, Any] = Field(
        description="The embedding platform's own data, stored and returned unchanged."
    )
    fallback_provider: str | None = Field(
        description="The provider used when ai_provider fails; null: none."
    )
    max_turns: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="The turn budget: the interview ends by itself after this many answered "
        "turns; null: the deployment's default.",
    )
    persona: str = Field(
        default="neutral",
        description="The interviewer persona: its tone ('warm', 'neutral', 'rigorous' or a "
        "deployment's own), never the rubric or the scores.",
    )

    @classmethod
    def from_domain(cls, config: SessionConfig) -> Self:
        return cls(
            enabled_modes=list(config.enabled_modes),
            ai_provider=config.ai_provider,
            ai_model=config.ai_model,
            duration_minutes=config.duration_minutes,
            template=config.template,
            language=config.language,
            metadata=dict(config.metadata),
            fallback_provider=config.fallback_provider,
            max_turns=config.max_turns,
            persona=config.persona,
        )


class SessionConfigWithResumeOut(SessionConfigOut):
    """The configuration with the résumé: personal data, for callers entitled to it."""

    resume_data: dict[str, Any] | None = Field(
        description="The candidate's résumé as given at creation; null: none was given."
    )

    @classmethod
    def from_domain(cls, config: SessionConfig) -> Self:
        fields = SessionConfigOut.from_domain(config).model_dump()
        resume = None if config.resume_data is None else dict(config.resume_data)
        return cls(**fields, resume_data=resume)


class SessionOut(_OutModel):
    """One interview (`Session`), without the interviewer's internal state or the résumé.

    `active_seconds`, `remaining_seconds` and `turn_in_progress` are as of the moment this
    answer was made: an ACTIVE session's clock keeps running.
    """

    id: str = Field(description="The session's id (a UUID).")
    tenant_id: str = Field(description="The organisation the session belongs to.")
    user_id: str = Field(description="The candidate's id on the embedding platform.")
    status: SessionStatus = Field(
        description="Where the session is in its life: 'created', 'active', 'paused', 'completed'."
    )
    config: SessionConfigOut = Field(description="How the interview runs.")
    has_resume: bool = Field(
        description="Whether a résumé was given (its contents are not part of this shape)."
    )
    created_at: UtcDatetime = Field(description="When the session was created (UTC).")
    started_at: UtcDatetime | None = Field(
        description="When the interview started (UTC); null before the start."
    )
    ended_at: UtcDatetime | None = Field(
        description="When the session was completed (UTC); null until then."
    )
    end_reason: EndReason | None = Field(
        description="Why it was completed: 'requested', 'time_limit', 'abandoned', "
        "'turn_limit'; null until then."
    )
    overall_score: float | None = Field(
        ge=0,
        le=100,
        description="The evaluation's overall score, 0-100; null until an evaluation scored "
        "the session.",
    )
    message_count: int = Field(ge=0, description="Messages in the transcript, of every role.")
    last_activity_at: UtcDatetime | None = Field(
        description="When anything last happened in the session (UTC)."
    )
    active_seconds: float = Field(
        ge=0, description="Time spent ACTIVE so far, in seconds; paused time does not count."
    )
    remaining_seconds: float = Field(
        ge=0,
        description="Active time left of duration_minutes, in seconds; 0 once it is used up.",
    )
    phase: str | None = Field(
        description="The interview phase the interviewer reported last; null before the start."
    )
    event_count: int = Field(
        ge=0,
        description="The id of the session's newest event (events are numbered 1, 2, 3 ... "
        "without gaps, so it is also their number): pass it as 'after' to read only what "
        "happens next. 0: no event yet.",
    )
    turn_in_progress: bool = Field(
        description="Whether a candidate message is still waiting for the interviewer's "
        "reply; another message is refused until it comes."
    )
    turn_count: int = Field(
        default=0, ge=0, description="Turns answered so far (the turn budget counts them)."
    )

    @classmethod
    def from_domain(cls, session: Session, *, now: datetime | None = None) -> Self:
        """The session as seen at ``now`` (default: the current time)."""
        moment = _aware(now) if now is not None else utc_now()
        return cls(
            id=session.id,
            tenant_id=session.tenant_id,
            user_id=session.user_id,
            status=session.status,
            config=cls._config_from_domain(session.config),
            has_resume=session.config.resume_data is not None,
            created_at=session.created_at,
            started_at=session.started_at,
            ended_at=session.ended_at,
            end_reason=session.end_reason,
            overall_score=session.overall_score,
            message_count=session.message_count,
            last_activity_at=session.last_activity_at,
            active_seconds=round(session.active_seconds_at(moment), 3),
            remaining_seconds=round(max(session.remaining_seconds_at(moment), 0.0), 3),
            phase=session.phase,
            event_count=session.event_count,
            turn_in_progress=session.turn_in_progress_at(moment),
            turn_count=session.turn_count,
        )

    @classmethod
    def _config_from_domain(cls, config: SessionConfig) -> SessionConfigOut:
        return SessionConfigOut.from_domain(config)


class SessionWithResumeOut(SessionOut):
    """A session with its résumé in `config.resume_data`: personal data, so a shape of its
    own that a route or an embedder has to choose explicitly."""

    config: SessionConfigWithResumeOut = Field(
        description="How the interview runs, with the candidate's résumé."
    )

    @classmethod
    def _config_from_domain(cls, config: SessionConfig) -> SessionConfigWithResumeOut:
        return SessionConfigWithResumeOut.from_domain(config)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInputError(f"now must be timezone-aware, got {now.isoformat()}")
    return now


# --------------------------------------------------------------------------- transcript


class MessageOut(_OutModel):
    """One message of a transcript (`Message`)."""

    session_id: str = Field(description="The session the message belongs to.")
    seq: int = Field(
        ge=1, description="The message's place in the transcript: 1, 2, 3 ... per session."
    )
    role: Role = Field(description="Who wrote it: 'interviewer', 'candidate', 'system'.")
    mode: CommunicationMode = Field(
        description="The channel it came through: 'text', 'whiteboard', 'audio'."
    )
    content: str = Field(description="The text, exactly as sent.")
    created_at: UtcDatetime = Field(description="When it was stored (UTC).")
    late: bool = Field(
        description="Whether it was stored after the session had left ACTIVE: an interviewer "
        "reply still on its way when the session was paused or ended. Kept, never dropped."
    )
    client_message_id: str | None = Field(
        description="The caller's idempotency key for a candidate message; null: none given."
    )
    reply_to: int | None = Field(
        ge=1,
        description="For an interviewer reply: the seq of the candidate message it answers.",
    )

    @classmethod
    def from_domain(cls, message: Message) -> Self:
        return cls(
            session_id=message.session_id,
            seq=message.seq,
            role=message.role,
            mode=message.mode,
            content=message.content,
            created_at=message.created_at,
            late=message.late,
            client_message_id=message.client_message_id,
            reply_to=message.reply_to,
        )


class TurnOut(_OutModel):
    """One exchange (`Turn`): what the candidate sent and the interviewer's reply to it."""

    candidate: MessageOut = Field(description="The candidate's message, as stored.")
    reply: MessageOut = Field(description="The interviewer's reply to it.")

    @classmethod
    def from_domain(cls, turn: Turn) -> Self:
        return cls(
            candidate=MessageOut.from_domain(turn.candidate),
            reply=MessageOut.from_domain(turn.reply),
        )


# --------------------------------------------------------------------------- evaluations


class DimensionScoreOut(_OutModel):
    """A rubric dimension's score and the messages that support it (`DimensionScore`)."""

    dimension: str = Field(description="The rubric dimension's id.")
    score: int | None = Field(
        ge=1,
        le=5,
        description="1-5; null: the transcript gave insufficient evidence to score it.",
    )
    evidence: list[int] = Field(
        description="The seq numbers of the transcript messages the score rests on."
    )
    rationale: str = Field(description="Why this score, in a sentence or two.")

    @classmethod
    def from_domain(cls, score: DimensionScore) -> Self:
        return cls(
            dimension=score.dimension,
            score=score.score,
            evidence=list(score.evidence),
            rationale=score.rationale,
        )


class EvaluationReportOut(_OutModel):
    """The evaluation of a completed session (`EvaluationReport`), with its own status."""

    session_id: str = Field(description="The session evaluated.")
    status: EvaluationStatus = Field(
        description="'pending', 'running', 'ready', 'no_evidence' (nothing the candidate "
        "said could be scored) or 'failed' (retriable; see error)."
    )
    overall_score: float | None = Field(
        ge=0,
        le=100,
        description="0-100; null unless the status is 'ready' (a score is never made up).",
    )
    coverage: float | None = Field(
        ge=0,
        le=1,
        description="The share of the rubric's weight that had evidence, 0-1; null before scoring.",
    )
    dimension_scores: dict[str, DimensionScoreOut] = Field(
        description="Per rubric dimension, keyed by its id, in the rubric's order."
    )
    strengths: list[str] = Field(description="What the candidate did well.")
    improvements: list[str] = Field(description="What the candidate could do better.")
    summary: str = Field(description="The evaluation in a few sentences.")
    provider: str | None = Field(
        description="The provider that produced the evaluation (the fallback, if the "
        "session's own provider failed)."
    )
    model: str | None = Field(description="The model that produced it, if any.")
    template: str | None = Field(description="The interview template whose rubric was used.")
    rubric_version: str | None = Field(description="The version of that rubric.")
    error: str | None = Field(description="Why the latest attempt failed; null unless 'failed'.")
    attempts: int = Field(ge=0, description="How many times the evaluation was attempted.")
    created_at: UtcDatetime | None = Field(description="When the evaluation was requested (UTC).")
    updated_at: UtcDatetime | None = Field(description="When its status last changed (UTC).")
    started_at: UtcDatetime | None = Field(
        description="When the latest attempt began (UTC); null before the first."
    )
    completed_at: UtcDatetime | None = Field(
        description="When it finished as 'ready' or 'no_evidence' (UTC); null until then."
    )
    provenance: dict[str, Any] = Field(
        description="How the evaluation was made, for audit: method, provider and model "
        "names, prompt and template versions, request count, token usage, latency and, "
        "after a fallback, the first provider's error. No transcript or résumé contents."
    )

    @classmethod
    def from_domain(cls, report: EvaluationReport) -> Self:
        return cls(
            session_id=report.session_id,
            status=report.status,
            overall_score=report.overall_score,
            coverage=report.coverage,
            dimension_scores={
                key: DimensionScoreOut.from_domain(score)
                for key, score in report.dimension_scores.items()
            },
            strengths=list(report.strengths),
            improvements=list(report.improvements),
            summary=report.summary,
            provider=report.provider,
            model=report.model,
            template=report.template,
            rubric_version=report.rubric_version,
            error=report.error,
            attempts=report.attempts,
            created_at=report.created_at,
            updated_at=report.updated_at,
            started_at=report.started_at,
            completed_at=report.completed_at,
            provenance=dict(report.provenance),
        )


# --------------------------------------------------------------------------- events


class SessionEventOut(_OutModel):
    """One entry of a session's event log (`SessionEvent`): a WebSocket frame, a webhook's
    payload."""

    id: int = Field(
        ge=1,
        description="The event's cursor within its session (1, 2, 3 ... without gaps): "
        "reading with after=id continues right after it.",
    )
    type: EventType = Field(
        description="What happened: 'session.started', 'session.paused', 'session.resumed', "
        "'session.completed', 'message.created', 'phase.changed', 'evaluation.updated'."
    )
    session_id: str = Field(description="The session it happened in.")
    data: dict[str, Any] = Field(
        description="The details, by type: the message for 'message.created', the new and "
        "previous phase for 'phase.changed', the status, score and attempts for "
        "'evaluation.updated', the status change for the session events."
    )
    created_at: UtcDatetime = Field(description="When it happened (UTC).")

    @classmethod
    def from_domain(cls, event: SessionEvent) -> Self:
        return cls(
            id=event.id,
            type=event.type,
            session_id=event.session_id,
            data=dict(event.data),
            created_at=event.created_at,
        )


# --------------------------------------------------------------------------- statistics


class DayCountOut(_OutModel):
    """How many sessions were created on one day."""

    day: date = Field(description="The day (UTC), YYYY-MM-DD.")
    sessions: int = Field(ge=0, description="Sessions created that day.")


class SessionStatsOut(_OutModel):
    """Aggregates over the sessions in scope, for dashboards (`SessionStats`)."""

    by_status: dict[SessionStatus, int] = Field(
        description="Sessions per status, every status present (0 when none)."
    )
    per_day: list[DayCountOut] = Field(
        description="Sessions created per day since 'since', oldest first; days without "
        "sessions are left out."
    )
    average_active_seconds: float | None = Field(
        description="The mean active time of completed sessions, in seconds; null: none."
    )
    average_score: float | None = Field(
        description="The mean overall score of scored sessions, 0-100; null: none scored."
    )
    scored_sessions: int = Field(ge=0, description="Sessions with an overall score.")
    score_histogram: list[int] = Field(
        min_length=10,
        max_length=10,
        description="Ten counts of scored sessions: overall score in [0,10), [10,20), ... "
        "[80,90), [90,100].",
    )
    evaluations_by_status: dict[EvaluationStatus, int] = Field(
        description="Evaluations per status, every status present (0 when none)."
    )
    since: UtcDatetime = Field(description="The start of the per_day window (UTC).")

    @classmethod
    def from_domain(cls, stats: SessionStats) -> Self:
        return cls(
            by_status={status: stats.by_status.get(status, 0) for status in SessionStatus},
            per_day=[DayCountOut(day=date.fromisoformat(d), sessions=n) for d, n in stats.per_day],
            average_active_seconds=stats.average_active_seconds,
            average_score=stats.average_score,
            scored_sessions=stats.scored_sessions,
            score_histogram=list(stats.score_histogram),
            evaluations_by_status={
                status: stats.evaluations_by_status.get(status, 0) for status in EvaluationStatus
            },
            since=stats.since,
        )


# --------------------------------------------------------------------------- dispatch


def to_model(
    obj: Serializable, *, now: datetime | None = None, include_resume: bool = False
) -> BaseModel:
    """The public shape of ``obj``. ``now`` and ``include_resume`` concern sessions only: the
    moment their clock is read at, and whether the résumé is included."""
    match obj:
        case Session():
            shape = SessionWithResumeOut if include_resume else SessionOut
            return shape.from_domain(obj, now=now)
        case Message():
            return MessageOut.from_domain(obj)
        case Turn():
            return TurnOut.from_domain(obj)
        case EvaluationReport():
            return EvaluationReportOut.from_domain(obj)
        case SessionEvent():
            return SessionEventOut.from_domain(obj)
        case SessionStats():
            return SessionStatsOut.from_domain(obj)
    raise TypeError(
        f"no public shape for {type(obj).__name__}; expected one of: Session, Message, Turn, "
        "EvaluationReport, SessionEvent, SessionStats"
    )


def to_dict(
    obj: Serializable, *, now: datetime | None = None, include_resume: bool = False
) -> dict[str, Any]:
    """``obj`` as plain JSON data (strings, numbers, lists, dicts), ready for ``json.dumps``."""
    return to_model(obj, now=now, include_resume=include_resume).model_dump(mode="json")


def to_json(obj: Serializable, *, now: datetime | None = None, include_resume: bool = False) -> str:
    """``obj`` as a compact JSON document."""
    return to_model(obj, now=now, include_resume=include_resume).model_dump_json()

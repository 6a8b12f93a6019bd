"""The export format: one JSON object per line, one line per session, versioned.

``{"format": "interview-orchestrator/session", "version": 1, "session": {...},
"messages": [...], "transitions": [...], "evaluation": {...} | null, "notes": [...]}``, where
``notes`` are the interviewer's private notes, each with the sequence number of the message it
came with. The pydantic models below are the format's definition: strict (no coercion, no
unknown fields, timestamps with an offset), so that a record either restores exactly what was
exported or is refused with the field that is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, overload

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from ..errors import InvalidInputError
from ..lifecycle import Operation
from ..models import (
    CommunicationMode,
    DimensionScore,
    EndReason,
    EvaluationReport,
    EvaluationStatus,
    InterviewerNote,
    Message,
    Role,
    Session,
    SessionConfig,
    SessionStatus,
    TransitionRecord,
    parse_session_id,
    parse_user_id,
)
from ..ports import ArchivedSession

FORMAT: Final = "interview-orchestrator/session"
VERSION: Final = 1


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text: refuse it here rather than half-way through writing.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Name = Annotated[Text, Field(max_length=64)]
Timestamp = AwareDatetime


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class SessionFields(_Strict):
    id: str
    user_id: str
    status: SessionStatus
    #: ``SessionConfig`` without the résumé, which has its own field (as stored).
    config: dict[str, Any]
    resume_data: dict[str, Any] | None
    interviewer_state: dict[str, Any]
    created_at: Timestamp
    started_at: Timestamp | None
    ended_at: Timestamp | None
    last_activity_at: Timestamp | None
    active_since: Timestamp | None
    active_seconds: float = Field(ge=0)
    end_reason: EndReason | None
    overall_score: float | None = Field(ge=0, le=100)
    message_count: int = Field(ge=0)
    version: int = Field(ge=0)


class MessageFields(_Strict):
    seq: int = Field(ge=1)
    role: Role
    mode: CommunicationMode
    content: Text
    created_at: Timestamp
    late: bool


class TransitionFields(_Strict):
    from_status: SessionStatus
    to_status: SessionStatus
    operation: Operation
    reason: Name | None
    at: Timestamp


class NoteFields(_Strict):
    message_seq: int = Field(ge=1)
    content: Text
    created_at: Timestamp


class DimensionFields(_Strict):
    score: int | None = Field(ge=1, le=5)
    evidence: list[int]
    rationale: Text


class EvaluationFields(_Strict):
    status: EvaluationStatus
    overall_score: float | None = Field(ge=0, le=100)
    coverage: float | None = Field(ge=0, le=1)
    dimension_scores: dict[str, DimensionFields]
    strengths: list[Text]
    improvements: list[Text]
    summary: Text
    provider: Name | None
    model: Annotated[Text, Field(max_length=200)] | None
    template: Name | None
    rubric_version: Name | None
    provenance: dict[str, Any]
    error: Text | None
    attempts: int = Field(ge=0)
    created_at: Timestamp
    updated_at: Timestamp
    started_at: Timestamp | None
    completed_at: Timestamp | None


class SessionRecord(_Strict):
    """One line of an export."""

    format: Literal["interview-orchestrator/session"]
    version: Literal[1]
    session: SessionFields
    messages: list[MessageFields]
    transitions: list[TransitionFields]
    evaluation: EvaluationFields | None
    notes: list[NoteFields]


# ---------------------------------------------------------------------- domain -> record


def encode(archived: ArchivedSession) -> bytes:
    """The session as one line of the export, newline included."""
    return to_record(archived).model_dump_json().encode("utf-8") + b"\n"


def to_record(archived: ArchivedSession) -> SessionRecord:
    session = archived.session
    report = archived.evaluation
    return SessionRecord(
        format=FORMAT,
        version=VERSION,
        session=SessionFields(
            id=session.id,
            user_id=session.user_id,
            status=session.status,
            config=session.config.to_dict(include_resume=False),
            resume_data=_dict_or_none(session.config.resume_data),
            interviewer_state=dict(session.interviewer_state),
            created_at=session.created_at,
            started_at=session.started_at,
            ended_at=session.ended_at,
            last_activity_at=session.last_activity_at,
            active_since=session.active_since,
            active_seconds=session.active_seconds,
            end_reason=session.end_reason,
            overall_score=session.overall_score,
            message_count=session.message_count,
            version=session.version,
        ),
        messages=[
            MessageFields(
                seq=m.seq,
                role=m.role,
                mode=m.mode,
                content=m.content,
                created_at=m.created_at,
                late=m.late,
            )
            for m in archived.messages
        ],
        transitions=[
            TransitionFields(
                from_status=t.from_status,
                to_status=t.to_status,
                operation=Operation(t.operation),
                reason=t.reason,
                at=t.at,
            )
            for t in archived.transitions
        ],
        evaluation=None if report is None else _evaluation_fields(report),
        notes=[
            NoteFields(message_seq=n.message_seq, content=n.content, created_at=n.created_at)
            for n in archived.notes
        ],
    )


def _evaluation_fields(report: EvaluationReport) -> EvaluationFields:
    if report.created_at is None or report.updated_at is None:
        raise InvalidInputError(f"the evaluation of session {report.session_id!r} has no times")
    return EvaluationFields(
        status=report.status,
        overall_score=report.overall_score,
        coverage=report.coverage,
        dimension_scores={
            key: DimensionFields(
                score=score.score, evidence=list(score.evidence), rationale=score.rationale
            )
            for key, score in report.dimension_scores.items()
        },
        strengths=list(report.strengths),
        improvements=list(report.improvements),
        summary=report.summary,
        provider=report.provider,
        model=report.model,
        template=report.template,
        rubric_version=report.rubric_version,
        provenance=dict(report.provenance),
        error=report.error,
        attempts=report.attempts,
        created_at=report.created_at,
        updated_at=report.updated_at,
        started_at=report.started_at,
        completed_at=report.completed_at,
    )


def _dict_or_none(value: Any) -> dict[str, Any] | None:
    return None if value is None else dict(value)


# ---------------------------------------------------------------------- record -> domain


def decode(line: bytes) -> ArchivedSession:
    """The session a line of an export holds, or ``InvalidInputError`` saying what is wrong
    (the caller adds the line number)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"not valid UTF-8 (byte 0x{line[exc.start]:02x} at position {exc.start})"
        ) from None
    try:
        record = SessionRecord.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidInputError(_describe(exc.errors(include_url=False))) from None
    return to_archived(record)


def to_archived(record: SessionRecord) -> ArchivedSession:
    """The domain objects of a record, checked as the domain checks them and for the store's
    invariants (messages numbered 1..n and counted; only a completed session is evaluated)."""
    fields = record.session
    try:
        session_id = parse_session_id(fields.id)
        user_id = parse_user_id(fields.user_id)
    except InvalidInputError as exc:
        raise InvalidInputError(f"session: {exc}") from None
    if "resume_data" in fields.config:
        raise InvalidInputError("session.config: resume_data belongs in session.resume_data")
    try:
        config = SessionConfig.from_dict({**fields.config, "resume_data": fields.resume_data})
    except InvalidInputError as exc:
        raise InvalidInputError(f"session.config: {exc}") from None
    seqs = [m.seq for m in record.messages]
    if seqs != list(range(1, len(seqs) + 1)):
        raise InvalidInputError("messages: sequence numbers must run 1, 2, 3 ... in order")
    if fields.message_count != len(seqs):
        raise InvalidInputError(
            f"session.message_count is {fields.message_count} but there are {len(seqs)} messages"
        )
    if any(note.message_seq > len(seqs) for note in record.notes):
        raise InvalidInputError("notes: a note refers to a message the record does not have")
    if record.evaluation is not None and fields.status is not SessionStatus.COMPLETED:
        raise InvalidInputError(
            f"evaluation: only a completed session has one, this one is {fields.status.value}"
        )
    session = Session(
        id=session_id,
        user_id=user_id,
        status=fields.status,
        config=config,
        created_at=_utc(fields.created_at),
        started_at=_utc(fields.started_at),
        ended_at=_utc(fields.ended_at),
        end_reason=fields.end_reason,
        overall_score=fields.overall_score,
        message_count=fields.message_count,
        last_activity_at=_utc(fields.last_activity_at),
        active_seconds=fields.active_seconds,
        active_since=_utc(fields.active_since),
        version=fields.version,
        interviewer_state=fields.interviewer_state,
    )
    messages = tuple(
        Message(
            session_id=session_id,
            seq=m.seq,
            role=m.role,
            mode=m.mode,
            content=m.content,
            created_at=_utc(m.created_at),
            late=m.late,
        )
        for m in record.messages
    )
    transitions = tuple(
        TransitionRecord(
            session_id=session_id,
            from_status=t.from_status,
            to_status=t.to_status,
            operation=t.operation.value,
            reason=t.reason,
            at=_utc(t.at),
        )
        for t in record.transitions
    )
    evaluation = None if record.evaluation is None else _report(session_id, record.evaluation)
    notes = tuple(
        InterviewerNote(
            session_id=session_id,
            message_seq=n.message_seq,
            content=n.content,
            created_at=_utc(n.created_at),
        )
        for n in record.notes
    )
    return ArchivedSession(session, messages, transitions, evaluation, notes)


def _report(session_id: str, fields: EvaluationFields) -> EvaluationReport:
    return EvaluationReport(
        session_id=session_id,
        status=fields.status,
        overall_score=fields.overall_score,
        dimension_scores={
            key: DimensionScore(
                dimension=key,
                score=value.score,
                evidence=tuple(value.evidence),
                rationale=value.rationale,
            )
            for key, value in fields.dimension_scores.items()
        },
        strengths=tuple(fields.strengths),
        improvements=tuple(fields.improvements),
        summary=fields.summary,
        provider=fields.provider,
        model=fields.model,
        created_at=_utc(fields.created_at),
        updated_at=_utc(fields.updated_at),
        completed_at=_utc(fields.completed_at),
        started_at=_utc(fields.started_at),
        coverage=fields.coverage,
        template=fields.template,
        rubric_version=fields.rubric_version,
        error=fields.error,
        attempts=fields.attempts,
        provenance=fields.provenance,
    )


@overload
def _utc(value: datetime) -> datetime: ...
@overload
def _utc(value: datetime | None) -> datetime | None: ...
def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


# ---------------------------------------------------------------------- error messages


#: Fields holding what a candidate said, a résumé or an evaluation's text: an error names the
#: field but never shows its value (error lines end up in terminals, cron mail and CI logs).
_PRIVATE_FIELDS: Final = frozenset(
    {
        "content",
        "resume_data",
        "interviewer_state",
        "summary",
        "rationale",
        "strengths",
        "improvements",
        "error",
        "provenance",
    }
)


def _describe(errors: list[ErrorDetails]) -> str:
    """The first problem pydantic found, worded for a person fixing the file."""
    first = errors[0]
    location = _location(first["loc"])
    value = first.get("input")
    if first["type"] == "json_invalid":
        problem = f"malformed JSON ({first['msg'].removeprefix('Invalid JSON: ')})"
    elif location == "format":
        problem = f"format is {value!r}, expected {FORMAT!r}: not a session export record"
    elif location == "version":
        problem = f"record version {value!r} is not supported (this release reads {VERSION})"
    elif first["type"] == "missing":
        problem = f"{location}: required field missing"
    elif first["type"] == "extra_forbidden":
        problem = f"{location}: unknown field"
    else:
        private = any(part in _PRIVATE_FIELDS for part in first["loc"])
        shown = "" if private or isinstance(value, dict | list) else f" (got {_preview(value)})"
        problem = f"{location}: {first['msg']}{shown}" if location else f"{first['msg']}{shown}"
    more = len(errors) - 1
    return problem + (f" (and {more} more problem{'s' * (more > 1)} on this line)" if more else "")


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _preview(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."

"""The export format: one JSON object per line, one line per session, versioned.

Version 2 (written): ``{"format": "interview-orchestrator/session", "version": 2,
"session": {...}, "messages": [...], "transitions": [...], "evaluation": {...} | null,
"notes": [...], "events": [...]}``. ``notes`` are the interviewer's private notes, each with
the sequence number of the message it came with; ``events`` is the session's event log, where
a ``message.created`` event names its message by ``message_seq`` instead of repeating its text
(the text is in ``messages``, once, as in the database).

A session's claim on a turn in progress (``turn_seq``, ``turn_expires_at``) is not exported: it
belongs to a process of the source database, which no process of the target is running.
An imported session has no turn in progress; an unanswered last message can be answered with
``retry_reply``.

Version 1 (still read) has no tenant, event log, phase, or message idempotency keys: its
session imports into the tenant ``default`` (or the mapped one) with an empty event log,
exactly as migration 0003 left the sessions that existed before it.

The pydantic models below are the format's definition: strict (no coercion, no unknown
fields, timestamps with an offset), so that a record either restores exactly what was
exported or is refused with the field that is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, overload

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from ..errors import DataStoreError, InvalidInputError
from ..lifecycle import Operation
from ..models import (
    DEFAULT_TENANT,
    CommunicationMode,
    DimensionScore,
    EndReason,
    EvaluationReport,
    EvaluationStatus,
    EventType,
    InterviewerNote,
    Message,
    Role,
    Session,
    SessionConfig,
    SessionEvent,
    SessionStatus,
    TransitionRecord,
    message_event_data,
    parse_client_message_id,
    parse_session_id,
    parse_tenant_id,
    parse_user_id,
    plain_json,
)
from ..ports import ArchivedSession
from ..validation_errors import error_location

FORMAT: Final = "interview-orchestrator/session"
#: The version ``encode`` writes.
VERSION: Final = 2
#: The versions ``decode`` reads.
READABLE_VERSIONS: Final = (1, 2)


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


class SessionFieldsV1(_Strict):
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


class SessionFields(SessionFieldsV1):
    tenant_id: Name
    #: The cursor of the last event: the length of ``events``.
    event_count: int = Field(ge=0)
    phase: Name | None
    #: Turns answered (the turn budget counts them); 0 in records written before it existed.
    turn_count: int = Field(default=0, ge=0)


class MessageFieldsV1(_Strict):
    seq: int = Field(ge=1)
    role: Role
    mode: CommunicationMode
    content: Text
    created_at: Timestamp
    late: bool


class MessageFields(MessageFieldsV1):
    client_message_id: Annotated[str, Field(max_length=128)] | None
    reply_to: int | None = Field(ge=1)


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


class EventFields(_Strict):
    #: The session's cursor: 1, 2, 3 ...
    id: int = Field(ge=1)
    type: EventType
    #: As stored; a ``message.created`` event's data without the message, which
    #: ``message_seq`` names.
    data: dict[str, Any]
    message_seq: int | None = Field(ge=1)
    created_at: Timestamp


class SessionRecordV1(_Strict):
    """One line of a version 1 export."""

    format: Literal["interview-orchestrator/session"]
    version: Literal[1]
    session: SessionFieldsV1
    messages: list[MessageFieldsV1]
    transitions: list[TransitionFields]
    evaluation: EvaluationFields | None
    notes: list[NoteFields]


class SessionRecord(_Strict):
    """One line of an export (version 2)."""

    format: Literal["interview-orchestrator/session"]
    version: Literal[2]
    session: SessionFields
    messages: list[MessageFields]
    transitions: list[TransitionFields]
    evaluation: EvaluationFields | None
    notes: list[NoteFields]
    events: list[EventFields]


class _Header(BaseModel):
    """What a line must be before its version's model is chosen."""

    model_config = ConfigDict(extra="ignore", strict=True)
    format: Literal["interview-orchestrator/session"]
    version: int


_MODELS: Final[dict[int, type[SessionRecordV1 | SessionRecord]]] = {
    1: SessionRecordV1,
    2: SessionRecord,
}


# ---------------------------------------------------------------------- domain -> record


class UnexportableSessionError(DataStoreError):
    """A stored session that no record can hold (data written around the library's checks,
    or before them): which session, and what is wrong, naming the field, never its content."""

    def __init__(self, session_id: str, reason: str) -> None:
        self.session_id = session_id
        self.reason = _bounded(reason)
        super().__init__(f"session {session_id!r} cannot be exported: {self.reason}")


def encode(archived: ArchivedSession) -> bytes:
    """The session as one line of the export, newline included; ``UnexportableSessionError``
    if a stored value does not fit the format (text that is not valid Unicode, say)."""
    session_id = archived.session.id
    try:
        record = to_record(archived)
    except ValidationError as exc:
        raise UnexportableSessionError(
            session_id, _describe(exc.errors(include_url=False))
        ) from exc
    except ValueError as exc:  # a value no field of the record takes (an unknown operation)
        raise UnexportableSessionError(session_id, str(exc)) from exc
    try:
        return record.model_dump_json().encode("utf-8") + b"\n"
    except ValueError as exc:  # pydantic's serialisation error: text JSON cannot carry
        where = _invalid_text(record.model_dump(), "")
        reason = (
            f"{where or 'a value'} is not valid Unicode text (it holds a lone surrogate)"
            if where is not None or "surrogate" in str(exc)
            else str(exc)
        )
        raise UnexportableSessionError(session_id, reason) from exc


def _invalid_text(value: Any, where: str, private: bool = False) -> str | None:
    """The field of a record's data holding a string that is not valid Unicode, or None. Under
    a private field (what a candidate said, a résumé) the path stops at that field."""
    if isinstance(value, str):
        return None if _is_unicode(value) else where
    items: list[tuple[str, Any, bool]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            if not _is_unicode(name):
                return f"a key of {where or 'the record'}"
            inner = where if private else (f"{where}.{name}" if where else name)
            items.append((inner, item, private or name in _PRIVATE_FIELDS))
    elif isinstance(value, list | tuple):
        items = [
            (where if private else f"{where}[{index}]", item, private)
            for index, item in enumerate(value)
        ]
    for inner, item, hidden in items:
        found = _invalid_text(item, inner, hidden)
        if found is not None:
            return found
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bounded(text: str, width: int = 300) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


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
            tenant_id=session.tenant_id,
            event_count=session.event_count,
            phase=session.phase,
            turn_count=session.turn_count,
        ),
        messages=[
            MessageFields(
                seq=m.seq,
                role=m.role,
                mode=m.mode,
                content=m.content,
                created_at=m.created_at,
                late=m.late,
                client_message_id=m.client_message_id,
                reply_to=m.reply_to,
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
        events=[_event_fields(event) for event in archived.events],
    )


def _event_fields(event: SessionEvent) -> EventFields:
    data = dict(event.data)
    message_seq = None
    if event.type is EventType.MESSAGE_CREATED:
        # The store joins the message to the event it reads; the record keeps it once.
        message = data.pop("message", None)
        seq = (message if isinstance(message, dict) else data).get("seq")
        message_seq = seq if isinstance(seq, int) else None
    return EventFields(
        id=event.id,
        type=event.type,
        data=data,
        message_seq=message_seq,
        created_at=event.created_at,
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
    """The session a line of an export (version 1 or 2) holds, or ``InvalidInputError``
    saying what is wrong (the caller adds the line number)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"not valid UTF-8 (byte 0x{line[exc.start]:02x} at position {exc.start})"
        ) from None
    try:
        version = _Header.model_validate_json(text).version
        model = _MODELS.get(version)
        if model is None:
            raise InvalidInputError(_unsupported(version))
        record = model.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidInputError(_describe(exc.errors(include_url=False))) from None
    return to_archived(record if isinstance(record, SessionRecord) else _upgraded(record))


def _upgraded(record: SessionRecordV1) -> SessionRecord:
    """A version 1 record as version 2: the default tenant, no event log, no phase, no
    idempotency keys (what migration 0003 gave the sessions stored before it)."""
    return SessionRecord.model_construct(
        format=record.format,
        version=2,
        session=SessionFields.model_construct(
            **dict(record.session), tenant_id=DEFAULT_TENANT, event_count=0, phase=None
        ),
        messages=[
            MessageFields.model_construct(**dict(m), client_message_id=None, reply_to=None)
            for m in record.messages
        ],
        transitions=record.transitions,
        evaluation=record.evaluation,
        notes=record.notes,
        events=[],
    )


def to_archived(record: SessionRecord) -> ArchivedSession:
    """The domain objects of a record, checked as the domain checks them and for the store's
    invariants (messages numbered 1..n and counted, events likewise; only a completed session
    is evaluated; JSON the store would refuse is refused here, before anything is written)."""
    fields = record.session
    try:
        session_id = parse_session_id(fields.id)
        user_id = parse_user_id(fields.user_id)
        tenant_id = parse_tenant_id(fields.tenant_id)
    except InvalidInputError as exc:
        raise InvalidInputError(f"session: {exc}") from None
    if "resume_data" in fields.config:
        raise InvalidInputError("session.config: resume_data belongs in session.resume_data")
    try:
        config = SessionConfig.from_dict({**fields.config, "resume_data": fields.resume_data})
    except InvalidInputError as exc:
        raise InvalidInputError(f"session.config: {exc}") from None
    interviewer_state = _plain(fields.interviewer_state, "session.interviewer_state")
    _check_messages(record.messages, fields.message_count)
    if any(note.message_seq > len(record.messages) for note in record.notes):
        raise InvalidInputError("notes: a note refers to a message the record does not have")
    _check_events(record.events, fields.event_count, len(record.messages))
    if record.evaluation is not None and fields.status is not SessionStatus.COMPLETED:
        raise InvalidInputError(
            f"evaluation: only a completed session has one, this one is {fields.status.value}"
        )
    session = Session(
        id=session_id,
        tenant_id=tenant_id,
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
        interviewer_state=interviewer_state,
        event_count=fields.event_count,
        phase=fields.phase,
        turn_count=fields.turn_count,
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
            client_message_id=m.client_message_id,
            reply_to=m.reply_to,
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
    events = tuple(
        SessionEvent(
            id=e.id,
            type=e.type,
            session_id=session_id,
            data=_event_data(e, messages),
            created_at=_utc(e.created_at),
            tenant_id=tenant_id,
        )
        for e in record.events
    )
    return ArchivedSession(session, messages, transitions, evaluation, notes, events)


def _check_messages(messages: Sequence[MessageFields], message_count: int) -> None:
    seqs = [m.seq for m in messages]
    if seqs != list(range(1, len(seqs) + 1)):
        raise InvalidInputError("messages: sequence numbers must run 1, 2, 3 ... in order")
    if message_count != len(seqs):
        raise InvalidInputError(
            f"session.message_count is {message_count} but there are {len(seqs)} messages"
        )
    client_ids: set[str] = set()
    for index, m in enumerate(messages):
        if m.client_message_id is not None:
            where = f"messages[{index}].client_message_id"
            try:
                parse_client_message_id(m.client_message_id)
            except InvalidInputError as exc:
                raise InvalidInputError(f"{where}: {exc}") from None
            if m.client_message_id in client_ids:
                raise InvalidInputError(f"{where}: an earlier message has the same one")
            client_ids.add(m.client_message_id)
        if m.reply_to is not None and m.reply_to >= m.seq:
            raise InvalidInputError(
                f"messages[{index}].reply_to: names message {m.reply_to}, which is not an "
                "earlier message"
            )


def _check_events(events: Sequence[EventFields], event_count: int, messages: int) -> None:
    ids = [e.id for e in events]
    if ids != list(range(1, len(ids) + 1)):
        raise InvalidInputError("events: ids must run 1, 2, 3 ... in order")
    if event_count != len(ids):
        raise InvalidInputError(
            f"session.event_count is {event_count} but there are {len(ids)} events"
        )
    for index, e in enumerate(events):
        where = f"events[{index}]"
        if e.type is EventType.MESSAGE_CREATED:
            if e.message_seq is None:
                raise InvalidInputError(
                    f"{where}.message_seq: a {e.type.value} event names its message"
                )
            if e.message_seq > messages:
                raise InvalidInputError(
                    f"{where}.message_seq: names message {e.message_seq}, which the record "
                    "does not have"
                )
            if "message" in e.data:
                raise InvalidInputError(
                    f"{where}.data.message: the message is restored from messages "
                    "(message_seq names it)"
                )
        elif e.message_seq is not None:
            raise InvalidInputError(
                f"{where}.message_seq: only a {EventType.MESSAGE_CREATED.value} event names a "
                "message"
            )
    try:
        plain_json([e.data for e in events], "event data")  # one pass for the whole log
    except InvalidInputError:
        # Which event (each is stored on its own, so the log as a whole may be too large).
        for index, e in enumerate(events):
            _plain(e.data, f"events[{index}].data")


def _event_data(event: EventFields, messages: Sequence[Message]) -> dict[str, Any]:
    """The event's data as the store reads it: a ``message.created`` event carries its
    message."""
    if event.message_seq is None:
        return dict(event.data)
    return {**event.data, "message": message_event_data(messages[event.message_seq - 1])}


def _plain(value: dict[str, Any], where: str) -> dict[str, Any]:
    """``value`` if the store will accept it as JSON (size, depth, no NUL), else an error
    naming the field (never its content)."""
    try:
        plain_json(value, "the value")
    except InvalidInputError as exc:
        raise InvalidInputError(f"{where}: {exc}") from None
    return value


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
        provenance=_plain(fields.provenance, "evaluation.provenance"),
    )


@overload
def _utc(value: datetime) -> datetime: ...
@overload
def _utc(value: datetime | None) -> datetime | None: ...
def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


# ---------------------------------------------------------------------- error messages


#: Fields holding what a candidate said, a résumé, an evaluation's text or an event's data: an
#: error names the field but never shows its value (error lines end up in terminals, cron
#: mail and CI logs).
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
        "data",
    }
)


def _unsupported(version: object) -> str:
    readable = " and ".join(str(v) for v in READABLE_VERSIONS)
    return f"record version {version!r} is not supported (this release reads {readable})"


def _describe(errors: list[ErrorDetails]) -> str:
    """The first problem pydantic found, worded for a person fixing the file."""
    first = errors[0]
    location = error_location(first["loc"])
    value = first.get("input")
    if first["type"] == "json_invalid":
        problem = f"malformed JSON ({first['msg'].removeprefix('Invalid JSON: ')})"
    elif first["type"] == "missing":
        problem = f"{location}: required field missing"
    elif location == "format":
        problem = f"format is {_preview(value)}, expected {FORMAT!r}: not a session export record"
    elif location == "version":
        problem = _unsupported(value)
    elif first["type"] == "extra_forbidden":
        problem = f"{location}: unknown field"
    else:
        private = any(part in _PRIVATE_FIELDS for part in first["loc"])
        shown = "" if private or isinstance(value, dict | list) else f" (got {_preview(value)})"
        problem = f"{location}: {first['msg']}{shown}" if location else f"{first['msg']}{shown}"
    more = len(errors) - 1
    return problem + (f" (and {more} more problem{'s' * (more > 1)} on this line)" if more else "")


def _preview(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."

"""Rows ↔ domain objects, one codec per entity, written once for every module of the store.

``encode`` gives the column values of an insert; ``decode`` the domain object of a row. A row
the domain refuses was written by something else (or by hand): ``decode`` says so with a
``DataStoreError`` naming the session, never an "invalid input" the caller did not send.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any, Final, TypeVar

from ..access import ApiKey, KeyRole, LinkKind, SessionLink
from ..errors import DataStoreError
from ..models import (
    CommunicationMode,
    DimensionScore,
    EndReason,
    EvaluationReport,
    EvaluationStatus,
    EventType,
    InterviewerNote,
    Message,
    NewMessage,
    Role,
    Session,
    SessionConfig,
    SessionEvent,
    SessionStatus,
    TransitionRecord,
    message_event_data,
    plain_json,
    stored_instance,
)
from ..ports import DeliveryStatus, EvaluationOutcome, Webhook, WebhookDelivery

T = TypeVar("T")
#: Stored enum values to members (a lookup, not an enum call, per row read).
_STATUSES: Final = {status.value: status for status in SessionStatus}
_ROLES: Final = {role.value: role for role in Role}
_MODES: Final = {mode.value: mode for mode in CommunicationMode}
#: A row by column name: a SQLAlchemy ``RowMapping``, or a dict from a ``DriverStatement``.
Row = Mapping[Any, Any]


def decoded(decode: Callable[[Row], T], row: Row) -> T:
    """``decode(row)``, with a row the domain refuses reported as stored data that cannot be
    read (and which session it belongs to)."""
    try:
        return decode(row)
    except (ValueError, KeyError, TypeError) as exc:  # InvalidInputError is a ValueError
        key = row.get("session_id", row.get("id"))
        raise DataStoreError(f"stored data of session {key!r} cannot be read: {exc}") from exc


class SessionCodec:
    """``sessions`` rows: the config without the résumé, which has its own column."""

    @staticmethod
    def encode(session: Session) -> dict[str, Any]:
        config = session.config
        return {
            "id": session.id,
            "tenant_id": session.tenant_id,
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
            "event_count": session.event_count,
            "turn_seq": session.turn_seq,
            "turn_expires_at": session.turn_expires_at,
            "phase": session.phase,
            "turn_count": session.turn_count,
        }

    @staticmethod
    def decode(row: Row) -> Session:
        """The session of a row the store wrote, its config not validated again."""
        config = SessionConfig.from_stored({**row["config"], "resume_data": row["resume_data"]})
        return SessionCodec._session(row, config)

    @staticmethod
    def decode_checked(row: Row) -> Session:
        """``decode`` with the config validated as if new: for what leaves the system (an
        export), where a row damaged in the database must be named, not carried along."""
        config = SessionConfig.from_dict({**row["config"], "resume_data": row["resume_data"]})
        return SessionCodec._session(row, config)

    @staticmethod
    def _session(row: Row, config: SessionConfig) -> Session:
        # Every field of ``Session``, in its declared order (a unit test checks the set).
        return stored_instance(
            Session,
            {
                "id": row["id"],
                "user_id": row["user_id"],
                "status": _STATUSES[row["status"]],
                "config": config,
                "created_at": row["created_at"],
                "tenant_id": row["tenant_id"],
                "started_at": row["started_at"],
                "ended_at": row["ended_at"],
                "end_reason": None if row["end_reason"] is None else EndReason(row["end_reason"]),
                "overall_score": _float(row["overall_score"]),
                "message_count": row["message_count"],
                "last_activity_at": row["last_activity_at"],
                "active_seconds": float(row["active_seconds"]),
                "active_since": row["active_since"],
                "version": row["version"],
                "interviewer_state": row["interviewer_state"] or {},
                "event_count": row["event_count"],
                "turn_seq": row["turn_seq"],
                "turn_expires_at": row["turn_expires_at"],
                "phase": row["phase"],
                "turn_count": row["turn_count"],
            },
        )


class MessageCodec:
    """``messages`` rows: ``seq`` is the only order, never the timestamp."""

    @staticmethod
    def encode(session_id: str, message: Message) -> dict[str, Any]:
        return {
            "session_id": session_id,
            "seq": message.seq,
            "role": Role(message.role).value,
            "mode": CommunicationMode(message.mode).value,
            "content": message.content,
            "created_at": message.created_at,
            "late": message.late,
            "client_message_id": message.client_message_id,
            "reply_to": message.reply_to,
        }

    @staticmethod
    def numbered(session_id: str, seq: int, new: NewMessage, *, late: bool = False) -> Message:
        """The stored form of ``new`` as message ``seq`` (timestamps reported in UTC, as a read
        would; the column type has refused naive ones)."""
        return Message(
            session_id=session_id,
            seq=seq,
            role=Role(new.role),
            mode=CommunicationMode(new.mode),
            content=new.content,
            created_at=new.created_at.astimezone(UTC),
            late=late,
            client_message_id=new.client_message_id,
            reply_to=new.reply_to,
        )

    @staticmethod
    def decode(row: Row) -> Message:
        # Every field of ``Message``, in its declared order (a unit test checks the set).
        return stored_instance(
            Message,
            {
                "session_id": row["session_id"],
                "seq": row["seq"],
                "role": _ROLES[row["role"]],
                "mode": _MODES[row["mode"]],
                "content": row["content"],
                "created_at": row["created_at"],
                "late": bool(row["late"]),
                "client_message_id": row["client_message_id"],
                "reply_to": row["reply_to"],
            },
        )


class TransitionCodec:
    """``transitions`` rows: the audit trail of status changes."""

    @staticmethod
    def encode(record: TransitionRecord) -> dict[str, Any]:
        return {
            "session_id": record.session_id,
            "from_status": record.from_status.value,
            "to_status": record.to_status.value,
            "operation": record.operation,
            "reason": record.reason,
            "at": record.at,
        }

    @staticmethod
    def decode(row: Row) -> TransitionRecord:
        return TransitionRecord(
            session_id=row["session_id"],
            from_status=SessionStatus(row["from_status"]),
            to_status=SessionStatus(row["to_status"]),
            operation=row["operation"],
            reason=row["reason"],
            at=row["at"],
        )


class NoteCodec:
    """``interviewer_notes`` rows: private notes, never part of the transcript."""

    @staticmethod
    def encode(note: InterviewerNote) -> dict[str, Any]:
        return {
            "session_id": note.session_id,
            "message_seq": note.message_seq,
            "content": note.content,
            "created_at": note.created_at,
        }

    @staticmethod
    def decode(row: Row) -> InterviewerNote:
        return InterviewerNote(
            session_id=row["session_id"],
            message_seq=row["message_seq"],
            content=row["content"],
            created_at=row["created_at"],
        )


class EvaluationCodec:
    """``evaluations`` rows; dimension scores keep the rubric's order."""

    @staticmethod
    def scores(scores: Mapping[str, DimensionScore]) -> dict[str, Any]:
        # Built by hand, not through plain_json, which would sort the dimensions.
        return {
            str(key): {
                "score": None if score.score is None else int(score.score),
                "evidence": [int(seq) for seq in score.evidence],
                "rationale": str(score.rationale),
            }
            for key, score in scores.items()
        }

    @classmethod
    def outcome(cls, outcome: EvaluationOutcome) -> dict[str, Any]:
        """The columns a finished run sets."""
        return {
            "status": EvaluationStatus(outcome.status).value,
            "overall_score": outcome.overall_score,
            "coverage": outcome.coverage,
            "dimension_scores": cls.scores(outcome.dimension_scores),
            "strengths": plain_json(list(outcome.strengths), "strengths"),
            "improvements": plain_json(list(outcome.improvements), "improvements"),
            "summary": outcome.summary,
            "provider": outcome.provider,
            "model": outcome.model,
            "template": outcome.template,
            "rubric_version": outcome.rubric_version,
            "provenance": plain_json(dict(outcome.provenance), "provenance"),
        }

    @classmethod
    def encode(cls, report: EvaluationReport) -> dict[str, Any]:
        return {
            "session_id": report.session_id,
            "status": report.status.value,
            "overall_score": report.overall_score,
            "coverage": report.coverage,
            "dimension_scores": cls.scores(report.dimension_scores),
            "strengths": plain_json(list(report.strengths), "strengths"),
            "improvements": plain_json(list(report.improvements), "improvements"),
            "summary": report.summary,
            "provider": report.provider,
            "model": report.model,
            "template": report.template,
            "rubric_version": report.rubric_version,
            "provenance": plain_json(dict(report.provenance), "provenance"),
            "error": report.error,
            "attempts": report.attempts,
            "created_at": report.created_at,
            "updated_at": report.updated_at,
            "started_at": report.started_at,
            "completed_at": report.completed_at,
        }

    @staticmethod
    def decode(row: Row) -> EvaluationReport:
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
            overall_score=_float(row["overall_score"]),
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
            coverage=_float(row["coverage"]),
            template=row["template"],
            rubric_version=row["rubric_version"],
            error=row["error"],
            attempts=row["attempts"],
            provenance=row["provenance"] or {},
        )


class EventCodec:
    """``events`` rows. A ``message.created`` row names its message (``message_seq``); the
    reader joins the message's columns (prefixed ``m_``) to give the event its text."""

    @staticmethod
    def encode(event: SessionEvent, message_seq: int | None = None) -> dict[str, Any]:
        """The row of ``event``. Its data is the library's own (built by the store and the
        manager from validated values), so it is stored as it is, without another check."""
        data = event.data
        if event.type is EventType.MESSAGE_CREATED and "message" in data:
            data = {k: v for k, v in data.items() if k != "message"}  # the text lives once
        return {
            "session_id": event.session_id,
            "tenant_id": event.tenant_id,
            "seq": event.id,
            "type": event.type.value,
            "data": data,
            "message_seq": message_seq,
            "created_at": event.created_at,
        }

    @staticmethod
    def decode(row: Row) -> SessionEvent:
        data: dict[str, Any] = dict(row["data"] or {})
        if row["message_seq"] is not None and row["m_seq"] is not None:
            data["message"] = message_event_data(
                Message(
                    session_id=row["session_id"],
                    seq=row["m_seq"],
                    role=Role(row["m_role"]),
                    mode=CommunicationMode(row["m_mode"]),
                    content=row["m_content"],
                    created_at=row["m_created_at"],
                    late=bool(row["m_late"]),
                    client_message_id=row["m_client_message_id"],
                    reply_to=row["m_reply_to"],
                )
            )
        return SessionEvent(
            id=row["seq"],
            type=EventType(row["type"]),
            session_id=row["session_id"],
            data=data,
            created_at=row["created_at"],
            tenant_id=row["tenant_id"],
        )


def _float(value: Any) -> float | None:
    """A REAL column as a float: SQLite's RETURNING gives back an int that was bound as one."""
    return None if value is None else float(value)


class ApiKeyCodec:
    """``api_keys`` rows (the token hash is written by the store, never read back)."""

    @staticmethod
    def encode(key: ApiKey) -> dict[str, Any]:
        return {
            "id": key.id,
            "name": key.name,
            "role": key.role.value,
            "tenant_id": key.tenant_id,
            "hint": key.hint,
            "created_at": key.created_at,
            "revoked_at": key.revoked_at,
            "last_used_at": key.last_used_at,
        }

    @staticmethod
    def decode(row: Row) -> ApiKey:
        return ApiKey(
            id=row["id"],
            name=row["name"],
            role=KeyRole(row["role"]),
            tenant_id=row["tenant_id"],
            hint=row["hint"],
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
            last_used_at=row["last_used_at"],
        )


class SessionLinkCodec:
    """``session_links`` rows (the token hash is written by the store, never read back)."""

    @staticmethod
    def encode(link: SessionLink) -> dict[str, Any]:
        return {
            "id": link.id,
            "session_id": link.session_id,
            "tenant_id": link.tenant_id,
            "kind": link.kind.value,
            "hint": link.hint,
            "created_at": link.created_at,
            "expires_at": link.expires_at,
            "revoked_at": link.revoked_at,
        }

    @staticmethod
    def decode(row: Row) -> SessionLink:
        return SessionLink(
            id=row["id"],
            session_id=row["session_id"],
            tenant_id=row["tenant_id"],
            kind=LinkKind(row["kind"]),
            hint=row["hint"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            revoked_at=row["revoked_at"],
        )


class WebhookCodec:
    """``webhooks`` rows; the event types are stored as their names."""

    @staticmethod
    def encode(webhook: Webhook) -> dict[str, Any]:
        return {
            "id": webhook.id,
            "tenant_id": webhook.tenant_id,
            "url": webhook.url,
            "event_types": [t.value for t in webhook.event_types],
            "secret": webhook.secret,
            "created_at": webhook.created_at,
            "disabled_at": webhook.disabled_at,
        }

    @staticmethod
    def decode(row: Row) -> Webhook:
        return Webhook(
            id=row["id"],
            tenant_id=row["tenant_id"],
            url=row["url"],
            event_types=tuple(EventType(t) for t in row["event_types"] or ()),
            secret=row["secret"],
            created_at=row["created_at"],
            disabled_at=row["disabled_at"],
        )


class WebhookDeliveryCodec:
    """``webhook_deliveries`` rows (written by the store's statements, read here)."""

    @staticmethod
    def decode(row: Row) -> WebhookDelivery:
        return WebhookDelivery(
            id=int(row["id"]),
            webhook_id=row["webhook_id"],
            event_id=int(row["event_id"]),
            session_id=row["session_id"],
            event_seq=row["event_seq"],
            event_type=EventType(row["event_type"]),
            status=DeliveryStatus(row["status"]),
            attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"],
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
            last_status_code=row["last_status_code"],
            last_error=row["last_error"],
        )

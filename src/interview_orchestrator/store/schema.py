"""The database schema: typed declarative mappings whose metadata Alembic migrates.

The store reads and writes these tables with Core statements (``SESSIONS`` etc.); the mapped
classes exist so that the schema has one typed definition and autogenerate can compare it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ..errors import InvalidInputError
from ..models import EvaluationStatus, SessionStatus
from .encryption import EncryptedJSON, EncryptedText

#: Alembic's recommended naming convention, so that every constraint has a stable name that a
#: later migration can drop or alter (SQLite batch mode needs names to find constraints).
NAMING_CONVENTION: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is timezone-aware UTC going in and coming out, on every backend.

    SQLite keeps no offset, so values are converted to UTC before they are stored and get UTC
    attached when read; a naive datetime is refused because its meaning would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise InvalidInputError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInputError(
                f"naive datetime {value.isoformat()} refused: timestamps must be timezone-aware"
            )
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """On SQLite, the stored text (``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC) parsed by
        ``datetime.fromisoformat`` in one step: SQLAlchemy's regular expression and a second
        conversion cost several times more, on every timestamp of every row read."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)

        return process


def _in(column: str, values: type[SessionStatus] | type[EvaluationStatus]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SessionRow(Base):
    """One interview. ``version`` is the compare-and-set counter of status changes."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), server_default=text("'default'"))
    user_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    ai_provider: Mapped[str] = mapped_column(String(64))
    # The SessionConfig without the résumé, which has its own (optionally encrypted) column.
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    resume_data: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    interviewer_state: Mapped[dict[str, Any]] = mapped_column(JSON, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    active_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    active_seconds: Mapped[float] = mapped_column(Float, server_default=text("0"))
    end_reason: Mapped[str | None] = mapped_column(String(32))
    overall_score: Mapped[float | None] = mapped_column(Float)
    message_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # The cursor of the newest event of the session's log (events.seq).
    event_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # One turn at a time: the candidate message waiting for its reply, until when.
    turn_seq: Mapped[int | None] = mapped_column(Integer)
    turn_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The interview phase the interviewer reported last (phase.changed events compare to it).
    phase: Mapped[str | None] = mapped_column(String(64))
    # Turns answered so far (the candidate's messages with a reply): the turn budget counts them.
    turn_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    __table_args__ = (
        CheckConstraint(_in("status", SessionStatus), name="status"),
        # A user's sessions, newest first (across tenants: an operator's lookup).
        Index("ix_sessions_user_id_created_at_id", "user_id", "created_at", "id"),
        # A tenant's user's sessions, newest first.
        Index(
            "ix_sessions_tenant_id_user_id_created_at_id",
            "tenant_id",
            "user_id",
            "created_at",
            "id",
        ),
        # A tenant's sessions, newest first.
        Index("ix_sessions_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        # Sessions in one status (the listing filter, the active-session lookup).
        Index("ix_sessions_status_created_at", "status", "created_at"),
        # All sessions, newest first.
        Index("ix_sessions_created_at_id", "created_at", "id"),
        # At most one ACTIVE session per candidate of a tenant, enforced by the database.
        Index(
            "uq_sessions_tenant_id_user_id_active",
            "tenant_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class MessageRow(Base):
    """One transcript entry; ``seq`` (1, 2, 3 ...) is the only order, never the timestamp."""

    __tablename__ = "messages"

    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    late: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # The caller's idempotency key of a candidate message (unique per session).
    client_message_id: Mapped[str | None] = mapped_column(String(128))
    # An interviewer reply: the seq of the candidate message it answers.
    reply_to: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index(
            "uq_messages_session_id_client_message_id",
            "session_id",
            "client_message_id",
            unique=True,
        ),
    )


class InterviewerNoteRow(Base):
    """The interviewer's private notes for the evaluator, each with the message it came with.
    Never part of the transcript; deleted with the session."""

    __tablename__ = "interviewer_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sessions.id", ondelete="CASCADE")
    )
    message_seq: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    # A session's notes in the order they were written.
    __table_args__ = (Index("ix_interviewer_notes_session_id_id", "session_id", "id"),)


class TransitionRow(Base):
    """The audit trail of status changes."""

    __tablename__ = "transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sessions.id", ondelete="CASCADE")
    )
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    operation: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_transitions_session_id_id", "session_id", "id"),)


class EvaluationRow(Base):
    """The evaluation of one completed session; (status, attempts) is its compare-and-set key."""

    __tablename__ = "evaluations"

    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))
    overall_score: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float | None] = mapped_column(Float)
    # dimension id -> {"score": int | None, "evidence": [seq, ...], "rationale": str}
    dimension_scores: Mapped[dict[str, Any]] = mapped_column(JSON, server_default=text("'{}'"))
    strengths: Mapped[list[str]] = mapped_column(JSON, server_default=text("'[]'"))
    improvements: Mapped[list[str]] = mapped_column(JSON, server_default=text("'[]'"))
    summary: Mapped[str] = mapped_column(Text, server_default=text("''"))
    provider: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200))
    template: Mapped[str | None] = mapped_column(String(64))
    rubric_version: Mapped[str | None] = mapped_column(String(64))
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, server_default=text("'{}'"))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A RUNNING evaluation belongs to its runner until then (renewed while it works); after
    # that another runner may take it over.
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        CheckConstraint(_in("status", EvaluationStatus), name="status"),
        # The sweeper's and the workers' query: pending or stale evaluations, oldest first.
        Index("ix_evaluations_status_updated_at", "status", "updated_at"),
    )


class EventRow(Base):
    """The session's event log: one row per change, written in the change's transaction.

    ``seq`` is the per-session cursor (1, 2, 3 ...); ``id`` orders the whole log. A
    ``message.created`` event refers to its message by ``message_seq`` rather than copying its
    text, so the text is stored (and encrypted, and erased) in one place.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sessions.id", ondelete="CASCADE")
    )
    tenant_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, server_default=text("'{}'"))
    message_seq: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # A session's events after a cursor; one row per (session, seq).
        Index("uq_events_session_id_seq", "session_id", "seq", unique=True),
        # A tenant's events in log order (dispatchers).
        Index("ix_events_tenant_id_id", "tenant_id", "id"),
    )


class ApiKeyRow(Base):
    """An API key: a role within a tenant. Only the SHA-256 of its token is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'service', 'reviewer')", name="role"),
        Index("uq_api_keys_token_hash", "token_hash", unique=True),
        Index("ix_api_keys_tenant_id_created_at", "tenant_id", "created_at"),
    )


class SessionLinkRow(Base):
    """A token bound to one session (its candidate's, or a reviewer's), expiring, revocable."""

    __tablename__ = "session_links"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("sessions.id", ondelete="CASCADE")
    )
    tenant_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("kind IN ('candidate', 'review')", name="kind"),
        Index("uq_session_links_token_hash", "token_hash", unique=True),
        Index("ix_session_links_session_id", "session_id"),
    )


class WebhookRow(Base):
    """An endpoint of a tenant that hears the events it subscribed to (empty: all)."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSON, server_default=text("'[]'"))
    # The signing secret must be read back to sign: encrypted at rest when keys are set.
    secret: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_webhooks_tenant_id", "tenant_id"),)


class WebhookDeliveryRow(Base):
    """One event for one endpoint: pending until delivered, retried with backoff, failed after
    a day. ``event_id`` is the log's ``events.id`` (not a foreign key: a purge may remove the
    event before its delivery is done)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    webhook_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("webhooks.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(BigInteger)
    session_id: Mapped[str] = mapped_column(String(36))
    event_seq: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index("uq_webhook_deliveries_webhook_id_event_id", "webhook_id", "event_id", unique=True),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),
    )


class DispatchCursorRow(Base):
    """How far a reader of the whole event log (the webhook dispatcher) has come."""

    __tablename__ = "dispatch_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RateLimitWindowRow(Base):
    """Requests counted per bucket (a key or a link, and a kind of route) per time window, in
    the database so that the limit holds across server processes."""

    __tablename__ = "rate_limit_windows"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, server_default=text("0"))


metadata: Final = Base.metadata
SESSIONS: Final = cast(Table, SessionRow.__table__)
MESSAGES: Final = cast(Table, MessageRow.__table__)
TRANSITIONS: Final = cast(Table, TransitionRow.__table__)
INTERVIEWER_NOTES: Final = cast(Table, InterviewerNoteRow.__table__)
EVALUATIONS: Final = cast(Table, EvaluationRow.__table__)
EVENTS: Final = cast(Table, EventRow.__table__)
API_KEYS: Final = cast(Table, ApiKeyRow.__table__)
SESSION_LINKS: Final = cast(Table, SessionLinkRow.__table__)
WEBHOOKS: Final = cast(Table, WebhookRow.__table__)
WEBHOOK_DELIVERIES: Final = cast(Table, WebhookDeliveryRow.__table__)
DISPATCH_CURSORS: Final = cast(Table, DispatchCursorRow.__table__)
RATE_LIMIT_WINDOWS: Final = cast(Table, RateLimitWindowRow.__table__)

"""The database schema: Core tables whose metadata Alembic migrates and compares.

The store reads and writes these tables with Core statements (``SESSIONS`` etc.). They are
Core ``Table``s rather than declarative classes so that a process that only runs interviews
never imports SQLAlchemy's ORM (about 6 MiB); every column states its nullability, as the
migrations do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
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


metadata: Final = MetaData(naming_convention=NAMING_CONVENTION)


#: One interview. ``version`` is the compare-and-set counter of status changes.
SESSIONS: Final = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(64), server_default=text("'default'"), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("template", String(64), nullable=False),
    Column("ai_provider", String(64), nullable=False),
    # The SessionConfig without the résumé, which has its own (optionally encrypted) column.
    Column("config", JSON, nullable=False),
    Column("resume_data", EncryptedJSON),
    Column("interviewer_state", JSON, server_default=text("'{}'"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("ended_at", UtcDateTime),
    Column("last_activity_at", UtcDateTime),
    Column("active_since", UtcDateTime),
    Column("active_seconds", Float, server_default=text("0"), nullable=False),
    Column("end_reason", String(32)),
    Column("overall_score", Float),
    Column("message_count", Integer, server_default=text("0"), nullable=False),
    Column("version", Integer, server_default=text("0"), nullable=False),
    # The cursor of the newest event of the session's log (events.seq).
    Column("event_count", Integer, server_default=text("0"), nullable=False),
    # One turn at a time: the candidate message waiting for its reply, until when.
    Column("turn_seq", Integer),
    Column("turn_expires_at", UtcDateTime),
    # The interview phase the interviewer reported last (phase.changed events compare to it).
    Column("phase", String(64)),
    # Turns answered so far (the candidate's messages with a reply): the turn budget counts them.
    Column("turn_count", Integer, server_default=text("0"), nullable=False),
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


#: One transcript entry; ``seq`` (1, 2, 3 ...) is the only order, never the timestamp.
MESSAGES: Final = Table(
    "messages",
    metadata,
    Column(
        "session_id", String(36), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("role", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("content", EncryptedText, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("late", Boolean, server_default=false(), nullable=False),
    # The caller's idempotency key of a candidate message (unique per session).
    Column("client_message_id", String(128)),
    # An interviewer reply: the seq of the candidate message it answers.
    Column("reply_to", Integer),
    Index(
        "uq_messages_session_id_client_message_id",
        "session_id",
        "client_message_id",
        unique=True,
    ),
)


#: The interviewer's private notes for the evaluator, each with the message it came with. Never
#: part of the transcript; deleted with the session.
INTERVIEWER_NOTES: Final = Table(
    "interviewer_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(36), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("message_seq", Integer, nullable=False),
    Column("content", EncryptedText, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # A session's notes in the order they were written.
    Index("ix_interviewer_notes_session_id_id", "session_id", "id"),
)


#: The audit trail of status changes.
TRANSITIONS: Final = Table(
    "transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(36), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("from_status", String(16), nullable=False),
    Column("to_status", String(16), nullable=False),
    Column("operation", String(16), nullable=False),
    Column("reason", String(64)),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_transitions_session_id_id", "session_id", "id"),
)


#: The evaluation of one completed session; (status, attempts) is its compare-and-set key.
EVALUATIONS: Final = Table(
    "evaluations",
    metadata,
    Column(
        "session_id", String(36), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("status", String(16), nullable=False),
    Column("overall_score", Float),
    Column("coverage", Float),
    # dimension id -> {"score": int | None, "evidence": [seq, ...], "rationale": str}
    Column("dimension_scores", JSON, server_default=text("'{}'"), nullable=False),
    Column("strengths", JSON, server_default=text("'[]'"), nullable=False),
    Column("improvements", JSON, server_default=text("'[]'"), nullable=False),
    Column("summary", Text, server_default=text("''"), nullable=False),
    Column("provider", String(64)),
    Column("model", String(200)),
    Column("template", String(64)),
    Column("rubric_version", String(64)),
    Column("provenance", JSON, server_default=text("'{}'"), nullable=False),
    Column("error", Text),
    Column("attempts", Integer, server_default=text("0"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("completed_at", UtcDateTime),
    # A RUNNING evaluation belongs to its runner until then (renewed while it works); after
    # that another runner may take it over.
    Column("lease_expires_at", UtcDateTime),
    Column("claimed_by", String(128)),
    CheckConstraint(_in("status", EvaluationStatus), name="status"),
    # The sweeper's and the workers' query: pending or stale evaluations, oldest first.
    Index("ix_evaluations_status_updated_at", "status", "updated_at"),
)


#: The session's event log: one row per change, written in the change's transaction.  ``seq`` is
#: the per-session cursor (1, 2, 3 ...); ``id`` orders the whole log. A ``message.created``
#: event refers to its message by ``message_seq`` rather than copying its text, so the text is
#: stored (and encrypted, and erased) in one place.
EVENTS: Final = Table(
    "events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("session_id", String(36), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("data", JSON, server_default=text("'{}'"), nullable=False),
    Column("message_seq", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    # A session's events after a cursor; one row per (session, seq).
    Index("uq_events_session_id_seq", "session_id", "seq", unique=True),
    # A tenant's events in log order (dispatchers).
    Index("ix_events_tenant_id_id", "tenant_id", "id"),
)


#: An API key: a role within a tenant. Only the SHA-256 of its token is kept.
API_KEYS: Final = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("hint", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
    CheckConstraint("role IN ('admin', 'service', 'reviewer')", name="role"),
    Index("uq_api_keys_token_hash", "token_hash", unique=True),
    Index("ix_api_keys_tenant_id_created_at", "tenant_id", "created_at"),
)


#: A token bound to one session (its candidate's, or a reviewer's), expiring, revocable.
SESSION_LINKS: Final = Table(
    "session_links",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("session_id", String(36), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("tenant_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("hint", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    CheckConstraint("kind IN ('candidate', 'review')", name="kind"),
    Index("uq_session_links_token_hash", "token_hash", unique=True),
    Index("ix_session_links_session_id", "session_id"),
)


#: An endpoint of a tenant that hears the events it subscribed to (empty: all).
WEBHOOKS: Final = Table(
    "webhooks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("event_types", JSON, server_default=text("'[]'"), nullable=False),
    # The signing secret must be read back to sign: encrypted at rest when keys are set.
    Column("secret", EncryptedText, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),
    Index("ix_webhooks_tenant_id", "tenant_id"),
)


#: One event for one endpoint: pending until delivered, retried with backoff, failed after a
#: day. ``event_id`` is the log's ``events.id`` (not a foreign key: a purge may remove the event
#: before its delivery is done).
WEBHOOK_DELIVERIES: Final = Table(
    "webhook_deliveries",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("webhook_id", String(36), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("session_id", String(36), nullable=False),
    Column("event_seq", Integer, nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, server_default=text("0"), nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("lease_expires_at", UtcDateTime),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    Index("uq_webhook_deliveries_webhook_id_event_id", "webhook_id", "event_id", unique=True),
    Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),
)


#: How far a reader of the whole event log (the webhook dispatcher) has come.
DISPATCH_CURSORS: Final = Table(
    "dispatch_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("last_event_id", BigInteger, server_default=text("0"), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


#: Requests counted per bucket (a key or a link, and a kind of route) per time window, in the
#: database so that the limit holds across server processes.
RATE_LIMIT_WINDOWS: Final = Table(
    "rate_limit_windows",
    metadata,
    Column("bucket", String(200), primary_key=True),
    Column("window_start", UtcDateTime, primary_key=True),
    Column("hits", Integer, server_default=text("0"), nullable=False),
)

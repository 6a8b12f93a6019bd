"""tenants, turns and events: tenant ids, one turn at a time, evaluation leases, the event log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 09:00:00+00:00

Written by hand against ``interview_orchestrator.store.schema`` and checked with ``alembic
check`` on SQLite and PostgreSQL. Self-contained on purpose: it imports nothing from the
application. Every existing session joins the tenant ``default`` (the column's server default
backfills it); the one-ACTIVE-session rule becomes per (tenant, user). New columns only, so no
batch mode is needed on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("status = 'active'")
_NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION interview_events_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('interview_events', NEW.session_id || ' ' || NEW.seq || ' ' || NEW.seq);
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""
_NOTIFY_TRIGGER = """
CREATE TRIGGER events_notify AFTER INSERT ON events
FOR EACH ROW EXECUTE FUNCTION interview_events_notify()
"""


def upgrade() -> None:
    # --- tenants
    op.add_column(
        "sessions",
        sa.Column(
            "tenant_id", sa.String(length=64), server_default=sa.text("'default'"), nullable=False
        ),
    )
    op.drop_index("uq_sessions_user_id_active", table_name="sessions")
    op.create_index(
        "uq_sessions_tenant_id_user_id_active",
        "sessions",
        ["tenant_id", "user_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    # A user's sessions across tenants keep their index (an operator's lookup); the tenant's
    # own listings get theirs.
    op.create_index(
        "ix_sessions_tenant_id_user_id_created_at_id",
        "sessions",
        ["tenant_id", "user_id", "created_at", "id"],
    )
    op.create_index(
        "ix_sessions_tenant_id_created_at_id", "sessions", ["tenant_id", "created_at", "id"]
    )

    # --- turns and the event cursor
    op.add_column(
        "sessions",
        sa.Column("event_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("sessions", sa.Column("turn_seq", sa.Integer(), nullable=True))
    op.add_column(
        "sessions", sa.Column("turn_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("sessions", sa.Column("phase", sa.String(length=64), nullable=True))
    op.add_column("messages", sa.Column("client_message_id", sa.String(length=128), nullable=True))
    op.add_column("messages", sa.Column("reply_to", sa.Integer(), nullable=True))
    op.create_index(
        "uq_messages_session_id_client_message_id",
        "messages",
        ["session_id", "client_message_id"],
        unique=True,
    )

    # --- evaluation leases
    op.add_column(
        "evaluations", sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("evaluations", sa.Column("claimed_by", sa.String(length=128), nullable=True))

    # --- the event log
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("message_seq", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_events_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("uq_events_session_id_seq", "events", ["session_id", "seq"], unique=True)
    op.create_index("ix_events_tenant_id_id", "events", ["tenant_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        # Listeners in every process wake up at the commit that adds an event; the database
        # sends it, so a turn costs no extra round trip.
        op.execute(_NOTIFY_FUNCTION)
        op.execute(_NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_notify ON events")
        op.execute("DROP FUNCTION IF EXISTS interview_events_notify()")
    op.drop_table("events")
    op.drop_column("evaluations", "claimed_by")
    op.drop_column("evaluations", "lease_expires_at")
    op.drop_index("uq_messages_session_id_client_message_id", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("reply_to")
        batch.drop_column("client_message_id")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("phase")
        batch.drop_column("turn_expires_at")
        batch.drop_column("turn_seq")
        batch.drop_column("event_count")
    op.drop_index("ix_sessions_tenant_id_created_at_id", table_name="sessions")
    op.drop_index("ix_sessions_tenant_id_user_id_created_at_id", table_name="sessions")
    op.drop_index("uq_sessions_tenant_id_user_id_active", table_name="sessions")
    op.create_index(
        "uq_sessions_user_id_active",
        "sessions",
        ["user_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("tenant_id")

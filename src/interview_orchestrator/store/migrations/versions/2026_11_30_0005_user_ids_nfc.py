"""user ids in Unicode normal form C

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:00:00+00:00

The library now keeps user ids in normal form C ("jos\\u00e9" and "jose\\u0301" are one
candidate) and normalises every lookup the same way; ids stored before would no longer be
found by their other spelling. This rewrites them. Two spellings of one candidate that both
hold an ACTIVE session in one tenant cannot be merged by a migration (one must be ended
first): the upgrade stops, naming the sessions, and changes nothing.

Written by hand, self-contained on purpose: it imports nothing from the application. No schema
change; the downgrade keeps the normalised ids (the old spellings are not recorded).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SESSIONS = sa.table(
    "sessions",
    sa.column("id", sa.String),
    sa.column("tenant_id", sa.String),
    sa.column("user_id", sa.String),
    sa.column("status", sa.String),
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_SESSIONS.c.id, _SESSIONS.c.tenant_id, _SESSIONS.c.user_id, _SESSIONS.c.status)
    ).all()
    renamed = {
        row.id: unicodedata.normalize("NFC", row.user_id)
        for row in rows
        if unicodedata.normalize("NFC", row.user_id) != row.user_id
    }
    if not renamed:
        return
    active: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows:
        if row.status == "active":
            active[(row.tenant_id, renamed.get(row.id, row.user_id))].append(row.id)
    clashes = sorted(ids for ids in active.values() if len(ids) > 1)
    if clashes:
        listed = "; ".join(", ".join(sorted(ids)) for ids in clashes)
        raise RuntimeError(
            "two spellings of one user id each hold an ACTIVE session (sessions "
            f"{listed}): end one of each pair, then run the upgrade again"
        )
    for session_id, user_id in renamed.items():
        connection.execute(
            sa.update(_SESSIONS).where(_SESSIONS.c.id == session_id).values(user_id=user_id)
        )


def downgrade() -> None:
    """Nothing to undo: normal form C is a valid spelling for the earlier code too."""

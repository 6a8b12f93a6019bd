"""Rate-limit counters: hits per bucket per fixed window, counted by the database.

One statement per hit (an upsert that returns the new count) on both databases, so a limit
holds across every server process sharing the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .schema import RATE_LIMIT_WINDOWS
from .transactions import Transactions, require_aware


class RateLimitRepository:
    """The ``RateLimitStore`` on SQLAlchemy Core."""

    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    def hit(self, bucket: str, *, window_start: datetime) -> int:
        """Count one request in ``bucket``'s window starting at ``window_start``; the window's
        count including it."""
        require_aware(window_start, "window_start")
        insert: Any = postgresql_insert if self._tx.is_postgres else sqlite_insert
        statement = (
            insert(RATE_LIMIT_WINDOWS)
            .values(bucket=bucket, window_start=window_start, hits=1)
            .on_conflict_do_update(
                index_elements=[RATE_LIMIT_WINDOWS.c.bucket, RATE_LIMIT_WINDOWS.c.window_start],
                set_={"hits": RATE_LIMIT_WINDOWS.c.hits + 1},
            )
            .returning(RATE_LIMIT_WINDOWS.c.hits)
        )
        return self._tx.write(
            "count a request", lambda conn: int(conn.execute(statement).scalar_one())
        )

    def forget_windows_before(self, before: datetime) -> int:
        """Delete the counters of windows that started before ``before``; how many."""
        require_aware(before, "before")
        statement = delete(RATE_LIMIT_WINDOWS).where(RATE_LIMIT_WINDOWS.c.window_start < before)

        def tx(conn: Connection) -> int:
            return int(conn.execute(statement).rowcount)

        return self._tx.write("forget old rate-limit windows", tx)

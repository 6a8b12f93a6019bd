"""The transaction runner every store module shares: one short transaction per call, lock
contention retried, database errors turned into the library's errors.

Concurrency is settled by the database, never by Python locks. A write transaction on SQLite
begins ``IMMEDIATE`` (``engine.py``), so writers queue instead of deadlocking; reads begin
``DEFERRED`` and never wait for a writer. ``snapshot`` reads see one consistent state across
several statements (PostgreSQL ``REPEATABLE READ``; a SQLite read transaction is one already).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Final, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from ..errors import DataStoreError, InterviewPlatformError, InvalidInputError
from .engine import SQLITE_BEGIN_OPTION
from .events import COMMITTED_KEY

#: Told ``(session_id, first, last)`` after a commit that added those events to the log.
EventsCommitted = Callable[[str, int, int], None]

T = TypeVar("T")

#: SQLite reports lock contention with these; PostgreSQL with SQLSTATE 40001 / 40P01.
_BUSY_MARKERS: Final = ("database is locked", "database is busy", "database table is locked")
_RETRY_SQLSTATES: Final = frozenset({"40001", "40P01"})
#: A schema older than the code: PostgreSQL undefined table / column; SQLite's wording.
_MISSING_SCHEMA_SQLSTATES: Final = frozenset({"42P01", "42703"})
_MISSING_SCHEMA_MARKERS: Final = ("no such table", "no such column", "has no column named")
UPGRADE_HINT: Final = (
    "the database schema is missing or older than this version: run "
    "`interview-orchestrator db upgrade` (or Container().engine() with "
    "database.auto_migrate) against it"
)


class Transactions:
    """Runs functions of a ``Connection`` in transactions on one engine.

    ``max_attempts`` bounds the retries of a transaction that met lock contention (SQLite
    "database is locked", PostgreSQL serialization failure or deadlock).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_attempts: int = 5,
        retry_delay: float = 0.02,
        on_events: EventsCommitted | None = None,
    ):
        if max_attempts < 1:
            raise InvalidInputError("max_attempts must be at least 1")
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.is_postgres = engine.dialect.name == "postgresql"
        # A read is its statements, each seeing the committed state of its moment (PostgreSQL
        # READ COMMITTED semantics on both): no BEGIN, no COMMIT, no round trips for them.
        self._reader = engine.execution_options(
            **(
                {SQLITE_BEGIN_OPTION: "NONE"}
                if self.is_sqlite
                else {"isolation_level": "AUTOCOMMIT"}
            )
        )
        self._snapshot = engine.execution_options(
            **(
                {SQLITE_BEGIN_OPTION: "DEFERRED"}
                if self.is_sqlite
                else {"isolation_level": "REPEATABLE READ"}
            )
        )
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        #: Told of every batch of events once its transaction has committed.
        self.on_events = on_events

    def read(self, what: str, fn: Callable[[Connection], T]) -> T:
        """``fn``'s statements, each on its own (no transaction around them: use ``snapshot``
        when they must see one state); never takes SQLite's write lock."""
        return self._run(self._reader, what, fn, pass_integrity=False)

    def snapshot(self, what: str, fn: Callable[[Connection], T]) -> T:
        """``fn`` in a read transaction that sees one consistent state throughout."""
        return self._run(self._snapshot, what, fn, pass_integrity=False)

    def write(self, what: str, fn: Callable[[Connection], T], *, pass_integrity: bool = False) -> T:
        """``fn`` in a write transaction, committed when it returns, rolled back if it raises.

        ``pass_integrity`` lets an ``IntegrityError`` reach the caller, which knows what the
        violated constraint means; the transaction has been rolled back by then.
        """
        return self._run(self.engine, what, fn, pass_integrity=pass_integrity)

    def _run(
        self, engine: Engine, what: str, fn: Callable[[Connection], T], *, pass_integrity: bool
    ) -> T:
        attempt = 1
        reconnected = False
        while True:
            written: list[tuple[str, int, int]] = []
            committing = False
            try:
                with engine.begin() as conn:
                    conn.info[COMMITTED_KEY] = written
                    try:
                        result = fn(conn)
                    finally:
                        if not conn.invalidated:  # a lost connection keeps no info to clear
                            conn.info.pop(COMMITTED_KEY, None)
                    committing = True
                self._announce(written)
                return result
            except InterviewPlatformError:
                raise
            except IntegrityError as exc:
                if pass_integrity:
                    raise
                raise translate(what, exc) from exc
            except DBAPIError as exc:
                if exc.connection_invalidated and not committing and not reconnected:
                    # The connection was dead (a restarted server): the transaction never
                    # reached its commit, so the server has nothing of it; run it once more
                    # on a new connection. A commit cut off is not retried: its outcome is
                    # unknown.
                    reconnected = True
                    continue
                if (
                    isinstance(exc, OperationalError)
                    and attempt < self._max_attempts
                    and is_contention(exc)
                ):
                    time.sleep(self._retry_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
                    attempt += 1
                    continue
                raise translate(what, exc) from exc
            except SQLAlchemyError as exc:
                raise translate(what, exc) from exc

    def _announce(self, written: list[tuple[str, int, int]]) -> None:
        if self.on_events is None:
            return
        for session_id, first, last in written:
            try:
                self.on_events(session_id, first, last)
            except Exception:  # a wake-up that fails never fails the committed change
                continue


def translate(what: str, exc: SQLAlchemyError) -> InterviewPlatformError:
    """The library's error for a failed statement."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, InterviewPlatformError):
        # Raised by our own column types (a naive datetime, say) while binding parameters.
        return orig
    return store_error(what, exc)


def store_error(what: str, exc: SQLAlchemyError) -> DataStoreError:
    """A ``DataStoreError`` naming what failed, why in words, and the driver's first line."""
    orig = getattr(exc, "orig", None)
    cause = orig if orig is not None else exc
    detail = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    if isinstance(exc, OperationalError) and is_contention(exc):
        hint = "the database stayed locked by another writer; try again"
    elif is_missing_schema(exc):
        hint = UPGRADE_HINT
    elif isinstance(exc, IntegrityError):
        hint = "it conflicts with stored data"
    elif isinstance(exc, DBAPIError) and exc.connection_invalidated:
        hint = "the connection to the database was lost"
    elif isinstance(exc, OperationalError) and _is_connection_refused(detail):
        hint = "could not connect to the database: check that it is running and the URL"
    else:
        hint = "database error"
    return DataStoreError(f"could not {what}: {hint} ({type(cause).__name__}: {detail})")


def is_missing_schema(exc: SQLAlchemyError) -> bool:
    """The statement met a table or column the database does not have (not migrated)."""
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in _MISSING_SCHEMA_SQLSTATES:
        return True
    message = str(getattr(exc, "orig", exc)).lower()
    return any(marker in message for marker in _MISSING_SCHEMA_MARKERS)


def _is_connection_refused(detail: str) -> bool:
    """A PostgreSQL (psycopg) connection that could not be made."""
    return detail.startswith("connection failed") or "Connection refused" in detail


def is_contention(exc: OperationalError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return any(marker in message for marker in _BUSY_MARKERS)


def require_aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value

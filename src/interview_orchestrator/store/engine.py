"""Engines configured for durability and for the store's concurrency rules.

SQLite: foreign keys on, WAL, ``synchronous=FULL`` (a lost turn is a lost interview), a busy
timeout, and SQLAlchemy in charge of ``BEGIN`` so that write transactions take the write lock
up front (``BEGIN IMMEDIATE``): two writers then queue instead of deadlocking on a lock
upgrade. PostgreSQL: psycopg 3 with pre-ping, so a restarted server costs no failed request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from ..errors import InvalidInputError
from .encryption import FieldCipher, attach

SqliteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]

#: Execution option naming how a SQLite transaction begins; the store sets it to "DEFERRED"
#: on its read-only engine so that readers never take the write lock.
SQLITE_BEGIN_OPTION: Final = "interview_sqlite_begin"
_BEGIN_MODES: Final = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
_SYNCHRONOUS: Final = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})
SQLITE_BUSY_TIMEOUT_MS: Final = 5000


def normalize_url(url: str | URL) -> URL:
    """The URL with PostgreSQL pointed at psycopg 3, or ``InvalidInputError`` if unusable."""
    if isinstance(url, str):
        text = url.strip()
        if not text:
            raise InvalidInputError("database URL must not be empty")
        for prefix in ("postgres://", "postgresql://"):
            if text.startswith(prefix):
                text = "postgresql+psycopg://" + text[len(prefix) :]
                break
        try:
            parsed = make_url(text)
        except ArgumentError:
            raise InvalidInputError(
                "invalid database URL: expected e.g. 'sqlite:///var/interviews.db' or "
                "'postgresql://user@host:5432/dbname'"
            ) from None
    else:
        parsed = url
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise InvalidInputError(
            f"unsupported database {backend!r} in URL: use sqlite:///path.db or postgresql://..."
        )
    if backend == "postgresql" and "+" not in parsed.drivername:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and parsed.get_driver_name() not in ("pysqlite", ""):
        raise InvalidInputError(
            f"unsupported SQLite driver {parsed.get_driver_name()!r}: use sqlite:///path.db"
        )
    return parsed


def is_memory_sqlite(url: URL) -> bool:
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and (
        database in ("", ":memory:")
        or database.startswith("file::memory:")
        or url.query.get("mode") == "memory"
    )


def create_engine_for(
    url: str | URL,
    *,
    echo: bool = False,
    sqlite_synchronous: SqliteSynchronous = "FULL",
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    cipher: FieldCipher | None = None,
) -> Engine:
    """An engine for ``url`` (SQLite file or PostgreSQL), configured as this module describes.

    ``sqlite_busy_timeout_ms`` is how long a SQLite statement waits for another writer's lock
    before "database is locked". An in-memory SQLite URL gives one shared connection: for
    single-threaded tests only.
    """
    parsed = normalize_url(url)
    sync = str(sqlite_synchronous).upper()
    if sync not in _SYNCHRONOUS:
        raise InvalidInputError(
            f"sqlite_synchronous must be one of {', '.join(sorted(_SYNCHRONOUS))}, "
            f"got {sqlite_synchronous!r}"
        )
    timeout = sqlite_busy_timeout_ms
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
        raise InvalidInputError("sqlite_busy_timeout_ms must be a non-negative integer")
    try:
        if parsed.get_backend_name() == "postgresql":
            engine = create_engine(parsed, echo=echo, pool_pre_ping=True, hide_parameters=True)
        else:
            engine = _create_sqlite_engine(
                parsed, echo=echo, synchronous=sync, busy_timeout_ms=timeout
            )
    except (ArgumentError, NoSuchModuleError) as exc:
        raise InvalidInputError(f"cannot use database URL {parsed!r}: {exc}") from exc
    attach(engine, cipher)
    return engine


def _create_sqlite_engine(
    url: URL, *, echo: bool, synchronous: str, busy_timeout_ms: int
) -> Engine:
    kwargs: dict[str, Any] = {}
    if is_memory_sqlite(url):
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        assert url.database is not None
        path = Path(url.database).expanduser()
        if not url.database.startswith("file:"):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InvalidInputError(
                    f"cannot create the directory of SQLite database {str(path)!r}: {exc}"
                ) from exc
    # hide_parameters: errors and echo never show message texts or résumé data.
    engine = create_engine(url, echo=echo, hide_parameters=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take BEGIN away from the sqlite3 module (it would emit a deferred BEGIN, late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        mode = str(options.get(SQLITE_BEGIN_OPTION, "IMMEDIATE")).upper()
        if mode not in _BEGIN_MODES:
            mode = "IMMEDIATE"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine

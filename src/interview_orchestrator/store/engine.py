"""Engines configured for durability and for the store's concurrency rules.

SQLite: foreign keys on, WAL, ``synchronous=FULL`` (a lost turn is a lost interview), a busy
timeout, and SQLAlchemy in charge of ``BEGIN`` so that write transactions take the write lock
up front (``BEGIN IMMEDIATE``): two writers then queue instead of deadlocking on a lock
upgrade. SQLite's ``secure_delete`` is on, so erased rows leave no text in free pages whatever
the build's default. Each connection remembers the file it opened (device and inode): a write
transaction into a file that was since removed or replaced fails with ``DataStoreError`` at
its begin and at its commit, rather than report success for data that would vanish with the
unlinked file. PostgreSQL: psycopg 3, without a pre-ping at each checkout: a transaction that
meets a connection lost before its commit (a restarted server) is retried once on a new one, so
a restart costs no failed request and a healthy server no extra round trip.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from ..errors import DataStoreError, InvalidInputError
from .encryption import FieldCipher, attach

SqliteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]

#: Execution option naming how a SQLite transaction begins; the store sets it to "DEFERRED"
#: for reads that must see one state across statements (readers never take the write lock),
#: and to "NONE" for reads that need no transaction at all: each statement then runs in
#: SQLite's own implicit one, with no BEGIN and no COMMIT to pay for.
SQLITE_BEGIN_OPTION: Final = "interview_sqlite_begin"
_BEGIN_MODES: Final = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
_NO_BEGIN: Final = "NONE"
_POSTGRES_POOL_RECYCLE_S: Final = 1800
_SYNCHRONOUS: Final = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})
SQLITE_BUSY_TIMEOUT_MS: Final = 5000
#: Key, in a SQLite connection's ``info``, of the ``OpenedFile`` it opened.
_OPENED_FILE: Final = "interview_sqlite_file"


@dataclass(frozen=True)
class OpenedFile:
    """The database file a SQLite connection opened, by identity (device, inode): the path
    may come to name another file, or none, while the connection still writes to this one."""

    path: str
    device: int
    inode: int

    @classmethod
    def at(cls, path: str) -> OpenedFile:
        found = os.stat(path)
        return cls(path, found.st_dev, found.st_ino)

    def require_in_place(self) -> None:
        """Raise ``DataStoreError`` unless ``path`` still names this file (one ``stat``)."""
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            pass
        else:
            if (found.st_dev, found.st_ino) == (self.device, self.inode):
                return
        raise file_gone(self.path)


def file_gone(path: str) -> DataStoreError:
    return DataStoreError(
        f"the database file {path!r} was removed or replaced while in use, so this change was "
        "not stored: put the file back (or restore it from a backup) and restart the process"
    )


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
            # No pre-ping: it is a round trip at every checkout. A transaction whose connection
            # turns out dead before its commit is retried on a new one (``transactions.py``);
            # pool_recycle drops connections idle long enough for a firewall to forget them.
            engine = create_engine(
                parsed, echo=echo, pool_recycle=_POSTGRES_POOL_RECYCLE_S, hide_parameters=True
            )
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
    #: The file this engine's connections opened (once one has): if it is gone, a new
    #: connection must not silently create an empty database in its place.
    opened: list[str] = []

    @event.listens_for(engine, "do_connect")
    def _on_do_connect(*_args: Any) -> None:
        if opened and not os.path.exists(opened[0]):
            raise file_gone(opened[0])

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # Take BEGIN away from the sqlite3 module (it would emit a deferred BEGIN, late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            # Erased rows are overwritten, not left readable in free pages (not every build's
            # default).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            main = [row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"]
        finally:
            cursor.close()
        if main and main[0]:  # an in-memory or temporary database has no file
            record.info[_OPENED_FILE] = OpenedFile.at(main[0])
            if not opened:
                opened.append(main[0])

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        mode = str(options.get(SQLITE_BEGIN_OPTION, "IMMEDIATE")).upper()
        if mode == _NO_BEGIN:
            return
        if mode not in _BEGIN_MODES:
            mode = "IMMEDIATE"
        if mode != "DEFERRED":
            _require_file_in_place(connection)
        _begin_on_driver(connection, f"BEGIN {mode}")

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Connection) -> None:
        # A write that would commit into an unlinked file is refused (and rolled back).
        mode = str(connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "")).upper()
        if mode not in ("DEFERRED", _NO_BEGIN):
            _require_file_in_place(connection)

    return engine


def _begin_on_driver(connection: Connection, statement: str) -> None:
    """Send ``BEGIN`` straight to the driver: through SQLAlchemy's statement path it cost as
    much as a statement of the transaction. A driver error is raised as SQLAlchemy's
    ``OperationalError``, so that the store still retries a busy database and translates the
    rest."""
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        driver.execute(statement)
    except sqlite3.Error as exc:
        raise OperationalError(statement, None, exc) from exc


def _require_file_in_place(connection: Connection) -> None:
    opened = connection.info.get(_OPENED_FILE)
    if opened is not None:
        opened.require_in_place()

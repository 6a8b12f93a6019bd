"""The databases a benchmark runs on: fresh SQLite files, or scratch PostgreSQL databases.

Every measurement gets an empty database of its own, removed afterwards: SQLite files in the
directory of the URL given (named after it), PostgreSQL databases ``bench_<random>`` created
on the server of the URL given and dropped when done. Nothing else on that server is touched.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from interview_orchestrator.store import create_engine_for, upgrade
from interview_orchestrator.store.engine import normalize_url

Kind = Literal["sqlite", "postgresql"]
DEFAULT_SQLITE_URL: Final = "sqlite:///bench/out/bench.db"
#: PostgreSQL server settings that decide what a commit costs, recorded with the results.
POSTGRES_SETTINGS: Final = (
    "server_version",
    "synchronous_commit",
    "fsync",
    "wal_sync_method",
    "full_page_writes",
    "shared_buffers",
)


@dataclass(frozen=True)
class Backend:
    """A database system to measure on, named by the URL the user gave."""

    kind: Kind
    url: URL

    @classmethod
    def parse(cls, text: str) -> Backend:
        url = normalize_url(text)
        kind: Kind = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
        if kind == "sqlite" and not url.database:
            raise ValueError("a SQLite benchmark needs a file URL, e.g. sqlite:///bench/out/b.db")
        return cls(kind, url)

    @property
    def label(self) -> str:
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    @contextlib.contextmanager
    def fresh(self, purpose: str) -> Iterator[str]:
        """The URL of a new, empty database for ``purpose``; removed on exit."""
        suffix = f"{purpose}_{uuid.uuid4().hex[:10]}"
        if self.kind == "sqlite":
            assert self.url.database is not None
            base = Path(self.url.database)
            path = base.with_name(f"{base.stem}-{suffix}.db")
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                yield self.url.set(database=str(path)).render_as_string(hide_password=False)
            finally:
                for extra in ("", "-wal", "-shm", "-journal"):
                    path.with_name(path.name + extra).unlink(missing_ok=True)
            return
        name = f"bench_{suffix}"
        with self._admin() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield self.url.set(database=name).render_as_string(hide_password=False)
        finally:
            with self._admin() as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

    def server_settings(self) -> dict[str, str]:
        """The settings that decide the cost of a commit on this backend."""
        if self.kind == "sqlite":
            return {}
        with self._admin() as admin:
            settings: dict[str, str] = {}
            for name in POSTGRES_SETTINGS:
                row = admin.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
                settings[name] = "" if row is None else str(row[0])
            return settings

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(libpq_url(self.url), autocommit=True)


def libpq_url(url: URL | str) -> str:
    """``url`` as a libpq connection URI, for plain psycopg."""
    parsed = normalize_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def sqlite_path(url: str) -> str:
    """The file of a SQLite URL."""
    database = normalize_url(url).database
    assert database is not None
    return database


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the library's current schema."""
    engine = create_engine_for(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()

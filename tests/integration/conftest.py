"""Real databases for integration tests: a SQLite file and, when configured, PostgreSQL.

Fixtures other test packages reuse: ``database_url`` (parametrized: sqlite, postgresql),
``engine`` and ``store`` on it; ``sqlite_url`` / ``postgres_url`` for one backend; the
production ``container`` on it (logging off) and its unscoped ``manager``. Every
database is migrated with the packaged Alembic scripts (never ``create_all``) and empty at
the start of each test: SQLite is a new file per test, PostgreSQL a new database per module,
truncated before each test.
PostgreSQL needs ``TEST_POSTGRES_URL`` (a server where the user may create databases), e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; unset, those tests are skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from interview_orchestrator import Container, SessionConfig, SessionManager
from interview_orchestrator.interviewer.offline import OfflineInterviewer
from interview_orchestrator.ports import InterviewContext, InterviewerReply
from interview_orchestrator.store import SqlAlchemyDataStore, create_engine_for, upgrade
from interview_orchestrator.store.engine import normalize_url
from interview_orchestrator.store.schema import metadata

POSTGRES_ENV = "TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _url_text(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _migrate(url: str) -> str:
    engine = create_engine_for(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[URL, Engine]]:
    """The server named by TEST_POSTGRES_URL and an AUTOCOMMIT engine to create databases."""
    raw = os.environ.get(POSTGRES_ENV, "").strip()
    if not raw:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests skipped")
    url = normalize_url(raw)
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        admin.dispose()
        pytest.fail(
            f"{POSTGRES_ENV} is set but PostgreSQL at {url!r} is unreachable: {exc}",
            pytrace=False,
        )
    yield url, admin
    admin.dispose()


class _PostgresDatabases:
    """Creates uniquely named empty databases on the test server and drops them (forcibly)."""

    def __init__(self, server_url: URL, admin: Engine) -> None:
        self._server_url = server_url
        self._admin = admin
        self._created: list[str] = []

    def create(self) -> str:
        name = f"io_test_{uuid.uuid4().hex[:16]}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self._created.append(name)
        return _url_text(self._server_url.set(database=name))

    def drop_all(self) -> None:
        with self._admin.connect() as conn:
            for name in self._created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._created.clear()


@pytest.fixture
def new_postgres_database(
    postgres_server: tuple[URL, Engine],
) -> Iterator[Callable[[], str]]:
    """Makes fresh, uniquely named, empty databases; drops them after the test."""
    databases = _PostgresDatabases(*postgres_server)
    yield databases.create
    databases.drop_all()


@pytest.fixture(scope="module")
def _postgres_module_database(postgres_server: tuple[URL, Engine]) -> Iterator[str]:
    """One migrated database per test module (CREATE DATABASE costs ~0.25 s; tests empty it)."""
    databases = _PostgresDatabases(*postgres_server)
    yield _migrate(databases.create())
    databases.drop_all()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database file under ``tmp_path``."""
    return _migrate(f"sqlite:///{tmp_path / 'interviews.db'}")


@pytest.fixture
def postgres_url(_postgres_module_database: str) -> str:
    """A migrated PostgreSQL database with every table empty (skipped without
    TEST_POSTGRES_URL): the module's database, truncated before each test."""
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    engine = create_engine(_postgres_module_database, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            # A test that left a transaction open must not hang the next one.
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
    return _postgres_module_database


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated database on each backend in turn."""
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}[request.param]
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(params=BACKENDS)
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database with no schema at all, on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'blank.db'}"
    make: Callable[[], str] = request.getfixturevalue("new_postgres_database")
    return make()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> SqlAlchemyDataStore:
    return SqlAlchemyDataStore(engine)


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    """The production container on the test database (each backend in turn), logging off;
    its resources are shut down after the test."""
    built = Container()
    built.config.database.url.from_value(database_url)
    built.config.logging.enabled.from_value(False)
    yield built
    built.shutdown_resources()


@pytest.fixture
def manager(container: Container) -> SessionManager:
    """An unscoped manager on ``container``: it sees every tenant (an operator's view)."""
    built: SessionManager = container.session_manager()
    return built


# ---------------------------------------------------------------------- a hooked interviewer


class HookedInterviewer:
    """The offline interviewer, except that ``reply`` first runs ``before_reply`` (if set):
    a test blocks there, or breaks the database, while the reply is being generated."""

    def __init__(self, inner: OfflineInterviewer) -> None:
        self._inner = inner
        self.before_reply: Callable[[], object] | None = None

    def check_config(self, config: SessionConfig) -> None:
        self._inner.check_config(config)

    def initialize(self, session_id: str, resume_data: Any, *, config: SessionConfig) -> Any:
        return self._inner.initialize(session_id, resume_data, config=config)

    def opening_question(self, context: InterviewContext) -> InterviewerReply:
        return self._inner.opening_question(context)

    def reply(self, context: InterviewContext) -> InterviewerReply:
        if self.before_reply is not None:
            self.before_reply()
        return self._inner.reply(context)


@pytest.fixture
def hook_interviewer() -> Callable[[Container], HookedInterviewer]:
    """``hook_interviewer(container)`` makes the container's offline interviewer a
    ``HookedInterviewer`` (call it before the container's first session manager)."""

    def install(container: Container) -> HookedInterviewer:
        hooked = HookedInterviewer(OfflineInterviewer(container.templates()))
        container.interviewers.override(providers.Dict(offline=providers.Object(hooked)))
        return hooked

    return install

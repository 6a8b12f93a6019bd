"""A small real data set for the archive's tests: interviews run by the offline provider
through the production container, at chosen ages, in two tenants, on each database in turn."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers
from sqlalchemy import Engine, select
from tests.planted import PLANTED_MESSAGE, planted_resume

from interview_orchestrator import CommunicationMode, Container, SessionConfig, SessionManager
from interview_orchestrator.archive import export_sessions
from interview_orchestrator.ports import SessionFilter
from interview_orchestrator.store.archive import SqlAlchemyArchive
from interview_orchestrator.store.schema import metadata

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = NOW - timedelta(days=400)
RECENT = NOW - timedelta(days=10)
ANSWERS = [
    PLANTED_MESSAGE,
    "High level: a load balancer, stateless API servers, a cache and a sharded database.",
]
Rows = dict[str, list[tuple[Any, ...]]]


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


#: The tenant of ``other_tenant``'s sessions (the data set's are in ``default``).
OTHER_TENANT = "globex"


@dataclass
class DataSet:
    """Session ids by name: ``<user>_<age>_<status>``, all in the default tenant."""

    ada_old_completed: str
    ada_old_active: str
    bob_old_created: str
    bob_old_paused: str
    bob_recent_completed: str
    cyd_recent_active: str
    #: The creation time of the oldest and of the recent sessions.
    old: datetime = OLD
    recent: datetime = RECENT

    @property
    def ids(self) -> list[str]:
        """Every session id, oldest first."""
        return [
            self.ada_old_completed,
            self.ada_old_active,
            self.bob_old_created,
            self.bob_old_paused,
            self.bob_recent_completed,
            self.cyd_recent_active,
        ]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(OLD)


def make_container(database_url: str, clock: MovableClock) -> Container:
    """The production container on a database, a movable clock, logging off."""
    built = Container()
    built.config.database.url.from_value(database_url)
    built.config.database.auto_migrate.from_value("always")
    built.config.logging.enabled.from_value(False)
    built.clock.override(providers.Object(clock))
    return built


@pytest.fixture
def container(database_url: str, clock: MovableClock) -> Iterator[Container]:
    built = make_container(database_url, clock)
    yield built
    built.shutdown_resources()


@pytest.fixture
def manager(container: Container) -> SessionManager:
    manager: SessionManager = container.session_manager()
    return manager


@pytest.fixture
def archive(container: Container) -> SqlAlchemyArchive:
    archive: SqlAlchemyArchive = container.session_archive()
    return archive


def _config(user: str) -> SessionConfig:
    return SessionConfig(
        enabled_modes=[CommunicationMode.TEXT, CommunicationMode.WHITEBOARD],
        resume_data=planted_resume(user_id=user),
        metadata={"cohort": "2026-q4", "ünïcödé": "✓"},
    )


@pytest.fixture
def dataset(manager: SessionManager, clock: MovableClock) -> DataSet:
    """Six sessions of three candidates: old (400 days) and recent (10 days), in every status,
    with transcripts, transitions, interviewer notes and evaluations."""
    return build_dataset(manager, clock)


@dataclass
class OtherTenant:
    """Sessions of tenant ``globex`` whose users have the same ids as the data set's: an old
    completed and a recent active session of ``ada``, a recent active one of ``cyd``."""

    ada_old_completed: str
    ada_recent_active: str
    cyd_recent_active: str
    name: str = OTHER_TENANT

    @property
    def ids(self) -> list[str]:
        return [self.ada_old_completed, self.ada_recent_active, self.cyd_recent_active]


@pytest.fixture
def other_tenant(dataset: DataSet, manager: SessionManager, clock: MovableClock) -> OtherTenant:
    """``globex``'s sessions, next to the data set (which is built first)."""
    interviews = Interviews(manager.for_tenant(OTHER_TENANT), clock)
    clock.now = OLD + timedelta(hours=1)
    ada_old_completed = interviews.completed("ada")
    clock.now = RECENT + timedelta(hours=1)
    made = OtherTenant(
        ada_old_completed=ada_old_completed,
        ada_recent_active=interviews.active("ada"),
        cyd_recent_active=interviews.active("cyd"),
    )
    clock.now = RECENT + timedelta(hours=2)
    return made


@pytest.fixture(scope="module")
def bob_export(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """The export lines of bob's three sessions (created, paused, completed), made once per
    module on a scratch database, for tests that need valid records but not stored ones."""
    url = f"sqlite:///{tmp_path_factory.mktemp('scratch') / 'scratch.db'}"
    built = make_container(url, MovableClock(OLD))
    try:
        build_dataset(built.session_manager(), built.clock())
        out = io.BytesIO()
        export_sessions(built.session_archive(), SessionFilter(user_id="bob"), out)
    finally:
        built.shutdown_resources()
    return out.getvalue().splitlines(keepends=True)


class Interviews:
    """Interviews run through one manager (so, in its tenant) on the movable clock."""

    def __init__(self, manager: SessionManager, clock: MovableClock) -> None:
        self.manager = manager
        self.clock = clock

    def new(self, user: str) -> str:
        return self.manager.create_session(_config(user)).id

    def talk(self, session_id: str) -> None:
        for number, answer in enumerate(ANSWERS, start=1):
            self.clock.advance(seconds=7.25)
            self.manager.send_message(session_id, answer, client_message_id=f"answer-{number}")
        self.manager.send_message(
            session_id, "[box: cache] -> [box: db]", CommunicationMode.WHITEBOARD
        )

    def completed(self, user: str) -> str:
        session_id = self.new(user)
        self.manager.start_session(session_id)
        self.talk(session_id)
        self.clock.advance(minutes=3)
        self.manager.pause_session(session_id)
        self.manager.resume_session(session_id)
        self.manager.end_session(session_id)
        return session_id

    def active(self, user: str) -> str:
        session_id = self.new(user)
        self.manager.start_session(session_id)
        self.talk(session_id)
        return session_id


def build_dataset(manager: SessionManager, clock: MovableClock) -> DataSet:
    interviews = Interviews(manager, clock)

    def later(make: Callable[[str], str], user: str) -> str:
        clock.advance(minutes=1)
        return make(user)

    ada_old_completed = interviews.completed("ada")
    ada_old_active = later(interviews.active, "ada")
    bob_old_created = later(interviews.new, "bob")
    bob_old_paused = later(interviews.active, "bob")
    manager.pause_session(bob_old_paused)
    clock.now = RECENT
    return DataSet(
        ada_old_completed=ada_old_completed,
        ada_old_active=ada_old_active,
        bob_old_created=bob_old_created,
        bob_old_paused=bob_old_paused,
        bob_recent_completed=interviews.completed("bob"),
        cyd_recent_active=later(interviews.active, "cyd"),
    )


def snapshot(engine: Engine) -> Rows:
    """Every row of every table (autoincrement ids left out), sorted: two databases hold the
    same data exactly when their snapshots are equal."""
    rows: Rows = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if not (c.name == "id" and c.autoincrement is True)]
            found = conn.execute(select(*columns)).all()
            rows[table.name] = sorted((tuple(row) for row in found), key=repr)
    return rows


@pytest.fixture
def rows(engine: Engine) -> Callable[[], Rows]:
    return lambda: snapshot(engine)


def count_rows(snap: Rows) -> dict[str, int]:
    return {name: len(found) for name, found in snap.items()}

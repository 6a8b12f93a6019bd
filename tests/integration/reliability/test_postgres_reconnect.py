"""PostgreSQL without a pre-ping: a pooled connection that the server dropped (a restart, an
administrator's ``pg_terminate_backend``) costs no failed request, because a transaction that
finds its connection dead before its commit runs once more on a new one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from interview_orchestrator import Role, SessionConfig, SessionManager, SessionStatus

pytestmark = pytest.mark.postgres


def drop_connections(admin: Engine, name: str) -> int:
    """Terminate every server process of database ``name``; how many there were."""
    with admin.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar_one()
    return int(dropped)


@dataclass
class Started:
    """A session started through a container on a database of its own, and a way to have the
    server drop every connection the container's pool holds."""

    manager: SessionManager
    sid: str
    drop: Callable[[], int]


@pytest.fixture
def started(
    new_postgres_database: Callable[[], str],
    make_container: Callable[[str], Any],
    postgres_server: tuple[URL, Engine],
) -> Started:
    url = new_postgres_database()
    container = make_container(url)
    container.config.database.auto_migrate.from_value("always")
    manager = container.session_manager()
    sid = manager.create_session(SessionConfig()).id
    manager.start_session(sid)
    name = url.rsplit("/", 1)[-1]
    return Started(manager, sid, lambda: drop_connections(postgres_server[1], name))


def test_a_turn_after_the_server_dropped_the_pooled_connections_succeeds(
    started: Started,
) -> None:
    manager, sid = started.manager, started.sid
    manager.send_message(sid, "a first answer, on a pooled connection")
    assert started.drop() >= 1

    manager.send_message(sid, "a second answer, after the server dropped it")

    transcript = manager.get_transcript(sid)
    candidate = [m.content for m in transcript if m.role is Role.CANDIDATE]
    assert candidate[-1] == "a second answer, after the server dropped it"
    assert len(transcript) == 5  # opening, two answers and their two replies, none twice


def test_reads_and_status_changes_after_the_server_dropped_the_connections_succeed(
    started: Started,
) -> None:
    manager, sid = started.manager, started.sid
    assert started.drop() >= 1
    assert manager.get_session(sid).status is SessionStatus.ACTIVE
    assert started.drop() >= 1
    assert manager.pause_session(sid).status is SessionStatus.PAUSED
    assert started.drop() >= 1
    assert [s.id for s in manager.list_sessions(limit=10)] == [sid]

"""A process killed while evaluating leaves a RUNNING evaluation with a lease: until the lease
ends a retry is refused with the runner that holds it and when its lease ends; after that, a
retry (even a forced one) takes the evaluation over and finishes it, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers
from sqlalchemy import select

from interview_orchestrator import (
    Container,
    EvaluationInProgressError,
    EvaluationStatus,
    EventType,
    SessionConfig,
    SessionManager,
)
from interview_orchestrator.store.schema import EVALUATIONS

#: Ends the session and evaluates it in this process, which SIGKILLs itself once it holds the
#: evaluation (``INTERVIEW_FAULTS``).
ENDER = textwrap.dedent(
    """
    import sys
    from interview_orchestrator import Container
    container = Container()
    container.config.database.url.from_value(sys.argv[1])
    container.config.logging.enabled.from_value(False)
    container.session_manager().end_session(sys.argv[2], evaluate="now")
    print("survived")
    """
)
LEASE = timedelta(seconds=60)


def container_on(url: str, *, later: timedelta = timedelta(0)) -> Container:
    container = Container()
    container.config.database.url.from_value(url)
    container.config.logging.enabled.from_value(False)
    container.config.evaluation.lease_seconds.from_value(int(LEASE.total_seconds()))
    if later:
        container.clock.override(providers.Object(lambda: datetime.now(UTC) + later))
    return container


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    container = container_on(database_url)
    yield container
    container.shutdown_resources()


def killed_while_evaluating(url: str, manager: SessionManager) -> tuple[str, int]:
    """A session whose ending process died holding its evaluation: (session id, its pid)."""
    session = manager.create_session(SessionConfig())
    manager.start_session(session.id)
    manager.send_message(session.id, "I would shard by user id and cache hot keys.")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    env["INTERVIEW_FAULTS"] = "evaluation.after_claim=kill"
    child = subprocess.Popen(
        [sys.executable, "-c", ENDER, url, session.id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    assert "survived" not in out
    return session.id, child.pid


def stored_lease(container: Container, session_id: str) -> tuple[str | None, datetime]:
    query = select(EVALUATIONS.c.claimed_by, EVALUATIONS.c.lease_expires_at).where(
        EVALUATIONS.c.session_id == session_id
    )
    with container.engine().connect() as conn:
        claimed_by, expires = conn.execute(query).one()
    return claimed_by, expires


def test_a_retry_while_the_dead_runners_lease_holds_names_the_runner_and_the_lease_end(
    database_url: str, container: Any
) -> None:
    manager = container.session_manager()
    sid, pid = killed_while_evaluating(database_url, manager)
    claimed_by, expires = stored_lease(container, sid)
    assert claimed_by is not None and f":{pid}:" in claimed_by

    with pytest.raises(EvaluationInProgressError) as refused:
        manager.retry_evaluation(sid, force=True)

    message = str(refused.value)
    assert repr(claimed_by) in message
    assert expires.isoformat(timespec="seconds").replace("+00:00", "Z") in message
    evaluation = manager.get_evaluation(sid)
    assert evaluation is not None and evaluation.status is EvaluationStatus.RUNNING
    assert evaluation.attempts == 1


def test_a_forced_retry_after_the_lease_ends_takes_the_evaluation_over_and_finishes_it_once(
    database_url: str, container: Any
) -> None:
    sid, _pid = killed_while_evaluating(database_url, container.session_manager())
    later = container_on(database_url, later=LEASE + timedelta(seconds=1))
    try:
        report = later.session_manager().retry_evaluation(sid, force=True)

        assert report.status is EvaluationStatus.READY
        assert report.attempts == 2
        statuses = [
            event.data["status"]
            for event in later.session_manager().events(sid, limit=1000)
            if event.type is EventType.EVALUATION_UPDATED
        ]
        # Ended (pending), claimed by the dead process, taken over, finished: READY once.
        assert statuses == ["pending", "running", "running", "ready"]
    finally:
        later.shutdown_resources()

"""A process killed (SIGKILL) at any step of send_message or end_session leaves the old state
or the new one, never half of each; after a restart nothing is stuck."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers

from interview_orchestrator import (
    Container,
    EvaluationStatus,
    Role,
    SessionConfig,
    SessionManager,
    SessionStatus,
    TurnInProgressError,
)

CHILD = textwrap.dedent(
    """
    import sys
    from interview_orchestrator import Container
    container = Container()
    container.config.database.url.from_value(sys.argv[1])
    container.config.logging.enabled.from_value(False)
    manager = container.session_manager()
    if sys.argv[2] == "send":
        manager.send_message(sys.argv[3], "I would shard by key and cache hot keys: keep this.")
    else:
        manager.end_session(sys.argv[3])
    print("survived")
    """
)


def container_on(url: str, *, later: timedelta = timedelta(0)) -> Container:
    container = Container()
    container.config.database.url.from_value(url)
    container.config.logging.enabled.from_value(False)
    container.config.lifecycle.pending_grace_seconds.from_value(0)
    if later:
        container.clock.override(providers.Object(lambda: datetime.now(UTC) + later))
    return container


@pytest.fixture
def manager(database_url: str) -> Iterator[SessionManager]:
    container = container_on(database_url)
    yield container.session_manager()
    container.shutdown_resources()


def crash(url: str, operation: str, session_id: str, point: str) -> None:
    """Run ``operation`` in a child process that SIGKILLs itself at ``point``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    env["INTERVIEW_FAULTS"] = f"{point}=kill"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url, operation, session_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert "survived" not in child.stdout


def assert_consistent(container: Container, session_id: str) -> None:
    """The stored session tells one story: counts, sequence, transitions, evaluation."""
    store = container.data_store()
    session = store.get_session(session_id)
    transcript = store.get_transcript(session_id)
    transitions = store.list_transitions(session_id)
    assert [m.seq for m in transcript] == list(range(1, session.message_count + 1))
    assert transitions[-1].to_status is session.status
    for earlier, later in itertools.pairwise(transitions):
        assert earlier.to_status is later.from_status
    has_evaluation = store.get_evaluation(session_id) is not None
    assert has_evaluation == (session.status is SessionStatus.COMPLETED)


def in_progress(manager: SessionManager) -> str:
    session = manager.create_session(SessionConfig())
    manager.start_session(session.id)
    manager.send_message(session.id, "First I would clarify the requirements.")
    return session.id


@pytest.mark.parametrize(
    ("point", "stored"),
    [
        ("send_message.after_candidate_stored", 1),
        ("send_message.after_reply_generated", 1),
        ("send_message.after_reply_stored", 2),
    ],
)
def test_a_send_killed_midway_keeps_what_was_said_and_the_session_goes_on(
    database_url: str, manager: SessionManager, point: str, stored: int
) -> None:
    sid = in_progress(manager)
    before = len(manager.get_transcript(sid))
    crash(database_url, "send", sid, point)

    now = container_on(database_url)
    # Past the turn's timeout (5 minutes): a turn the dead process held has expired, and the
    # interviewer's idle-pause (30 minutes) has not struck.
    later = container_on(database_url, later=timedelta(minutes=6))
    try:
        assert_consistent(now, sid)
        transcript = now.session_manager().get_transcript(sid)
        assert len(transcript) == before + stored
        assert transcript[before].role is Role.CANDIDATE
        assert "keep this" in transcript[before].content
        if stored == 1:
            # The dead process still held the turn: refused, named, nothing stored ...
            with pytest.raises(TurnInProgressError, match=f"message #{before + 1}"):
                now.session_manager().send_message(sid, "Hello?")
            assert len(now.session_manager().get_transcript(sid)) == before + 1
            # ... until the turn expires; then the unanswered message gets its reply.
            answer = later.session_manager().retry_reply(sid)
            assert answer.reply_to == before + 1
        reply = later.session_manager().send_message(sid, "Next, the data model.")
        assert reply.role is Role.INTERVIEWER
        assert_consistent(later, sid)
    finally:
        now.shutdown_resources()
        later.shutdown_resources()


@pytest.mark.parametrize(
    "point",
    [
        "end_session.after_commit",
        "end_session.after_channels_closed",
        "evaluation.after_claim",
        "evaluation.before_store",
    ],
)
def test_an_end_killed_midway_is_completed_and_sweep_finishes_its_evaluation(
    database_url: str, manager: SessionManager, point: str
) -> None:
    sid = in_progress(manager)
    crash(database_url, "end", sid, point)

    # Later, past the time a RUNNING evaluation is presumed dead with its runner.
    after = container_on(database_url, later=timedelta(minutes=15))
    try:
        assert_consistent(after, sid)
        assert after.session_manager().get_session(sid).status is SessionStatus.COMPLETED
        stuck = after.session_manager().get_evaluation(sid)
        assert stuck is not None and stuck.status in (
            EvaluationStatus.PENDING,
            EvaluationStatus.RUNNING,
        )
        report = after.sweeper().run()
        assert report.evaluations_generated == [sid]
        evaluation = after.session_manager().get_evaluation(sid)
        assert evaluation is not None and evaluation.status is EvaluationStatus.READY
        assert_consistent(after, sid)
    finally:
        after.shutdown_resources()


@pytest.mark.parametrize("point", ["start_session.after_initialize", "start_session.before_commit"])
def test_a_start_that_fails_midway_leaves_the_session_created(
    manager: SessionManager, point: str
) -> None:
    from interview_orchestrator import InterviewPlatformError, faults

    session = manager.create_session(SessionConfig())
    faults.arm(point, "raise")
    try:
        with pytest.raises(InterviewPlatformError):
            manager.start_session(session.id)
    finally:
        faults.disarm_all()
    assert manager.get_session(session.id).status is SessionStatus.CREATED
    assert manager.get_transcript(session.id) == []
    assert manager.start_session(session.id).status is SessionStatus.ACTIVE

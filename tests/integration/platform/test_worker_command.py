"""``interview-orchestrator worker`` as a process: it says when it starts and what it did when
it stops; a signal stops it cleanly (the evaluation in hand is finished, exit 0), a second one
gives that evaluation back for another worker; ``--once`` works off what is pending."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Callable
from typing import Any

import pytest

from interview_orchestrator import EvaluationStatus, EventType, SessionManager

STARTED = re.compile(r"worker (\S+) started")
STOPPING = "stopping: finishing the evaluation in hand"


def pending_evaluations(manager: SessionManager, make: Callable[[], str], count: int) -> list[str]:
    sids = [make() for _ in range(count)]
    for sid in sids:
        assert manager.end_session(sid, evaluate="background").status is EvaluationStatus.PENDING
    return sids


def evaluation_statuses(manager: SessionManager, sid: str) -> list[str]:
    return [
        e.data["status"]
        for e in manager.events(sid, limit=1000)
        if e.type is EventType.EVALUATION_UPDATED
    ]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_idle_worker_command_exits_0_at_once_on_a_signal(
    database_url: str, spawn: Callable[..., Any], signum: signal.Signals
) -> None:
    # Idle, it looks for work every 60 s: an exit within the deadline (30 s) is the signal's.
    worker = spawn("--database-url", database_url, "worker", "--poll-interval", "60", command=True)
    started = STARTED.fullmatch(worker.line())
    assert started, "the first line names the worker"
    worker.signal(signum)
    assert worker.wait() == 0, worker.stderr
    assert worker.rest() == [
        f"worker {started[1]} stopped: 0 generated, 0 failed, 0 released, 0 errors"
    ]


def test_the_worker_command_once_generates_what_is_pending_and_exits_0(
    database_url: str,
    manager: SessionManager,
    active_session: Callable[[], str],
    spawn: Callable[..., Any],
) -> None:
    sids = pending_evaluations(manager, active_session, 3)
    worker = spawn("--database-url", database_url, "worker", "--once", command=True)
    assert worker.wait() == 0, worker.stderr
    first, last = worker.rest()
    assert re.fullmatch(r"worker \S+ started \(once\)", first)
    assert last.endswith(" stopped: 3 generated, 0 failed, 0 released, 0 errors")
    for sid in sids:
        evaluation = manager.get_evaluation(sid)
        assert evaluation is not None
        assert (evaluation.status, evaluation.attempts) == (EvaluationStatus.READY, 1)


def test_a_signalled_worker_command_finishes_the_evaluation_in_hand_then_exits_0(
    database_url: str,
    manager: SessionManager,
    active_session: Callable[[], str],
    spawn: Callable[..., Any],
) -> None:
    (sid,) = pending_evaluations(manager, active_session, 1)
    worker = spawn("command", database_url, "finish")
    assert STARTED.fullmatch(worker.line())
    assert json.loads(worker.line()) == {"evaluating": sid}
    worker.signal(signal.SIGTERM)
    worker.stderr_until(STOPPING)
    worker.send("finish")  # the evaluator, still at work after the signal, may now return
    assert worker.wait() == 0, worker.stderr
    (summary,) = worker.rest()
    assert summary.endswith(" stopped: 1 generated, 0 failed, 0 released, 0 errors")
    evaluation = manager.get_evaluation(sid)
    assert evaluation is not None
    assert (evaluation.status, evaluation.attempts) == (EvaluationStatus.READY, 1)


def test_a_second_signal_gives_the_evaluation_in_hand_back_and_exits_at_once(
    database_url: str,
    container: Any,
    manager: SessionManager,
    active_session: Callable[[], str],
    spawn: Callable[..., Any],
) -> None:
    (sid,) = pending_evaluations(manager, active_session, 1)
    worker = spawn("command", database_url, "hold")  # its evaluator never returns
    assert STARTED.fullmatch(worker.line())
    assert json.loads(worker.line()) == {"evaluating": sid}
    worker.signal(signal.SIGTERM)
    worker.stderr_until(STOPPING)
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 128 + signal.SIGTERM, worker.stderr
    (summary,) = worker.rest()
    assert summary.endswith(
        f" stopped (forced by a second SIGTERM): 0 generated, 0 failed, 1 released, 0 errors; "
        f"given back: {sid}"
    )
    evaluation = manager.get_evaluation(sid)
    assert evaluation is not None
    assert (evaluation.status, evaluation.attempts) == (EvaluationStatus.PENDING, 1)
    assert evaluation_statuses(manager, sid) == ["pending", "running", "pending"]
    # Another worker takes it at once: no lease to wait out.
    assert container.worker().run_one()
    evaluation = manager.get_evaluation(sid)
    assert evaluation is not None
    assert (evaluation.status, evaluation.attempts) == (EvaluationStatus.READY, 2)

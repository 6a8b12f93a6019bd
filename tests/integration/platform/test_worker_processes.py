"""Background evaluation across worker processes: a worker killed mid-evaluation is taken over
once its lease runs out, and several workers share the pending evaluations, each generated
exactly once."""

from __future__ import annotations

import collections
import json
import signal
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from interview_orchestrator import EvaluationStatus, EventType, SessionEvent, SessionManager

#: The shortest lease the settings allow: the takeover waits this long.
LEASE = 3
POLL = 0.2
SESSIONS = 12
WORKERS = 3


def evaluation_events(manager: SessionManager, sid: str) -> list[SessionEvent]:
    return [e for e in manager.events(sid, limit=1000) if e.type is EventType.EVALUATION_UPDATED]


def test_a_worker_killed_mid_evaluation_is_taken_over_after_its_lease_and_ready_once(
    database_url: str,
    manager: SessionManager,
    active_session: Callable[[], str],
    spawn: Callable[..., Any],
) -> None:
    sid = active_session()
    assert manager.end_session(sid, evaluate="background").status is EvaluationStatus.PENDING

    doomed = spawn(
        "worker",
        database_url,
        str(LEASE),
        str(POLL),
        "once",
        env={"INTERVIEW_FAULTS": "evaluation.after_claim=kill"},
    )
    assert doomed.json()["ready"]
    doomed.send("go")
    assert doomed.json() == {"claimed": sid, "attempt": 1}
    assert doomed.wait() == -signal.SIGKILL
    held = manager.get_evaluation(sid)
    assert held is not None and (held.status, held.attempts) == (EvaluationStatus.RUNNING, 1)

    heir = spawn("worker", database_url, str(LEASE), str(POLL), "run")
    assert heir.json()["ready"]
    heir.send("go")
    assert heir.json(timeout=LEASE + 30) == {"claimed": sid, "attempt": 2}
    heir.close_stdin()  # stop: the evaluation in hand is finished first
    report = heir.json()["report"]
    assert heir.wait() == 0, heir.stderr
    assert report["generated"] == [sid]

    evaluation = manager.get_evaluation(sid)
    assert evaluation is not None
    assert (evaluation.status, evaluation.attempts) == (EvaluationStatus.READY, 2)
    assert evaluation.overall_score is not None
    assert manager.get_session(sid).overall_score == evaluation.overall_score
    events = evaluation_events(manager, sid)
    assert [(e.data["status"], e.data.get("attempts")) for e in events] == [
        ("pending", None),
        ("running", 1),
        ("running", 2),
        ("ready", 2),
    ]
    claimed_first, claimed_again = events[1].created_at, events[2].created_at
    assert claimed_again - claimed_first >= timedelta(seconds=LEASE), "taken over too soon"


def test_three_worker_processes_generate_every_pending_evaluation_exactly_once(
    database_url: str,
    manager: SessionManager,
    active_session: Callable[[], str],
    spawn: Callable[..., Any],
) -> None:
    workers = [spawn("worker", database_url, str(LEASE), str(POLL), "once") for _ in range(WORKERS)]
    sids = [active_session() for _ in range(SESSIONS)]  # while the workers start
    for sid in sids:
        manager.end_session(sid, evaluate="background")
    for child in workers:
        assert child.json()["ready"]
    for child in workers:  # together
        child.send("go")

    claims: list[str] = []
    generated: list[str] = []
    for child in workers:
        lines = child.rest()
        assert child.wait() == 0, child.stderr
        claims += [line["claimed"] for line in map(_json, lines) if "claimed" in line]
        report = _json(lines[-1])["report"]
        assert report["failed"] == report["released"] == [] and report["errors"] == 0, report
        generated += report["generated"]

    assert sorted(claims) == sorted(generated) == sorted(sids)
    for sid in sids:
        evaluation = manager.get_evaluation(sid)
        assert evaluation is not None
        assert (evaluation.status, evaluation.attempts) == (EvaluationStatus.READY, 1)
        statuses = collections.Counter(e.data["status"] for e in evaluation_events(manager, sid))
        assert statuses == {"pending": 1, "running": 1, "ready": 1}


def _json(line: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(line)
    return value

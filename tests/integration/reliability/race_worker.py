"""One racer: runs calls on a SessionManager and reports each outcome as a plain dict.

Imported by the reliability tests' conftest (by path, so any pytest import mode works) for
the threads, and run as a child process for the processes, speaking JSON lines on stdin and
stdout:

    parent: {"url": "...", "warm": [session ids], "calls": [{"op": "end", "sid": "..."}, ...]}
    child:  {"ready": true}          (container built, connection pooled, sessions read)
    parent: go                       (sent to every child at once: the starting gun)
    child:  {"outcomes": [...]}      (one per call, in order)

End of input ends the child. The child keeps one container per database URL (the latest).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import Any

from interview_orchestrator import (
    EvaluationReport,
    InvalidStateTransitionError,
    Message,
    Session,
    SessionManager,
)


def perform(manager: SessionManager, call: dict[str, Any]) -> dict[str, Any]:
    """Run one call ({"op": start|end|pause|resume|send, "sid": ..., "content": ...,
    "delay": seconds to wait first}) and describe what came of it; an exception is an outcome
    too, never raised."""
    op, sid = call["op"], call["sid"]
    if call.get("delay"):
        time.sleep(call["delay"])
    outcome: dict[str, Any] = {"op": op, "sid": sid, "ok": False, "error": None, "message": ""}
    try:
        if op == "start":
            value: Any = manager.start_session(sid)
        elif op == "end":
            value = manager.end_session(sid)
        elif op == "pause":
            value = manager.pause_session(sid)
        elif op == "resume":
            value = manager.resume_session(sid)
        elif op == "send":
            value = manager.send_message(sid, call["content"])
        else:
            raise ValueError(f"unknown op {op!r}")
    except Exception as exc:  # every failure is reported for the parent to judge
        outcome["error"] = type(exc).__name__
        outcome["message"] = str(exc)
        outcome["concurrent"] = isinstance(exc, InvalidStateTransitionError) and (
            "changed concurrently" in str(exc)
        )
        if not isinstance(exc, InvalidStateTransitionError):
            outcome["traceback"] = traceback.format_exc()
        return outcome
    outcome["ok"] = True
    if isinstance(value, Session):
        outcome.update(status=value.status.value, version=value.version)
    elif isinstance(value, EvaluationReport):
        outcome.update(evaluation=value.status.value, attempts=value.attempts)
    elif isinstance(value, Message):
        outcome.update(seq=value.seq, late=value.late, role=value.role.value)
    return outcome


def main() -> None:  # pragma: no cover - runs in the child processes
    from interview_orchestrator import Container

    containers: dict[str, Any] = {}

    def manager_for(url: str) -> SessionManager:
        if url not in containers:
            for old in containers.values():
                old.shutdown_resources()
            containers.clear()
            container = Container()
            container.config.database.url.from_value(url)
            container.config.logging.enabled.from_value(False)
            containers[url] = container
        manager: SessionManager = containers[url].session_manager()
        return manager

    def say(payload: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()

    try:
        while line := sys.stdin.readline():
            job = json.loads(line)
            manager = manager_for(job["url"])
            for sid in job.get("warm", ()):
                manager.get_session(sid)  # a pooled connection, ready for the race
            say({"ready": True})
            if sys.stdin.readline().strip() != "go":
                return
            say({"outcomes": [perform(manager, call) for call in job["calls"]]})
            # Hold no connection between races: the test's database may be dropped.
            containers[job["url"]].engine().dispose()
    finally:
        for container in containers.values():
            container.shutdown_resources()


if __name__ == "__main__":
    main()

"""The event log read live from another process: a subscriber receives every event of the
session in order, once; one that comes back with its last cursor receives exactly what it
missed, then what follows. Across processes PostgreSQL wakes subscribers (LISTEN/NOTIFY);
SQLite's subscribers find new events by polling."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from interview_orchestrator import SessionConfig, SessionEvent, SessionManager


def poll_interval(database_url: str) -> str:
    """On PostgreSQL longer than any wait of the test: only a notification delivers in time."""
    return "60" if database_url.startswith("postgresql") else "0.2"


def delivered(subscriber: Any, last_id: int) -> list[dict[str, Any]]:
    """The events the subscriber printed, until (and including) the one with ``last_id``."""
    lines = subscriber.until(lambda line: json.loads(line).get("id") == last_id)
    return [event for event in map(json.loads, lines) if "id" in event]


def as_lines(events: list[SessionEvent]) -> list[dict[str, Any]]:
    return [{"id": e.id, "type": e.type.value} for e in events]


def test_a_subscriber_in_another_process_gets_every_event_once_and_resumes_from_its_cursor(
    database_url: str, container: Any, manager: SessionManager, spawn: Callable[..., Any]
) -> None:
    sid = manager.create_session(SessionConfig()).id
    first = spawn("subscriber", database_url, sid, "-", poll_interval(database_url))
    assert first.json() == {"ready": True}

    manager.start_session(sid)
    manager.send_message(sid, "I would put a queue in front of the writes.")
    manager.send_message(sid, "And partition the queue by tenant.")
    so_far = manager.events(sid)
    seen = delivered(first, so_far[-1].id)
    assert seen == as_lines(so_far)
    assert [e["id"] for e in seen] == list(range(1, len(seen) + 1))
    first.close_stdin()
    assert first.wait() == 0, first.stderr
    assert first.rest() == []  # nothing twice
    last = seen[-1]["id"]

    # Meanwhile, with nobody listening:
    manager.send_message(sid, "Reads go to replicas.")
    manager.pause_session(sid)
    manager.resume_session(sid)
    manager.end_session(sid, evaluate="background")
    missed = manager.events(sid, after=last)
    second = spawn("subscriber", database_url, sid, str(last), poll_interval(database_url))
    assert delivered(second, missed[-1].id) == as_lines(missed)

    # Caught up, it goes on live: a worker in this process generates the evaluation.
    assert container.worker().run_one()
    live = manager.events(sid, after=missed[-1].id)
    assert [e.data["status"] for e in live] == ["running", "ready"]
    assert delivered(second, live[-1].id) == as_lines(live)
    second.close_stdin()
    assert second.wait() == 0, second.stderr
    assert [json.loads(line) for line in second.rest()] in ([], [{"ready": True}])

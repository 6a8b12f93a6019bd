"""An interview through the running service, on SQLite and PostgreSQL: links, the background
evaluation, tenants, a server killed mid-interview, and the live event stream."""

from __future__ import annotations

import json
from typing import Any

from service_support import (
    DEADLINE,
    PROBLEM,
    Processes,
    Server,
    answer,
    link,
    new_session,
    on_postgres,
    wait_until,
)
from websockets.sync.client import connect

from interview_orchestrator import Container


def library_events(database_url: str, sid: str) -> list[dict[str, Any]]:
    """The session's event log as the library reads it, straight from the database."""
    container = Container.from_settings(database_url=database_url, logging={"enabled": False})
    try:
        events = container.session_manager().events(sid, limit=1000)
        return [{"id": e.id, "type": e.type.value, "data": e.data} for e in events]
    finally:
        container.shutdown_resources()


def test_an_interview_over_http_is_evaluated_in_the_background_and_read_with_a_review_link(
    database_url: str, processes: Processes
) -> None:
    # SQLite: the worker is a thread of the server; PostgreSQL: a process serve starts.
    server = processes.serve(
        database_url, *(["--with-worker"] if on_postgres(database_url) else [])
    )
    key = processes.key(database_url)
    with server.client(key) as admin:
        sid = new_session(admin)
        candidate_token = link(admin, sid, "candidate")
        review_token = link(admin, sid, "review")

    with server.client(candidate_token) as candidate:
        assert answer(candidate.post(f"/sessions/{sid}/start"), 200)["status"] == "active"
        turn = answer(
            candidate.post(
                f"/sessions/{sid}/messages",
                json={"content": "I would shard by user id and cache the hot reads in Redis."},
            ),
            201,
        )
        assert turn["candidate"]["role"] == "candidate" and turn["reply"]["role"] == "interviewer"
        ended = answer(candidate.post(f"/sessions/{sid}/end"), 202)
        assert ended["session"]["status"] == "completed"
        assert ended["evaluation"] is None  # a candidate never sees its evaluation
        refused = candidate.get(f"/sessions/{sid}/evaluation")
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)

    with server.client(review_token) as reviewer:

        def evaluated() -> dict[str, Any] | None:
            report: dict[str, Any] = answer(reviewer.get(f"/sessions/{sid}/evaluation"), 200)
            return report if report["status"] not in ("pending", "running") else None

        report = wait_until(evaluated, f"the evaluation of {sid} is generated\n{server}")
        assert report["status"] == "ready" and report["overall_score"] is not None
        messages = answer(reviewer.get(f"/sessions/{sid}/messages"), 200)["items"]
        assert [m["role"] for m in messages] == ["interviewer", "candidate", "interviewer"]
        assert messages[1]["content"].startswith("I would shard by user id")
        assert reviewer.post(f"/sessions/{sid}/start").status_code == 403


def test_a_key_of_another_tenant_finds_nothing_of_this_tenants(
    database_url: str, processes: Processes
) -> None:
    server = processes.serve(database_url)
    acme_key = processes.key(database_url, role="service", tenant="acme")
    globex_key = processes.key(database_url, role="admin", tenant="globex")
    with server.client(acme_key) as acme:
        sid = new_session(acme)
        assert answer(acme.get(f"/sessions/{sid}"), 200)["tenant_id"] == "acme"

    with server.client(globex_key) as globex:
        for response in (
            globex.get(f"/sessions/{sid}"),
            globex.post(f"/sessions/{sid}/start"),
            globex.post(f"/sessions/{sid}/links", json={"kind": "candidate"}),
            globex.get(f"/sessions/{sid}/messages"),
        ):
            assert response.status_code == 404, response.text
            assert response.headers["content-type"].startswith(PROBLEM)
        assert answer(globex.get("/sessions"), 200)["items"] == []
    with server.client(acme_key) as acme:
        assert answer(acme.get(f"/sessions/{sid}"), 200)["status"] == "created"


def test_a_server_killed_mid_interview_loses_nothing_and_the_interview_continues_on_restart(
    database_url: str, processes: Processes
) -> None:
    first = processes.serve(database_url)
    key = processes.key(database_url)
    with first.client(key) as admin:
        sid = new_session(admin)
        candidate_token = link(admin, sid, "candidate")
    with first.client(candidate_token) as candidate:
        answer(candidate.post(f"/sessions/{sid}/start"), 200)
        answer(candidate.post(f"/sessions/{sid}/messages", json={"content": "Shard by user."}), 201)
        transcript = answer(candidate.get(f"/sessions/{sid}/messages"), 200)["items"]
    events = library_events(database_url, sid)

    first.kill_group()  # SIGKILL: no clean-up at all
    second = processes.serve(database_url)

    with second.client(candidate_token) as candidate:
        assert answer(candidate.get(f"/sessions/{sid}/messages"), 200)["items"] == transcript
        assert library_events(database_url, sid) == events
        reply = answer(
            candidate.post(f"/sessions/{sid}/messages", json={"content": "Then replicas."}), 201
        )
        assert reply["candidate"]["seq"] == len(transcript) + 1
        assert answer(candidate.post(f"/sessions/{sid}/end"), 202)["session"]["status"] == (
            "completed"
        )
    after = library_events(database_url, sid)
    assert after[: len(events)] == events
    assert [e["id"] for e in after] == list(range(1, len(after) + 1))


def test_a_websocket_client_receives_the_replayed_events_then_the_live_ones(
    database_url: str, processes: Processes
) -> None:
    server = processes.serve(database_url)
    key = processes.key(database_url)
    with server.client(key) as admin:
        sid = new_session(admin)
        token = link(admin, sid, "candidate")
    with server.client(token) as candidate:
        answer(candidate.post(f"/sessions/{sid}/start"), 200)
        logged = answer(candidate.get(f"/sessions/{sid}"), 200)["event_count"]
        assert logged >= 2

        url = f"{ws_url(server)}/sessions/{sid}/events?token={token}"
        with connect(url, open_timeout=DEADLINE) as socket:
            replayed = [json.loads(socket.recv(timeout=DEADLINE)) for _ in range(logged)]
            assert [frame["id"] for frame in replayed] == list(range(1, logged + 1))
            assert replayed[0]["type"] == "session.started"
            assert all(frame["session_id"] == sid for frame in replayed)

            answer(candidate.post(f"/sessions/{sid}/messages", json={"content": "Shard."}), 201)
            now = answer(candidate.get(f"/sessions/{sid}"), 200)["event_count"]
            live = [json.loads(socket.recv(timeout=DEADLINE)) for _ in range(now - logged)]
    assert [frame["id"] for frame in live] == list(range(logged + 1, now + 1))
    messages = [frame["data"]["message"] for frame in live if frame["type"] == "message.created"]
    assert [m["role"] for m in messages] == ["candidate", "interviewer"]
    assert messages[0]["content"] == "Shard."


def ws_url(server: Server) -> str:
    return server.base_url.replace("http://", "ws://", 1) + "/api/v1"

"""``GET /sessions/{id}/events``: the event log a page at a time, the WebSocket's frames as
JSON, for a replay or an audit."""

from __future__ import annotations

from typing import Any

from api_support import ANSWERS, API, Callers, bearer
from fastapi.testclient import TestClient


def _read(client: TestClient, sid: str, token: str, **query: Any) -> Any:
    answer = client.get(f"{API}/sessions/{sid}/events", params=query, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _interview(callers: Callers) -> str:
    """A session answered twice, paused, resumed and ended: a log of a dozen events."""
    sid = callers.session()
    manager = callers.container.session_manager(tenant_id="acme")
    manager.send_message(sid, ANSWERS[0])
    manager.pause_session(sid)
    manager.resume_session(sid)
    manager.send_message(sid, ANSWERS[1])
    manager.end_session(sid, evaluate="background")
    return sid


def test_the_log_reads_in_order_with_the_websockets_shape(
    client: TestClient, callers: Callers
) -> None:
    sid = _interview(callers)
    page = _read(client, sid, callers.link(sid, "review"))
    assert [event["id"] for event in page["items"]] == list(range(1, len(page["items"]) + 1))
    assert page["items"][0]["type"] == "session.started"
    assert page["items"][-1]["type"] == "evaluation.updated"
    assert {"session.paused", "session.resumed", "session.completed"} <= {
        event["type"] for event in page["items"]
    }
    assert set(page["items"][0]) == {"id", "type", "session_id", "data", "created_at"}
    assert page["next_after"] is None


def test_pages_continue_from_next_after_to_the_end(client: TestClient, callers: Callers) -> None:
    sid = _interview(callers)
    token = callers.key("reviewer")
    whole = [event["id"] for event in _read(client, sid, token)["items"]]
    read: list[int] = []
    after = 0
    while True:
        page = _read(client, sid, token, after=after, limit=5)
        read += [event["id"] for event in page["items"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert read == whole


def test_after_the_last_event_the_page_is_empty(client: TestClient, callers: Callers) -> None:
    sid = _interview(callers)
    token = callers.key("service")
    last = _read(client, sid, token)["items"][-1]["id"]
    assert _read(client, sid, token, after=last) == {"items": [], "next_after": None}


def test_a_limit_beyond_a_page_is_refused(client: TestClient, callers: Callers) -> None:
    sid = callers.session()
    answer = client.get(
        f"{API}/sessions/{sid}/events",
        params={"limit": 1001},
        headers=bearer(callers.key("admin")),
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_candidate_link_learns_the_evaluations_status_but_never_its_score(
    client: TestClient, callers: Callers
) -> None:
    sid = _interview(callers)
    callers.container.worker().run_one()  # READY, with a score
    updates = [
        event["data"]
        for event in _read(client, sid, callers.link(sid, "candidate"))["items"]
        if event["type"] == "evaluation.updated"
    ]
    assert [data["status"] for data in updates] == ["pending", "running", "ready"]
    assert all(set(data) == {"status"} for data in updates)
    reviewer = [
        event["data"]
        for event in _read(client, sid, callers.link(sid, "review"))["items"]
        if event["type"] == "evaluation.updated"
    ]
    assert reviewer[-1]["overall_score"] is not None


def test_a_candidate_link_that_ends_its_interview_gets_no_evaluation(
    client: TestClient, callers: Callers
) -> None:
    sid = callers.session()
    token = callers.link(sid, "candidate")
    ended = client.post(f"{API}/sessions/{sid}/end", headers=bearer(token))
    assert ended.status_code == 202, ended.text
    assert ended.json()["session"]["status"] == "completed"
    assert ended.json()["evaluation"] is None

"""A whole interview through the API, as a platform and its candidate drive it, and the rules
of turns the API passes on from the library: idempotent creates and sends, reading only what
is new, one turn at a time, a provider failure that keeps the candidate's message."""

from __future__ import annotations

import threading
from typing import Any

from api_support import ANSWERS, API, Callers, bearer
from fastapi.testclient import TestClient

from interview_orchestrator import Container
from interview_orchestrator.errors import ProviderError

WAIT_SECONDS = 15


def test_a_whole_interview_through_the_api(
    client: TestClient, container: Container, callers: Callers
) -> None:
    service = bearer(callers.key("service"))
    create = {"config": {"template": "system_design"}, "user_id": "cand-7"}
    first = client.post(
        f"{API}/sessions", json=create, headers={**service, "Idempotency-Key": "interview-7"}
    )
    again = client.post(
        f"{API}/sessions", json=create, headers={**service, "Idempotency-Key": "interview-7"}
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    sid = first.json()["id"]
    assert [s["id"] for s in client.get(f"{API}/sessions", headers=service).json()["items"]] == [
        sid
    ]

    def link(kind: str) -> dict[str, str]:
        made = client.post(
            f"{API}/sessions/{sid}/links",
            json={"kind": kind, "expires_in_minutes": 90},
            headers=service,
        )
        assert made.status_code == 201
        return bearer(made.json()["token"])

    candidate, reviewer = link("candidate"), link("review")

    started = client.post(f"{API}/sessions/{sid}/start", headers=candidate)
    assert (started.status_code, started.json()["status"]) == (200, "active")
    opening = client.get(f"{API}/sessions/{sid}/messages", headers=candidate).json()["items"]
    assert [(m["seq"], m["role"]) for m in opening] == [(1, "interviewer")]

    send = {"content": ANSWERS[0], "client_message_id": "msg-1"}
    turn = client.post(f"{API}/sessions/{sid}/messages", json=send, headers=candidate)
    double = client.post(f"{API}/sessions/{sid}/messages", json=send, headers=candidate)
    assert (turn.status_code, double.status_code) == (201, 201)
    assert double.json() == turn.json()
    assert (turn.json()["candidate"]["seq"], turn.json()["reply"]["seq"]) == (2, 3)
    assert turn.json()["reply"]["reply_to"] == 2
    by_header = client.post(
        f"{API}/sessions/{sid}/messages",
        json={"content": ANSWERS[1]},
        headers={**candidate, "Idempotency-Key": "msg-2"},
    )
    assert by_header.json()["candidate"]["client_message_id"] == "msg-2"

    def seqs(query: str) -> list[int]:
        page = client.get(f"{API}/sessions/{sid}/messages{query}", headers=reviewer)
        assert page.status_code == 200
        return [m["seq"] for m in page.json()["items"]]

    assert seqs("") == [1, 2, 3, 4, 5]
    assert seqs("?after=3") == [4, 5]
    assert seqs("?after=1&limit=2") == [2, 3]
    assert seqs("?after=5") == []

    assert client.get(f"{API}/sessions/{sid}/evaluation", headers=candidate).status_code == 403
    ended = client.post(f"{API}/sessions/{sid}/end", headers=candidate)
    assert ended.status_code == 202
    assert ended.json()["session"]["status"] == "completed"
    assert ended.json()["evaluation"] is None  # a candidate never sees its evaluation
    pending = client.get(f"{API}/sessions/{sid}/evaluation", headers=reviewer)
    assert (pending.status_code, pending.json()["status"]) == (200, "pending")

    assert container.worker().run_one()
    ready = client.get(f"{API}/sessions/{sid}/evaluation", headers=reviewer).json()
    assert ready["status"] == "ready"
    assert ready["overall_score"] is not None

    retried = client.post(f"{API}/sessions/{sid}/evaluation/retry", json={}, headers=service)
    assert retried.status_code == 202
    assert retried.json() == ready


def test_a_double_submit_stores_one_turn(client: TestClient, callers: Callers) -> None:
    sid = callers.session()
    candidate = bearer(callers.link(sid))
    send = {"content": ANSWERS[0], "client_message_id": "tap-tap"}
    answers = [
        client.post(f"{API}/sessions/{sid}/messages", json=send, headers=candidate)
        for _ in range(3)
    ]
    assert {a.status_code for a in answers} == {201}
    assert len({str(a.json()) for a in answers}) == 1
    transcript = client.get(f"{API}/sessions/{sid}/messages", headers=candidate).json()["items"]
    assert [m["role"] for m in transcript] == ["interviewer", "candidate", "interviewer"]


def test_idempotency_key_and_client_message_id_must_agree(
    client: TestClient, callers: Callers
) -> None:
    sid = callers.session()
    answer = client.post(
        f"{API}/sessions/{sid}/messages",
        json={"content": ANSWERS[0], "client_message_id": "a"},
        headers={**bearer(callers.link(sid)), "Idempotency-Key": "b"},
    )
    assert answer.status_code == 422
    assert "Idempotency-Key" in answer.json()["detail"]


def test_a_reused_client_message_id_with_other_content_is_refused(
    client: TestClient, callers: Callers
) -> None:
    sid = callers.session()
    candidate = bearer(callers.link(sid))
    url = f"{API}/sessions/{sid}/messages"
    client.post(url, json={"content": ANSWERS[0], "client_message_id": "m"}, headers=candidate)
    reused = client.post(
        url, json={"content": ANSWERS[1], "client_message_id": "m"}, headers=candidate
    )
    assert reused.status_code == 422


def test_a_send_while_the_reply_is_pending_is_409(
    hooked: Any, client: TestClient, callers: Callers
) -> None:
    sid = callers.session()
    candidate = bearer(callers.link(sid))
    url = f"{API}/sessions/{sid}/messages"
    replying, release = threading.Event(), threading.Event()

    def hold_the_reply() -> None:
        replying.set()
        release.wait(WAIT_SECONDS)

    hooked.before_reply = hold_the_reply
    first: dict[str, Any] = {}
    sender = threading.Thread(
        target=lambda: first.update(
            answer=client.post(url, json={"content": ANSWERS[0]}, headers=candidate)
        )
    )
    sender.start()
    try:
        assert replying.wait(WAIT_SECONDS)
        second = client.post(url, json={"content": ANSWERS[1]}, headers=candidate)
    finally:
        release.set()
        sender.join(WAIT_SECONDS)
    assert second.status_code == 409
    assert second.json()["awaiting_seq"] == 2
    assert second.json()["type"].endswith("turn-in-progress")
    assert first["answer"].status_code == 201


def test_a_provider_failure_is_502_and_keeps_the_message(
    hooked: Any, client: TestClient, callers: Callers
) -> None:
    sid = callers.session()
    candidate = bearer(callers.link(sid))

    def fail() -> None:
        raise ProviderError("the provider timed out", retryable=True)

    hooked.before_reply = fail
    failed = client.post(
        f"{API}/sessions/{sid}/messages", json={"content": ANSWERS[0]}, headers=candidate
    )
    assert failed.status_code == 502
    assert failed.headers["content-type"].startswith("application/problem+json")
    problem = failed.json()
    assert (problem["message_kept"], problem["candidate_message_seq"]) == (True, 2)
    assert problem["retryable"] is True
    kept = client.get(f"{API}/sessions/{sid}/messages?after=1", headers=candidate).json()
    assert [(m["seq"], m["content"]) for m in kept["items"]] == [(2, ANSWERS[0])]


def test_retrying_the_reply_after_a_502_answers_the_kept_message(
    hooked: Any, client: TestClient, callers: Callers
) -> None:
    sid = callers.session()
    candidate = bearer(callers.link(sid))

    def fail() -> None:
        raise ProviderError("the provider timed out", retryable=True)

    hooked.before_reply = fail
    client.post(f"{API}/sessions/{sid}/messages", json={"content": ANSWERS[0]}, headers=candidate)
    hooked.before_reply = None
    reply = client.post(f"{API}/sessions/{sid}/messages/retry", headers=candidate)
    assert reply.status_code == 201
    assert (reply.json()["role"], reply.json()["seq"], reply.json()["reply_to"]) == (
        "interviewer",
        3,
        2,
    )


def test_retrying_a_reply_that_was_given_is_409(client: TestClient, callers: Callers) -> None:
    sid = callers.session()
    answer = client.post(f"{API}/sessions/{sid}/messages/retry", headers=bearer(callers.link(sid)))
    assert answer.status_code == 409
    assert answer.json()["current_status"] == "active"


def test_a_message_in_a_mode_the_session_did_not_enable_is_422(
    client: TestClient, callers: Callers
) -> None:
    sid = callers.session()
    answer = client.post(
        f"{API}/sessions/{sid}/messages",
        json={"content": "a box and an arrow", "mode": "audio"},
        headers=bearer(callers.link(sid)),
    )
    assert answer.status_code == 422
    assert "audio" in answer.json()["detail"]

"""Session links (made, opened, revoked) and evaluations (read, regenerated) through the API."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from api_support import API, Callers, bearer
from fastapi.testclient import TestClient

from interview_orchestrator import Container


def _make_link(
    client: TestClient, callers: Callers, sid: str, kind: str, minutes: int = 60
) -> dict[str, str]:
    answer = client.post(
        f"{API}/sessions/{sid}/links",
        json={"kind": kind, "expires_in_minutes": minutes},
        headers=bearer(callers.key("service")),
    )
    assert answer.status_code == 201, answer.text
    made: dict[str, str] = answer.json()
    return made


def test_a_link_opens_its_page_on_the_public_url(
    client: TestClient, container: Container, callers: Callers
) -> None:
    container.config.service.public_url.from_value("https://interviews.example.com/")
    sid = callers.session()
    candidate = _make_link(client, callers, sid, "candidate")
    review = _make_link(client, callers, sid, "review")
    assert candidate["url"] == f"https://interviews.example.com/i/{candidate['token']}"
    assert review["url"] == f"https://interviews.example.com/r/{review['token']}"


def test_without_a_public_url_a_link_is_on_the_requests_address(
    client: TestClient, callers: Callers
) -> None:
    link = _make_link(client, callers, callers.session(), "review")
    assert link["url"] == f"http://testserver/r/{link['token']}"


def test_a_new_link_names_its_session_kind_and_expiry(client: TestClient, callers: Callers) -> None:
    sid = callers.session()
    link = _make_link(client, callers, sid, "candidate", minutes=30)
    assert (link["session_id"], link["kind"]) == (sid, "candidate")
    assert link["token"].startswith("iol_")
    expires = datetime.fromisoformat(link["expires_at"])
    left = expires - datetime.now(expires.tzinfo)
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)


def test_a_revoked_link_stops_working_at_once(client: TestClient, callers: Callers) -> None:
    sid = callers.session()
    link = _make_link(client, callers, sid, "candidate")
    admin = bearer(callers.key("admin"))
    assert client.get(f"{API}/sessions/{sid}", headers=bearer(link["token"])).status_code == 200
    assert client.delete(f"{API}/links/{link['id']}", headers=admin).status_code == 204
    assert client.get(f"{API}/sessions/{sid}", headers=bearer(link["token"])).status_code == 401
    assert client.delete(f"{API}/links/{link['id']}", headers=admin).status_code == 204


def test_revoking_an_unknown_link_is_404(client: TestClient, callers: Callers) -> None:
    answer = client.delete(f"{API}/links/{uuid.uuid4()}", headers=bearer(callers.key("admin")))
    assert answer.status_code == 404


def test_a_link_to_an_unknown_session_is_404(client: TestClient, callers: Callers) -> None:
    answer = client.post(
        f"{API}/sessions/{uuid.uuid4()}/links",
        json={"kind": "candidate"},
        headers=bearer(callers.key("admin")),
    )
    assert answer.status_code == 404


def test_a_link_lifetime_out_of_range_is_422(client: TestClient, callers: Callers) -> None:
    sid = callers.session()
    for minutes in (0, 60 * 24 * 90 + 1):
        answer = client.post(
            f"{API}/sessions/{sid}/links",
            json={"kind": "candidate", "expires_in_minutes": minutes},
            headers=bearer(callers.key("admin")),
        )
        assert answer.status_code == 422, minutes


def test_an_evaluation_is_404_until_the_session_ends(client: TestClient, callers: Callers) -> None:
    sid = callers.session()
    answer = client.get(f"{API}/sessions/{sid}/evaluation", headers=bearer(callers.key("reviewer")))
    assert answer.status_code == 404
    assert answer.json()["type"].endswith("not-found")


def test_a_retry_generates_a_pending_evaluation_in_the_request(
    client: TestClient, callers: Callers
) -> None:
    sid = callers.ended_session()
    answer = client.post(
        f"{API}/sessions/{sid}/evaluation/retry", headers=bearer(callers.key("service"))
    )
    assert answer.status_code == 202
    assert answer.json()["status"] == "ready"


def test_a_forced_retry_regenerates_a_ready_evaluation(
    client: TestClient, container: Container, callers: Callers
) -> None:
    sid = callers.ended_session()
    assert container.worker().run_one()
    service = bearer(callers.key("service"))
    ready = client.get(f"{API}/sessions/{sid}/evaluation", headers=service).json()
    forced = client.post(
        f"{API}/sessions/{sid}/evaluation/retry", json={"force": True}, headers=service
    ).json()
    assert forced["status"] == "ready"
    assert forced["attempts"] == ready["attempts"] + 1


def test_retrying_the_evaluation_of_a_running_session_is_409(
    client: TestClient, callers: Callers
) -> None:
    sid = callers.session()
    answer = client.post(
        f"{API}/sessions/{sid}/evaluation/retry", json={}, headers=bearer(callers.key("admin"))
    )
    assert answer.status_code == 409
    assert answer.json()["current_status"] == "active"

"""The webhook routes through FastAPI's TestClient, on SQLite and PostgreSQL: an admin of a
tenant registers (the secret is shown once), lists, deletes and reads deliveries; nobody else
may; another tenant's webhook is not found; what cannot be delivered safely is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook as StandardWebhook
from webhook_receiver import FakeClock, Receiver, dispatching, run_interview, wait_until

from interview_orchestrator import Container, SessionConfig, SessionManager
from interview_orchestrator.access_manager import AccessManager
from interview_orchestrator.api import create_app

API: Final = "/api/v1"
PROBLEM: Final = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as test_client:
        yield test_client


@pytest.fixture
def access(container: Container) -> AccessManager:
    built: AccessManager = container.access_manager()
    return built


def key(access: AccessManager, role: str = "admin", tenant: str = "acme") -> dict[str, str]:
    return bearer(access.create_key(f"{role} of {tenant}", role, tenant)[1])


def register(client: TestClient, headers: dict[str, str], url: str, **body: Any) -> Any:
    response = client.post(f"{API}/webhooks", json={"url": url, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_admin_registers_a_webhook_and_sees_its_secret_only_then(
    client: TestClient, access: AccessManager
) -> None:
    admin = key(access)
    url = "https://hooks.example.com/interviews?team=7"
    created = register(client, admin, url, events=["session.completed", "session.completed"])
    assert created["url"] == url
    assert created["events"] == ["session.completed"]
    assert created["secret"].startswith("whsec_")
    StandardWebhook(created["secret"])  # a usable Standard Webhooks key
    assert created["secret"].startswith(created["secret_hint"].rstrip("…"))
    listed = client.get(f"{API}/webhooks", headers=admin).json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert created["secret"] not in client.get(f"{API}/webhooks", headers=admin).text


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://hooks.example.com/x"},
        {"url": "/relative/path"},
        {"url": "https://user:password@hooks.example.com/x"},
        {"url": "https://hooks.example.com/x#fragment"},
        {"url": "https://hooks.example.com/a path"},
        {"url": "https:///no-host"},
        {"url": "https://hooks.example.com:99999/x"},
        {"url": "https://hooks.example.com/" + "x" * 2000},
        {"url": "https://hooks.example.com/x", "events": ["session.exploded"]},
        {"url": "https://hooks.example.com/x", "secret": "whsec_mine"},
    ],
    ids=[
        "ftp",
        "relative",
        "credentials",
        "fragment",
        "space",
        "no host",
        "bad port",
        "too long",
        "unknown event",
        "own secret",
    ],
)
def test_registration_refuses_what_cannot_be_delivered_safely(
    client: TestClient, access: AccessManager, body: dict[str, Any]
) -> None:
    admin = key(access)
    response = client.post(f"{API}/webhooks", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert client.get(f"{API}/webhooks", headers=admin).json()["items"] == []


@pytest.mark.parametrize("caller", ["service", "reviewer", "candidate", "review"])
def test_only_an_admin_may_manage_webhooks(
    client: TestClient, access: AccessManager, manager: SessionManager, caller: str
) -> None:
    admin = key(access)
    hook = register(client, admin, "https://hooks.example.com/x")["id"]
    if caller in ("service", "reviewer"):
        headers = key(access, caller)
    else:
        session = manager.create_session(SessionConfig(), tenant_id="acme")
        headers = bearer(access.create_link(session, caller, 60)[1])
    answers = [
        client.post(f"{API}/webhooks", json={"url": "https://x.example.com/"}, headers=headers),
        client.get(f"{API}/webhooks", headers=headers),
        client.get(f"{API}/webhooks/{hook}/deliveries", headers=headers),
        client.delete(f"{API}/webhooks/{hook}", headers=headers),
    ]
    assert [a.status_code for a in answers] == [403] * 4
    assert all(a.headers["content-type"].startswith(PROBLEM) for a in answers)
    assert [w["id"] for w in client.get(f"{API}/webhooks", headers=admin).json()["items"]] == [hook]


def test_no_token_may_not_manage_webhooks(client: TestClient) -> None:
    assert client.get(f"{API}/webhooks").status_code == 401


def test_another_tenants_webhook_is_not_found(client: TestClient, access: AccessManager) -> None:
    acme, globex = key(access, tenant="acme"), key(access, tenant="globex")
    hook = register(client, acme, "https://acme.example.com/hooks")["id"]
    assert client.get(f"{API}/webhooks", headers=globex).json()["items"] == []
    assert client.get(f"{API}/webhooks/{hook}/deliveries", headers=globex).status_code == 404
    assert client.delete(f"{API}/webhooks/{hook}", headers=globex).status_code == 404
    assert [w["id"] for w in client.get(f"{API}/webhooks", headers=acme).json()["items"]] == [hook]


def test_a_deleted_webhook_is_gone_with_its_deliveries(
    client: TestClient, access: AccessManager
) -> None:
    admin = key(access)
    hook = register(client, admin, "https://hooks.example.com/x")["id"]
    assert client.delete(f"{API}/webhooks/{hook}", headers=admin).status_code == 204
    assert client.get(f"{API}/webhooks", headers=admin).json()["items"] == []
    assert client.get(f"{API}/webhooks/{hook}/deliveries", headers=admin).status_code == 404
    assert client.delete(f"{API}/webhooks/{hook}", headers=admin).status_code == 404
    assert client.delete(f"{API}/webhooks/not-a-webhook", headers=admin).status_code == 404


def test_deliveries_are_listed_newest_first_a_page_at_a_time(
    client: TestClient,
    access: AccessManager,
    container: Container,
    manager: SessionManager,
    receiver: Receiver,
) -> None:
    admin = key(access)
    endpoint = receiver.endpoint("pages")
    created = register(client, admin, endpoint.url)
    endpoint.secret = created["secret"]
    with dispatching(container.webhook_dispatcher()):
        sid = run_interview(manager, tenant="acme", answers=1)
        events = manager.events(sid, limit=1000)
        receiver.wait_for(lambda: len(endpoint.arrivals) == len(events), "every event")
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    url = f"{API}/webhooks/{created['id']}/deliveries"

    def delivered() -> bool:
        items = client.get(url, params={"limit": 200}, headers=admin).json()["items"]
        return len(items) == len(events) and all(d["status"] == "delivered" for d in items)

    wait_until(delivered, "every delivery recorded")
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(url, params=params, headers=admin).json()
        pages.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [d["event_id"] for d in pages] == [e.id for e in reversed(events)]
    assert [d["message_id"] for d in pages] == [a.webhook_id for a in reversed(endpoint.arrivals)]
    assert {(d["status"], d["attempts"], d["last_status_code"]) for d in pages} == {
        ("delivered", 1, 200)
    }
    assert all(d["next_attempt_at"] is None and d["delivered_at"] for d in pages)


def test_a_delivery_that_failed_for_a_day_is_listed_as_failed(
    client: TestClient,
    container: Container,
    manager: SessionManager,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    admin = key(container.access_manager())
    endpoint = receiver.endpoint("down", answer=lambda _n: 500)
    created = register(client, admin, endpoint.url, events=["session.started"])
    endpoint.secret = created["secret"]
    url = f"{API}/webhooks/{created['id']}/deliveries"

    def only() -> dict[str, Any]:
        items = client.get(url, headers=admin).json()["items"]
        assert len(items) <= 1
        return dict(items[0]) if items else {}

    dispatcher = container.webhook_dispatcher(clock=clock)
    with dispatching(dispatcher):
        session = manager.create_session(SessionConfig(), tenant_id="acme")
        manager.start_session(session.id)
        wait_until(lambda: only().get("last_status_code") == 500, "the first failure")
        assert (only()["status"], only()["attempts"]) == ("pending", 1)
        clock.advance(timedelta(hours=25))
        dispatcher.wake()
        wait_until(lambda: only()["status"] == "failed", "the delivery to fail")
    failed = only()
    assert (failed["attempts"], failed["last_status_code"]) == (2, 500)
    assert failed["last_error"] == "HTTP 500"
    assert failed["next_attempt_at"] is None and failed["delivered_at"] is None
    assert len(endpoint.arrivals) == 2

"""Webhooks delivered from the event log, on SQLite and PostgreSQL: signed (verified by the
Standard Webhooks reference library), in order per session, once each (a retry carries the
same webhook-id), nothing for a change that rolled back, retried with backoff and then failed,
a slow endpoint holding up neither another endpoint nor an interview, a stopped dispatcher's
work taken up by the next, each tenant's endpoints hearing only that tenant."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from webhook_receiver import (
    Endpoint,
    FakeClock,
    Receiver,
    build_container,
    dispatching,
    run_interview,
    wait_until,
)

from interview_orchestrator import Container, EventType, SessionConfig, SessionManager
from interview_orchestrator.clock import utc_now
from interview_orchestrator.models import NewEvent
from interview_orchestrator.ports import DeliveryStatus, WebhookDelivery
from interview_orchestrator.store.encryption import ENV_VAR as ENCRYPTION_KEYS
from interview_orchestrator.store.events import PendingEvent, record_events
from interview_orchestrator.store.transactions import Transactions
from interview_orchestrator.webhooks import WebhookService


def subscribe(
    service: WebhookService, endpoint: Endpoint, tenant: str = "default", **kw: object
) -> str:
    webhook = service.register(tenant, endpoint.url, **kw)  # type: ignore[arg-type]
    endpoint.secret = webhook.secret
    return webhook.id


def deliveries(
    service: WebhookService, webhook_id: str, tenant: str = "default"
) -> list[WebhookDelivery]:
    return service.deliveries(tenant, webhook_id, limit=1000)


def logged(manager: SessionManager, session_id: str) -> list[tuple[str, int]]:
    return [(session_id, e.id) for e in manager.events(session_id, limit=1000)]


def test_an_interviews_events_arrive_signed_in_order_once_each(
    container: Container, manager: SessionManager, service: WebhookService, receiver: Receiver
) -> None:
    endpoint = receiver.endpoint("all")
    subscribe(service, endpoint)
    with dispatching(container.webhook_dispatcher()):
        sid = run_interview(manager)
        expected = logged(manager, sid)
        receiver.wait_for(lambda: len(endpoint.arrivals) >= len(expected), "every event")
    assert endpoint.refused == []
    assert endpoint.events() == expected
    assert len({a.webhook_id for a in endpoint.arrivals}) == len(expected)
    assert all(a.webhook_id.startswith("evt_") for a in endpoint.arrivals)
    types = [a.payload["type"] for a in endpoint.arrivals]
    assert types == [e.type.value for e in manager.events(sid, limit=1000)]
    first = endpoint.arrivals[0].payload
    assert first["type"] == "session.started"
    assert first["timestamp"].endswith("Z")
    assert first["data"]["tenant_id"] == "default"
    spoken = [
        a.payload["data"] for a in endpoint.arrivals if a.payload["type"] == "message.created"
    ]
    assert spoken[1]["message"]["content"].startswith("Answer 0")


def test_a_retried_event_carries_the_same_webhook_id_and_body(
    container: Container,
    manager: SessionManager,
    service: WebhookService,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    endpoint = receiver.endpoint("flaky", answer=lambda n: 503 if n == 1 else 204)
    hook = subscribe(service, endpoint, events=["session.started"])
    dispatcher = container.webhook_dispatcher(clock=clock)
    with dispatching(dispatcher):
        session = manager.create_session(SessionConfig())
        manager.start_session(session.id)
        receiver.wait_for(lambda: len(endpoint.arrivals) == 1, "the first attempt")
        retry = wait_until(
            lambda: next(
                (
                    d
                    for d in deliveries(service, hook)
                    if d.attempts == 1 and d.last_status_code == 503
                ),
                None,
            ),
            "the failure to be recorded",
        )
        assert retry.next_attempt_at == clock() + timedelta(seconds=10)
        clock.advance(timedelta(seconds=10))
        dispatcher.wake()
        receiver.wait_for(lambda: len(endpoint.arrivals) == 2, "the retry")
        wait_until(
            lambda: deliveries(service, hook)[0].status is DeliveryStatus.DELIVERED,
            "the retry to be recorded",
        )
    first, second = endpoint.arrivals
    assert first.webhook_id == second.webhook_id
    assert first.payload == second.payload
    (delivered,) = deliveries(service, hook)
    assert (delivered.attempts, delivered.last_status_code) == (2, 204)


def test_a_change_that_rolled_back_sends_nothing(
    container: Container, manager: SessionManager, service: WebhookService, receiver: Receiver
) -> None:
    endpoint = receiver.endpoint("all")
    subscribe(service, endpoint)
    session = manager.create_session(SessionConfig())
    tx = Transactions(container.engine())

    class Abandoned(Exception):
        pass

    def write_then_fail(conn: object) -> None:
        pending = [PendingEvent(NewEvent(EventType.PHASE_CHANGED, {"phase": "never"}))]
        record_events(conn, session.id, pending, at=utc_now())  # type: ignore[arg-type]
        raise Abandoned

    with dispatching(container.webhook_dispatcher()):
        with pytest.raises(Abandoned):
            tx.write("write an event, then fail", write_then_fail)
        manager.start_session(session.id)
        expected = logged(manager, session.id)
        receiver.wait_for(lambda: len(endpoint.arrivals) >= len(expected), "the committed events")
    assert endpoint.events() == expected
    assert all(a.payload["data"].get("phase") != "never" for a in endpoint.arrivals)


def test_a_failing_endpoint_is_retried_with_backoff_for_a_day_then_failed(
    container: Container,
    manager: SessionManager,
    service: WebhookService,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    endpoint = receiver.endpoint("down", answer=lambda _n: 500)
    hook = subscribe(service, endpoint, events=["session.started"])
    dispatcher = container.webhook_dispatcher(clock=clock)
    queued_at = clock()
    attempted_at: list[timedelta] = []
    with dispatching(dispatcher):
        session = manager.create_session(SessionConfig())
        manager.start_session(session.id)
        for attempt in range(1, 100):
            receiver.wait_for(lambda a=attempt: len(endpoint.arrivals) == a, f"attempt {attempt}")
            attempted_at.append(clock() - queued_at)
            recorded = wait_until(
                lambda a=attempt: next(
                    (
                        d
                        for d in deliveries(service, hook)
                        if d.attempts == a
                        and (d.status is DeliveryStatus.FAILED or d.next_attempt_at > clock())
                    ),
                    None,
                ),
                f"attempt {attempt} to be recorded",
            )
            if recorded.status is DeliveryStatus.FAILED:
                break
            clock.set(recorded.next_attempt_at)
            dispatcher.wake()
    waits = [round((b - a).total_seconds()) for a, b in itertools.pairwise(attempted_at)]
    assert waits == [10, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800, 1040]
    assert attempted_at[-1] == timedelta(hours=24)
    (failed,) = deliveries(service, hook)
    assert failed.status is DeliveryStatus.FAILED
    assert (failed.attempts, failed.last_status_code, failed.last_error) == (12, 500, "HTTP 500")
    assert len({a.webhook_id for a in endpoint.arrivals}) == 1


def test_a_slow_endpoint_delays_neither_another_endpoint_nor_the_interview(
    container: Container, manager: SessionManager, service: WebhookService, receiver: Receiver
) -> None:
    slow = receiver.endpoint("slow", delay=1.0)
    fast = receiver.endpoint("fast")
    subscribe(service, slow)
    subscribe(service, fast)
    turns: list[float] = []
    with dispatching(container.webhook_dispatcher()):
        sessions = [manager.create_session(SessionConfig(), user_id=f"u{n}") for n in range(2)]
        for session in sessions:
            manager.start_session(session.id)
            started = time.monotonic()
            manager.send_message(session.id, "Shard the database by key, cache the reads.")
            turns.append(time.monotonic() - started)
        expected = sum(len(logged(manager, s.id)) for s in sessions)
        receiver.wait_for(lambda: len(fast.arrivals) == expected, "every event at the fast one")
        # A second per event, one event of a session at a time: the slow one is far behind.
        assert len(slow.arrivals) < expected
        receiver.wait_for(lambda: len(slow.arrivals) == expected, "every event at the slow one")
    assert max(turns) < 1.0, f"a turn waited for the slow endpoint: {turns}"
    for session in sessions:
        assert slow.events(session.id) == fast.events(session.id) == logged(manager, session.id)


def test_a_dispatcher_stopped_mid_send_loses_nothing_once_another_takes_over(
    container: Container,
    manager: SessionManager,
    service: WebhookService,
    receiver: Receiver,
    clock: FakeClock,
) -> None:
    endpoint = receiver.endpoint("stuck", hold=frozenset({1}))
    hook = subscribe(service, endpoint)
    session = manager.create_session(SessionConfig())
    first = container.webhook_dispatcher(clock=clock, stop_grace=0.1)
    with dispatching(first):
        manager.start_session(session.id)
        receiver.wait_for(lambda: len(endpoint.arrivals) == 1, "the first send, held")
    # Stopped with that send still in flight: its delivery stays claimed, nothing recorded.
    held = [d for d in deliveries(service, hook) if d.status is DeliveryStatus.PENDING]
    manager.send_message(session.id, "More while no dispatcher runs: a cache and replicas.")
    clock.advance(timedelta(seconds=7))  # past the stopped dispatcher's lease
    with dispatching(container.webhook_dispatcher(clock=clock)):
        expected = logged(manager, session.id)
        receiver.wait_for(lambda: len(endpoint.arrivals) == len(expected) + 1, "every event")
        wait_until(
            lambda: all(d.status is DeliveryStatus.DELIVERED for d in deliveries(service, hook)),
            "every delivery recorded",
        )
    endpoint.release.set()
    assert [(d.event_seq, d.attempts) for d in held if d.attempts] == [(1, 1)]
    ids = [a.webhook_id for a in endpoint.arrivals]
    assert ids[0] == ids[1], "the held event is sent again, under the same webhook-id"
    assert endpoint.events()[1:] == expected
    assert len(deliveries(service, hook)) == len(expected)


def test_each_tenants_webhooks_hear_only_that_tenants_events(
    container: Container, manager: SessionManager, service: WebhookService, receiver: Receiver
) -> None:
    acme, globex = receiver.endpoint("acme"), receiver.endpoint("globex")
    acme_hook = subscribe(service, acme, tenant="acme")
    globex_hook = subscribe(service, globex, tenant="globex")
    with dispatching(container.webhook_dispatcher()):
        acme_sid = run_interview(manager, tenant="acme", answers=1)
        globex_sid = run_interview(manager, tenant="globex", answers=1)
        receiver.wait_for(
            lambda: (
                len(acme.arrivals) == len(logged(manager, acme_sid))
                and len(globex.arrivals) == len(logged(manager, globex_sid))
            ),
            "each tenant's events",
        )
    assert {d.session_id for d in deliveries(service, acme_hook, "acme")} == {acme_sid}
    assert {d.session_id for d in deliveries(service, globex_hook, "globex")} == {globex_sid}
    assert {a.session_id for a in acme.arrivals} == {acme_sid}
    assert {a.payload["data"]["tenant_id"] for a in acme.arrivals} == {"acme"}
    assert {a.session_id for a in globex.arrivals} == {globex_sid}


def test_a_webhook_hears_only_the_event_types_it_names(
    container: Container, manager: SessionManager, service: WebhookService, receiver: Receiver
) -> None:
    endings = receiver.endpoint("endings")
    everything = receiver.endpoint("everything")
    subscribe(service, endings, events=["session.completed", "evaluation.updated"])
    subscribe(service, everything)
    with dispatching(container.webhook_dispatcher()):
        sid = run_interview(manager, answers=1)
        receiver.wait_for(
            lambda: len(everything.arrivals) == len(logged(manager, sid)), "every event"
        )
        wanted = [
            e.id
            for e in manager.events(sid, limit=1000)
            if e.type in (EventType.SESSION_COMPLETED, EventType.EVALUATION_UPDATED)
        ]
        receiver.wait_for(lambda: len(endings.arrivals) >= len(wanted), "the endings")
    assert [a.event_id for a in endings.arrivals] == wanted
    assert {a.payload["type"] for a in endings.arrivals} == {
        "session.completed",
        "evaluation.updated",
    }


def test_a_webhook_is_not_sent_what_happened_before_it_was_registered(
    container: Container, manager: SessionManager, service: WebhookService, receiver: Receiver
) -> None:
    endpoint = receiver.endpoint("late")
    before = run_interview(manager, answers=1)
    subscribe(service, endpoint)
    with dispatching(container.webhook_dispatcher()):
        after = run_interview(manager, answers=1)
        receiver.wait_for(lambda: len(endpoint.arrivals) == len(logged(manager, after)), "the new")
    assert {a.session_id for a in endpoint.arrivals} == {after}
    assert before != after


def test_a_secret_is_encrypted_at_rest_and_still_signs(
    database_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENCRYPTION_KEYS, Fernet.generate_key().decode())
    container = build_container(database_url)
    try:
        container.field_cipher()  # read the keys while the environment holds them
        endpoint = receiver.endpoint("sealed")
        service: WebhookService = container.webhook_service()
        hook = subscribe(service, endpoint, events=["session.started"])
        with container.engine().connect() as conn:
            stored = conn.execute(text("SELECT secret FROM webhooks")).scalar_one()  # as stored
        manager: SessionManager = container.session_manager()
        with dispatching(container.webhook_dispatcher()):
            session = manager.create_session(SessionConfig())
            manager.start_session(session.id)
            receiver.wait_for(lambda: len(endpoint.arrivals) == 1, "the signed event")
        assert endpoint.secret and endpoint.secret not in stored
        assert endpoint.secret.removeprefix("whsec_") not in stored
        assert endpoint.refused == []
        wait_until(
            lambda: deliveries(service, hook)[0].status is DeliveryStatus.DELIVERED, "recorded"
        )
    finally:
        container.shutdown_resources()

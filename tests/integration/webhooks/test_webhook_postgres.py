"""PostgreSQL only: event ids from a sequence commit out of order, and several dispatchers
share one database. An event whose transaction commits after a later one is still delivered;
a rolled-back id does not hold the cursor for ever; two dispatchers deliver each event once
per endpoint, never one delivery twice at the same time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, func, select
from webhook_receiver import (
    Endpoint,
    Receiver,
    build_container,
    dispatching,
    run_interview,
    wait_until,
)

from interview_orchestrator import Container, EventType, SessionConfig, SessionManager
from interview_orchestrator.clock import utc_now
from interview_orchestrator.models import NewEvent
from interview_orchestrator.store.events import PendingEvent, record_events
from interview_orchestrator.store.schema import DISPATCH_CURSORS, EVENTS
from interview_orchestrator.store.transactions import Transactions
from interview_orchestrator.webhooks import READER, WebhookService

pytestmark = pytest.mark.postgres


@pytest.fixture(params=[200, 1], ids=["batch of 200", "batch of 1"])
def postgres_container(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[Container]:
    """A container on PostgreSQL reading the log in batches of 200, or one event at a time
    (gaps and new events then share a batch's limit)."""
    built = build_container(postgres_url, batch_size=request.param)
    yield built
    built.shutdown_resources()


def subscribe(container: Container, endpoint: Endpoint) -> None:
    service: WebhookService = container.webhook_service()
    endpoint.secret = service.register("default", endpoint.url).secret


def logged(manager: SessionManager, session_id: str) -> list[tuple[str, int]]:
    return [(session_id, e.id) for e in manager.events(session_id, limit=1000)]


def stored_cursor(container: Container) -> int:
    with container.engine().connect() as conn:
        query = select(DISPATCH_CURSORS.c.last_event_id).where(DISPATCH_CURSORS.c.name == READER)
        return int(conn.execute(query).scalar_one_or_none() or 0)


def last_event_id(container: Container) -> int:
    with container.engine().connect() as conn:
        return int(conn.execute(select(func.max(EVENTS.c.id))).scalar_one())


def phase_event(conn: Connection, session_id: str, phase: str) -> int:
    """Write a phase.changed event in ``conn``'s open transaction; its global id."""
    pending = [PendingEvent(NewEvent(EventType.PHASE_CHANGED, {"phase": phase}))]
    record_events(conn, session_id, pending, at=utc_now())
    query = select(func.max(EVENTS.c.id)).where(EVENTS.c.session_id == session_id)
    return int(conn.execute(query).scalar_one())


def test_an_event_committed_after_a_later_one_is_still_delivered(
    postgres_container: Container, receiver: Receiver
) -> None:
    container = postgres_container
    endpoint = receiver.endpoint("all")
    subscribe(container, endpoint)
    manager: SessionManager = container.session_manager()
    slow_writer = manager.create_session(SessionConfig(), user_id="slow")
    other = manager.create_session(SessionConfig(), user_id="other")
    with dispatching(container.webhook_dispatcher()):
        with container.engine().connect() as held:
            transaction = held.begin()
            held_id = phase_event(held, slow_writer.id, "held open")
            manager.start_session(other.id)  # commits events with larger ids meanwhile
            later = logged(manager, other.id)
            receiver.wait_for(lambda: len(endpoint.arrivals) == len(later), "the later events")
            assert last_event_id(container) > held_id
            assert stored_cursor(container) < held_id, "the cursor waits below the open write"
            transaction.commit()
        receiver.wait_for(lambda: len(endpoint.arrivals) == len(later) + 1, "the held event")
    arrived = endpoint.arrivals[-1]
    assert arrived.session_id == slow_writer.id
    assert arrived.payload["type"] == "phase.changed"
    assert arrived.payload["data"]["phase"] == "held open"
    assert endpoint.events(other.id) == later


def test_a_rolled_back_event_id_does_not_hold_the_cursor(
    postgres_container: Container, receiver: Receiver
) -> None:
    container = postgres_container
    endpoint = receiver.endpoint("all")
    subscribe(container, endpoint)
    manager: SessionManager = container.session_manager()
    session = manager.create_session(SessionConfig())

    class Abandoned(Exception):
        pass

    def write_then_fail(conn: Connection) -> None:
        phase_event(conn, session.id, "rolled back")
        raise Abandoned

    dispatcher = container.webhook_dispatcher()
    with dispatching(dispatcher):
        with pytest.raises(Abandoned):
            Transactions(container.engine()).write("write, then fail", write_then_fail)
        manager.start_session(session.id)
        expected = logged(manager, session.id)
        receiver.wait_for(lambda: len(endpoint.arrivals) == len(expected), "the committed events")
        newest = last_event_id(container)

        def cursor_passed() -> bool:
            dispatcher.wake()
            return stored_cursor(container) == newest

        wait_until(cursor_passed, "the cursor to pass the rolled-back id")
    assert endpoint.events() == expected


def test_two_dispatchers_deliver_each_event_once_per_endpoint(
    postgres_url: str, receiver: Receiver
) -> None:
    containers = [build_container(postgres_url) for _ in range(2)]
    try:
        endpoints = [receiver.endpoint("one", delay=0.01), receiver.endpoint("two", delay=0.01)]
        for endpoint in endpoints:
            subscribe(containers[0], endpoint)
        manager: SessionManager = containers[0].session_manager()
        dispatchers = [c.webhook_dispatcher() for c in containers]
        with dispatching(dispatchers[0]) as first, dispatching(dispatchers[1]) as second:
            sids = [run_interview(manager, tenant="default", answers=1) for _ in range(6)]
            logs = {sid: logged(manager, sid) for sid in sids}
            expected = sum(len(log) for log in logs.values())
            for endpoint in endpoints:
                receiver.wait_for(
                    lambda e=endpoint: len(e.arrivals) >= expected,
                    f"every event at {endpoint.path}",
                )
        reports: list[Any] = [first, second]
    finally:
        for container in containers:
            container.shutdown_resources()
    for endpoint in endpoints:
        ids = [a.webhook_id for a in endpoint.arrivals]
        assert len(ids) == len(set(ids)) == expected, "each event once"
        assert endpoint.max_concurrent_per_id == 1
        for sid, log in logs.items():
            assert endpoint.events(sid) == log
    assert sum(r.delivered for r in reports) == 2 * expected
    assert all(r.delivered > 0 for r in reports), [r.as_dict() for r in reports]

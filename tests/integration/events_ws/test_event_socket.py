"""``WS /sessions/{id}/events`` through the TestClient on each database: the log replayed after
a cursor, then live, each event once and in order; who may follow which session, and how the
socket ends for everyone else; revocation, expiry and slow clients while it is open; one
listener per process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from event_socket_support import (
    API,
    HEARTBEAT,
    OTHER_TENANT,
    WAIT,
    Callers,
    bearer,
    close_of,
    events_path,
    frames_until,
    receive,
)
from fastapi.testclient import TestClient

from interview_orchestrator import Container, SessionConfig, SessionManager
from interview_orchestrator.api.routes import events as events_route
from interview_orchestrator.serialization import SessionEventOut

ANSWER = "I would start from the read path and put a cache in front of the database."
FRAME_FIELDS = {"id", "type", "session_id", "data", "created_at"}
UNKNOWN_SESSION = "3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d"


def log_of(manager: SessionManager, session_id: str) -> list[dict[str, Any]]:
    """The session's whole log as the frames should carry it."""
    return [
        SessionEventOut.from_domain(event).model_dump(mode="json")
        for event in manager.events(session_id, limit=1000)
    ]


def last_id(manager: SessionManager, session_id: str) -> int:
    return log_of(manager, session_id)[-1]["id"]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.02)


class ListenerLog:
    """Records the listeners the app registers on the communication manager, and stops."""

    def __init__(self, container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
        channels = container.communication_manager()
        real_listen = channels.listen
        self.registered = 0
        self.stopped = 0

        def listen(handler: Any) -> Callable[[], None]:
            self.registered += 1
            stop = real_listen(handler)

            def recorded_stop() -> None:
                self.stopped += 1
                stop()

            return recorded_stop

        monkeypatch.setattr(channels, "listen", listen)


# ---------------------------------------------------------------------- replay and live


def test_replay_sends_the_events_after_the_cursor(
    client: TestClient, callers: Callers, manager: SessionManager, started_session: str
) -> None:
    log = log_of(manager, started_session)
    assert len(log) >= 4
    with client.websocket_connect(events_path(started_session, token=callers.key(), after=2)) as ws:
        frames = frames_until(ws, log[-1]["id"])
    assert frames == log[2:]


def test_the_whole_log_is_replayed_without_a_cursor(
    client: TestClient, callers: Callers, manager: SessionManager, started_session: str
) -> None:
    log = log_of(manager, started_session)
    with client.websocket_connect(events_path(started_session, token=callers.key())) as ws:
        assert frames_until(ws, log[-1]["id"]) == log


def test_a_log_longer_than_a_page_is_replayed_whole_in_order(
    client: TestClient,
    callers: Callers,
    manager: SessionManager,
    started_session: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events_route, "PAGE", 2)
    log = log_of(manager, started_session)
    with client.websocket_connect(events_path(started_session, token=callers.key())) as ws:
        assert frames_until(ws, log[-1]["id"]) == log


def test_live_events_arrive_as_they_are_committed_in_order_each_once(
    client: TestClient,
    callers: Callers,
    manager: SessionManager,
    new_session: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No periodic re-read within the test's deadline: only the hub's wake-ups deliver.
    monkeypatch.setattr(events_route, "SAFETY_SECONDS", 600.0)
    sid = new_session()
    token = callers.key()
    seen: list[dict[str, Any]] = []
    steps: list[Callable[[], object]] = [
        lambda: client.post(f"{API}/sessions/{sid}/start", headers=bearer(token)),
        lambda: manager.send_turn(sid, ANSWER),
        lambda: client.post(f"{API}/sessions/{sid}/pause", headers=bearer(token)),
        lambda: client.post(f"{API}/sessions/{sid}/resume", headers=bearer(token)),
        lambda: manager.send_turn(sid, "Then I would shard the database by key."),
        lambda: client.post(f"{API}/sessions/{sid}/end", headers=bearer(token)),
    ]
    with client.websocket_connect(events_path(sid, token=token)) as ws:
        for step in steps:
            answer = step()
            assert getattr(answer, "status_code", 200) < 300, getattr(answer, "text", "")
            seen += frames_until(ws, last_id(manager, sid))
    assert seen == log_of(manager, sid)
    assert {"session.started", "message.created", "session.paused", "session.resumed"} <= {
        frame["type"] for frame in seen
    }
    assert seen[-1]["type"] in {"session.completed", "evaluation.updated"}


def test_reconnecting_with_the_last_id_gets_exactly_what_was_missed(
    client: TestClient, callers: Callers, manager: SessionManager, started_session: str
) -> None:
    token = callers.key()
    with client.websocket_connect(events_path(started_session, token=token)) as ws:
        before = frames_until(ws, last_id(manager, started_session))
    manager.send_turn(started_session, ANSWER)  # while no one listens
    manager.pause_session(started_session)
    after = before[-1]["id"]
    with client.websocket_connect(events_path(started_session, token=token, after=after)) as ws:
        missed = frames_until(ws, last_id(manager, started_session))
    assert missed[0]["id"] == after + 1
    assert before + missed == log_of(manager, started_session)


def test_frames_are_session_events_out(
    client: TestClient, callers: Callers, manager: SessionManager, started_session: str
) -> None:
    with client.websocket_connect(events_path(started_session, token=callers.key())) as ws:
        frames = frames_until(ws, last_id(manager, started_session))
    for frame in frames:
        assert set(frame) == FRAME_FIELDS
        event = SessionEventOut.model_validate(frame)
        assert event.session_id == started_session
        assert frame["created_at"].endswith("Z")


# ---------------------------------------------------------------------- who may follow


def test_a_candidate_link_follows_its_own_session(
    client: TestClient, callers: Callers, manager: SessionManager, started_session: str
) -> None:
    _, token = callers.link(started_session, "candidate")
    with client.websocket_connect(events_path(started_session, token=token)) as ws:
        assert frames_until(ws, last_id(manager, started_session)) == log_of(
            manager, started_session
        )


def test_a_candidate_link_is_closed_4404_on_another_session(
    client: TestClient, callers: Callers, started_session: str, new_session: Callable[[], str]
) -> None:
    other = new_session()
    _, token = callers.link(started_session, "candidate")
    with client.websocket_connect(events_path(other, token=token)) as ws:
        closed = close_of(ws)
    assert closed.code == 4404
    assert "does not exist" in closed.reason


def test_a_review_link_may_follow_its_session(
    client: TestClient, callers: Callers, manager: SessionManager, started_session: str
) -> None:
    _, token = callers.link(started_session, "review")
    with client.websocket_connect(events_path(started_session, token=token)) as ws:
        assert frames_until(ws, last_id(manager, started_session)) == log_of(
            manager, started_session
        )


@pytest.mark.parametrize("role", ["service", "reviewer"])
def test_keys_of_the_tenant_may_follow(
    client: TestClient, callers: Callers, manager: SessionManager, started_session: str, role: str
) -> None:
    with client.websocket_connect(events_path(started_session, token=callers.key(role))) as ws:
        assert frames_until(ws, last_id(manager, started_session))[0]["id"] == 1


def test_the_token_may_come_in_the_authorization_header(
    client: TestClient, callers: Callers, manager: SessionManager, started_session: str
) -> None:
    with client.websocket_connect(
        events_path(started_session), headers=bearer(callers.key("reviewer"))
    ) as ws:
        assert frames_until(ws, last_id(manager, started_session)) == log_of(
            manager, started_session
        )


@pytest.mark.parametrize("given", ["none", "unknown", "revoked key", "malformed"])
def test_no_valid_token_is_closed_4401(
    client: TestClient, callers: Callers, started_session: str, given: str
) -> None:
    token = {
        "none": None,
        "unknown": "iok_" + "A" * 43,
        "malformed": "not a token",
        "revoked key": None,
    }[given]
    if given == "revoked key":
        key, token = callers.access.create_key("soon revoked", "admin", "acme")
        callers.access.revoke_key(key.id)
    with client.websocket_connect(events_path(started_session, token=token)) as ws:
        closed = close_of(ws)
    assert closed.code == 4401
    assert closed.reason.startswith("Authentication required")


def test_a_key_of_another_tenant_is_told_the_session_does_not_exist(
    client: TestClient, callers: Callers, started_session: str
) -> None:
    token = callers.key("reviewer", tenant=OTHER_TENANT)
    with client.websocket_connect(events_path(started_session, token=token)) as ws:
        theirs = close_of(ws)
    with client.websocket_connect(events_path(UNKNOWN_SESSION, token=token)) as ws:
        unknown = close_of(ws)
    assert theirs.code == unknown.code == 4404
    # The same answer as for a session that does not exist, apart from the id asked for.
    assert theirs.reason.replace(started_session, "ID") == unknown.reason.replace(
        UNKNOWN_SESSION, "ID"
    )


@pytest.mark.parametrize(
    ("session", "after"),
    [("mine", "abc"), ("mine", "-1"), ("mine", "1.5"), ("mine", "9" * 30), ("not-a-uuid", "0")],
)
def test_a_bad_cursor_or_session_id_is_closed_4422(
    client: TestClient, callers: Callers, started_session: str, session: str, after: str
) -> None:
    sid = started_session if session == "mine" else session
    path = f"{API}/sessions/{sid}/events?after={after}&token={callers.key()}"
    with client.websocket_connect(path) as ws:
        closed = close_of(ws)
    assert closed.code == 4422
    assert closed.reason.startswith("Invalid input")


# ---------------------------------------------------------------------- while it is open


def test_revoking_the_link_closes_the_socket_4403_within_a_heartbeat(
    client: TestClient, callers: Callers, manager: SessionManager, started_session: str
) -> None:
    link_id, token = callers.link(started_session, "candidate")
    with client.websocket_connect(events_path(started_session, token=token)) as ws:
        frames_until(ws, last_id(manager, started_session))
        callers.access.revoke_link(link_id, tenant_id="acme")
        revoked_at = time.monotonic()
        closed = close_of(ws, timeout=HEARTBEAT + 2.0)
    assert closed.code == 4403
    assert "revoked or expired" in closed.reason
    assert time.monotonic() - revoked_at < HEARTBEAT + 2.0


def test_a_link_that_expires_while_open_closes_the_socket_4403(
    client: TestClient, callers: Callers, manager: SessionManager, started_session: str
) -> None:
    token = callers.link_expiring_in(started_session, seconds=2.0)
    with client.websocket_connect(events_path(started_session, token=token)) as ws:
        frames_until(ws, last_id(manager, started_session))
        closed = close_of(ws, timeout=2.0 + HEARTBEAT + 3.0)
    assert closed.code == 4403


def test_a_client_that_takes_no_frames_is_closed_1013_and_others_still_receive(
    client: TestClient,
    callers: Callers,
    manager: SessionManager,
    started_session: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events_route, "SEND_QUEUE_FRAMES", 2)
    token = callers.key()
    log = log_of(manager, started_session)
    assert len(log) > 3  # more than the stalled socket's queue and the frame in its send
    stalled_path = events_path(started_session, token=token) + "&stall=1"
    with (
        client.websocket_connect(stalled_path) as stalled,
        client.websocket_connect(events_path(started_session, token=token)) as healthy,
    ):
        closed = close_of(stalled, timeout=HEARTBEAT + 3.0)
        assert frames_until(healthy, log[-1]["id"]) == log
        manager.pause_session(started_session)
        assert receive(healthy)["type"] == "session.paused"
    assert closed.code == 1013


def test_a_lost_wake_up_only_delays_the_event(
    client: TestClient,
    app: Any,
    *,
    callers: Callers,
    manager: SessionManager,
    started_session: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events_route, "SAFETY_SECONDS", HEARTBEAT)
    with client.websocket_connect(events_path(started_session, token=callers.key())) as ws:
        frames_until(ws, last_id(manager, started_session))
        app.state.hub.close()  # from now on no wake-up reaches the socket
        manager.pause_session(started_session)
        assert receive(ws)["type"] == "session.paused"


# ---------------------------------------------------------------------- the hub


def test_one_listener_serves_every_socket_of_the_process(
    container: Container,
    app: Any,
    *,
    callers: Callers,
    manager: SessionManager,
    started_session: str,
    new_session: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listeners = ListenerLog(container, monkeypatch)
    other = new_session()
    token = callers.key()
    with (
        TestClient(app) as client,
        client.websocket_connect(events_path(started_session, token=token)) as first,
        client.websocket_connect(events_path(started_session, token=token)) as second,
        client.websocket_connect(events_path(other, token=token)) as third,
    ):
        frames_until(first, last_id(manager, started_session))
        frames_until(second, last_id(manager, started_session))
        manager.start_session(other)
        assert receive(third)["type"] == "session.started"
        assert app.state.hub.followed_sessions == 2
    assert listeners.registered == 1


def test_a_client_that_leaves_is_forgotten(
    client: TestClient, app: Any, callers: Callers, manager: SessionManager, started_session: str
) -> None:
    with client.websocket_connect(events_path(started_session, token=callers.key())) as ws:
        frames_until(ws, last_id(manager, started_session))
        assert app.state.hub.followed_sessions == 1
    wait_until(lambda: app.state.hub.followed_sessions == 0, "the socket is no longer followed")


def test_the_hub_stops_listening_when_the_app_shuts_down(
    container: Container,
    app: Any,
    *,
    callers: Callers,
    manager: SessionManager,
    started_session: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listeners = ListenerLog(container, monkeypatch)
    with (
        TestClient(app) as client,
        client.websocket_connect(events_path(started_session, token=callers.key())) as ws,
    ):
        frames_until(ws, last_id(manager, started_session))
    assert (listeners.registered, listeners.stopped) == (1, 1)
    assert app.state.hub is None


def test_sessions_of_different_tenants_stay_apart(
    client: TestClient, container: Container, callers: Callers, manager: SessionManager
) -> None:
    theirs = container.session_manager(tenant_id=OTHER_TENANT)
    their_session = theirs.create_session(SessionConfig()).id
    mine = manager.create_session(SessionConfig()).id
    with client.websocket_connect(events_path(mine, token=callers.key("reviewer"))) as ws:
        theirs.start_session(their_session)  # wakes the hub; must not reach this socket
        manager.start_session(mine)
        frames = frames_until(ws, last_id(manager, mine))
    assert {frame["session_id"] for frame in frames} == {mine}

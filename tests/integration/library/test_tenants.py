"""Tenants never see each other: a manager scoped to one tenant finds another tenant's session
"not found" on every path, lists and counts only its own, and a candidate id shared by two
tenants is two candidates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from interview_orchestrator import (
    EvaluationStatus,
    InvalidStateTransitionError,
    SessionConfig,
    SessionManager,
    SessionNotFoundError,
    SessionStatus,
)

ANSWER = "First I would clarify requirements: scale, latency, consistency and the read path."


def finished(manager: SessionManager, user_id: str = "cand-1") -> str:
    sid = manager.create_session(SessionConfig(), user_id=user_id).id
    manager.start_session(sid)
    manager.send_message(sid, ANSWER)
    manager.end_session(sid)
    return sid


def running(manager: SessionManager, user_id: str = "cand-1") -> str:
    sid = manager.create_session(SessionConfig(), user_id=user_id).id
    manager.start_session(sid)
    return sid


def every_session_path(scoped: SessionManager, sid: str) -> list[tuple[str, Callable[[], Any]]]:
    """Every call that names a session, as a caller scoped to one tenant would make it."""
    return [
        ("get_session", lambda: scoped.get_session(sid)),
        ("get_transcript", lambda: scoped.get_transcript(sid)),
        ("get_transcript after", lambda: scoped.get_transcript(sid, after_seq=1)),
        ("get_evaluation", lambda: scoped.get_evaluation(sid)),
        ("events", lambda: scoped.events(sid)),
        ("subscribe", lambda: scoped.subscribe(lambda _e: None, session_id=sid)),
        ("start_session", lambda: scoped.start_session(sid)),
        ("send_message", lambda: scoped.send_message(sid, ANSWER)),
        ("send_turn with key", lambda: scoped.send_turn(sid, ANSWER, client_message_id="k1")),
        ("retry_reply", lambda: scoped.retry_reply(sid)),
        ("pause_session", lambda: scoped.pause_session(sid)),
        ("resume_session", lambda: scoped.resume_session(sid)),
        ("end_session", lambda: scoped.end_session(sid)),
        ("end_session background", lambda: scoped.end_session(sid, evaluate="background")),
        ("retry_evaluation", lambda: scoped.retry_evaluation(sid, force=True)),
        ("enforce_time_rules", lambda: scoped.enforce_time_rules(sid)),
    ]


@pytest.mark.parametrize("status", [SessionStatus.ACTIVE, SessionStatus.COMPLETED])
def test_another_tenants_session_is_not_found_on_every_path_and_stays_as_it_was(
    manager: SessionManager, status: SessionStatus
) -> None:
    acme = manager.for_tenant("acme")
    sid = running(acme) if status is SessionStatus.ACTIVE else finished(acme)
    before = (acme.get_session(sid), acme.get_transcript(sid), acme.events(sid))
    globex = manager.for_tenant("globex")
    reached = []
    for name, call in every_session_path(globex, sid):
        try:
            call()
            reached.append(name)
        except SessionNotFoundError:
            continue
    assert reached == [], f"reached another tenant's session: {reached}"
    assert (acme.get_session(sid), acme.get_transcript(sid), acme.events(sid)) == before


def test_listings_active_lookups_and_statistics_see_one_tenant(manager: SessionManager) -> None:
    acme, globex = manager.for_tenant("acme"), manager.for_tenant("globex")
    acme_ids = {finished(acme, "cand-1"), running(acme, "cand-2")}
    globex_id = finished(globex, "cand-1")
    assert {s.id for s in acme.list_sessions()} == acme_ids
    assert {s.id for s in acme.list_sessions(user_id="cand-1")} == acme_ids - {
        s.id for s in acme.list_sessions(status="active")
    }
    assert [s.id for s in globex.list_sessions()] == [globex_id]
    assert globex.get_active_session() is None
    active = acme.get_active_session("cand-2")
    assert active is not None and active.tenant_id == "acme"
    acme_stats, globex_stats = acme.session_stats(), globex.session_stats()
    assert acme_stats.by_status[SessionStatus.COMPLETED] == 1
    assert acme_stats.by_status[SessionStatus.ACTIVE] == 1
    assert globex_stats.by_status[SessionStatus.ACTIVE] == 0
    assert sum(globex_stats.evaluations_by_status.values()) == 1
    # The unscoped manager sees both, and filters on request.
    assert len(manager.list_sessions()) == 3
    assert {s.id for s in manager.list_sessions(tenant_id="acme")} == acme_ids
    assert manager.session_stats(tenant_id="globex").by_status == globex_stats.by_status


def test_a_keyset_cursor_of_another_tenant_is_refused(manager: SessionManager) -> None:
    foreign = finished(manager.for_tenant("globex"))
    acme = manager.for_tenant("acme")
    finished(acme)
    with pytest.raises(Exception, match="does not name a session"):
        acme.list_sessions(after=foreign)


def test_one_candidate_id_in_two_tenants_may_be_active_in_both(manager: SessionManager) -> None:
    first = running(manager.for_tenant("acme"), "shared-id")
    second = running(manager.for_tenant("globex"), "shared-id")
    assert manager.get_session(first).status is SessionStatus.ACTIVE
    assert manager.get_session(second).status is SessionStatus.ACTIVE


def test_one_candidate_may_have_only_one_active_session_in_a_tenant(
    manager: SessionManager,
) -> None:
    acme = manager.for_tenant("acme")
    running(acme, "cand-9")
    second = acme.create_session(SessionConfig(), user_id="cand-9").id
    with pytest.raises(InvalidStateTransitionError, match="already has an active session"):
        acme.start_session(second)


def test_an_idempotent_create_does_not_cross_tenants(manager: SessionManager) -> None:
    acme = manager.for_tenant("acme")
    sid = acme.create_session(SessionConfig()).id
    with pytest.raises(Exception, match="already used"):
        manager.for_tenant("globex").create_session(SessionConfig(), session_id=sid)
    assert acme.create_session(SessionConfig(), session_id=sid).id == sid


def test_subscribers_of_one_tenant_hear_only_its_sessions(manager: SessionManager) -> None:
    import threading

    heard: list[str] = []
    got = threading.Event()

    def on_event(event: Any) -> None:
        heard.append(event.tenant_id)
        if event.type.value == "evaluation.updated" and event.data["status"] == "ready":
            got.set()

    acme, globex = manager.for_tenant("acme"), manager.for_tenant("globex")
    with acme.subscribe(on_event, poll_interval=30):
        finished(globex)
        finished(acme)
        assert got.wait(15)
    assert heard and set(heard) == {"acme"}
    assert manager.get_evaluation(manager.list_sessions(tenant_id="acme")[0].id).status in (
        EvaluationStatus.READY,
        EvaluationStatus.NO_EVIDENCE,
    )

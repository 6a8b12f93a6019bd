"""A whole interview through the real container: SQLite or PostgreSQL, offline AI, migrations."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from tests.planted import (
    PLANTED_EMAIL,
    PLANTED_MESSAGE,
    PLANTED_NAME,
    PLANTED_PHONE,
    PLANTED_SCHOOL,
    planted_resume,
)

from interview_orchestrator import (
    CommunicationMode,
    Container,
    EvaluationStatus,
    InvalidInputError,
    InvalidStateTransitionError,
    Role,
    SessionConfig,
    SessionEvent,
    SessionManager,
    SessionNotFoundError,
    SessionStatus,
)

RESUME = planted_resume(user_id="cand-1")

ANSWERS = [
    PLANTED_MESSAGE,
    "High level: a load balancer, stateless API servers, a cache and a sharded database.",
    "The API is POST /links and GET /{code}; the data model is a table keyed by code with an index on owner.",
    "To scale we shard by key with consistent hashing, add read replicas and failover per shard.",
    "The trade-off of async replication is a little durability for lower latency, instead of sync writes.",
]


def test_a_whole_interview_runs_and_is_evaluated(manager: SessionManager) -> None:
    session = manager.create_session(SessionConfig(resume_data=RESUME))
    assert session.status is SessionStatus.CREATED and session.user_id == "cand-1"

    started = manager.start_session(session.id)
    assert started.status is SessionStatus.ACTIVE
    for answer in ANSWERS[:2]:
        manager.send_message(session.id, answer)
    manager.pause_session(session.id)
    manager.resume_session(session.id)
    for answer in ANSWERS[2:]:
        manager.send_message(session.id, answer)

    report = manager.end_session(session.id)
    transcript = manager.get_transcript(session.id)
    final = manager.get_session(session.id)

    assert [m.seq for m in transcript] == list(range(1, 12))
    assert [m.role for m in transcript[:3]] == [Role.INTERVIEWER, Role.CANDIDATE, Role.INTERVIEWER]
    assert final.status is SessionStatus.COMPLETED and final.ended_at is not None
    assert final.message_count == 11
    assert report.status is EvaluationStatus.READY
    assert report.overall_score is not None and 0 <= report.overall_score <= 100
    assert final.overall_score == report.overall_score
    assert manager.get_evaluation(session.id) == report
    cited = {seq for d in report.dimension_scores.values() for seq in d.evidence}
    assert cited and cited <= {m.seq for m in transcript if m.role is Role.CANDIDATE}


def test_interviewer_never_repeats_a_question_within_a_session(manager: SessionManager) -> None:
    session = manager.create_session(SessionConfig())
    manager.start_session(session.id)
    for i in range(30):
        manager.send_message(session.id, f"answer {i} about caching, sharding and trade-offs")
    questions = [
        m.content
        for m in manager.get_transcript(session.id)
        if m.role is Role.INTERVIEWER and m.content.rstrip().endswith("?")
    ]
    assert len(questions) >= 15
    assert len(questions) == len(set(questions))


def test_a_session_is_continued_by_a_second_container_on_the_same_database(
    database_url: str, manager: SessionManager
) -> None:
    session = manager.create_session(SessionConfig())
    manager.start_session(session.id)
    manager.send_message(session.id, "first answer about requirements")

    other = Container()
    other.config.database.url.from_value(database_url)
    other.config.logging.enabled.from_value(False)
    try:
        second: SessionManager = other.session_manager()
        second.send_message(session.id, "second answer, from another process")
        report = second.end_session(session.id)
    finally:
        other.shutdown_resources()
    assert len(manager.get_transcript(session.id)) == 5
    assert manager.get_evaluation(session.id) == report


def test_a_silent_candidate_gets_no_evidence_not_a_made_up_score(manager: SessionManager) -> None:
    session = manager.create_session(SessionConfig())
    manager.start_session(session.id)
    report = manager.end_session(session.id)
    assert report.status is EvaluationStatus.NO_EVIDENCE
    assert report.overall_score is None
    assert all(d.score is None for d in report.dimension_scores.values())


def test_retry_does_not_regenerate_a_ready_evaluation(manager: SessionManager) -> None:
    session = manager.create_session(SessionConfig())
    manager.start_session(session.id)
    manager.send_message(session.id, ANSWERS[0])
    first = manager.end_session(session.id)
    again = manager.retry_evaluation(session.id)
    assert again == first and again.attempts == 1
    forced = manager.retry_evaluation(session.id, force=True)
    assert forced.attempts == 2 and forced.overall_score == first.overall_score


def test_idempotent_create_returns_the_same_session(manager: SessionManager) -> None:
    key = "0f6f1a2e-3b4c-4d5e-8f90-112233445566"
    config = SessionConfig(resume_data=RESUME, metadata={"req": 1})
    first = manager.create_session(config, session_id=key)
    second = manager.create_session(config, session_id=key)
    assert first == second
    assert len(manager.list_sessions(user_id="cand-1")) == 1
    with pytest.raises(InvalidInputError, match="already used"):
        manager.create_session(SessionConfig(duration_minutes=10), session_id=key)


def test_list_sessions_is_newest_first_and_filters(manager: SessionManager) -> None:
    ids = [manager.create_session(SessionConfig(), user_id="lister").id for _ in range(4)]
    manager.start_session(ids[1])
    listed = manager.list_sessions(user_id="lister")
    assert [s.id for s in listed] == ids[::-1]
    assert [s.id for s in manager.list_sessions(user_id="lister", status="active")] == [ids[1]]
    assert [s.id for s in manager.list_sessions(user_id="lister", limit=2, offset=1)] == ids[::-1][
        1:3
    ]
    assert manager.get_active_session("lister") == manager.get_session(ids[1])


def test_events_reach_subscribers_on_a_thread_of_their_own(container: Container) -> None:
    manager = container.session_manager()
    heard: list[tuple[str, int, str]] = []
    done = threading.Event()
    caller = threading.get_ident()

    def on_event(event: SessionEvent) -> None:
        assert threading.get_ident() != caller  # never on the interview's thread
        heard.append((event.type.value, event.id, event.data.get("message", {}).get("role", "")))
        if len(heard) == 5:
            done.set()

    session = manager.create_session(SessionConfig())
    with manager.subscribe(on_event, session_id=session.id, poll_interval=30):
        manager.start_session(session.id)
        manager.send_message(session.id, "hello there")
        assert done.wait(10), heard
    assert heard == [
        ("session.started", 1, ""),
        ("message.created", 2, "interviewer"),
        ("phase.changed", 3, ""),
        ("message.created", 4, "candidate"),
        ("message.created", 5, "interviewer"),
    ]


# ------------------------------------------------------------------ bad input leaves data unchanged


def _snapshot(manager: SessionManager, session_id: str) -> tuple[Any, ...]:
    return (
        manager.get_session(session_id),
        manager.get_transcript(session_id),
        manager.get_evaluation(session_id),
    )


@pytest.mark.parametrize(
    ("call", "args", "error"),
    [
        ("send_message", ("",), InvalidInputError),
        ("send_message", ("   ",), InvalidInputError),
        ("send_message", ("a\x00b",), InvalidInputError),
        ("send_message", ("x" * 20_001,), InvalidInputError),
        ("send_message", ("hi", CommunicationMode.AUDIO), InvalidInputError),
        ("start_session", (), InvalidStateTransitionError),
        ("resume_session", (), InvalidStateTransitionError),
        ("retry_evaluation", (), InvalidStateTransitionError),
    ],
)
def test_bad_input_on_an_active_session_changes_nothing(
    manager: SessionManager, call: str, args: tuple[Any, ...], error: type[Exception]
) -> None:
    session = manager.create_session(SessionConfig())
    manager.start_session(session.id)
    before = _snapshot(manager, session.id)
    with pytest.raises(error):
        getattr(manager, call)(session.id, *args)
    assert _snapshot(manager, session.id) == before


@pytest.mark.parametrize(
    "config_kwargs",
    [
        {"duration_minutes": -5},
        {"duration_minutes": 0},
        {"duration_minutes": 100_000},
        {"enabled_modes": []},
        {"ai_provider": "skynet"},
        {"template": "does_not_exist"},
        {"template": "../../etc/passwd"},
        {"metadata": {"when": object()}},
    ],
)
def test_bad_config_is_refused_and_stores_nothing(
    manager: SessionManager, config_kwargs: dict[str, Any]
) -> None:
    before = manager.list_sessions(limit=1000)
    with pytest.raises(InvalidInputError):
        manager.create_session(SessionConfig(**config_kwargs))
    assert manager.list_sessions(limit=1000) == before


@pytest.mark.parametrize("call", ["get_session", "start_session", "end_session", "get_transcript"])
def test_unknown_and_malformed_ids_are_refused(manager: SessionManager, call: str) -> None:
    with pytest.raises(SessionNotFoundError):
        getattr(manager, call)("00000000-0000-4000-8000-000000000000")
    with pytest.raises(InvalidInputError):
        getattr(manager, call)("' OR 1=1 --")


def test_logs_of_an_interview_carry_no_personal_data(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    container = Container()
    container.config.database.url.from_value(database_url)
    try:
        manager = container.session_manager()
        session = manager.create_session(SessionConfig(resume_data=RESUME))
        manager.start_session(session.id)
        manager.send_message(session.id, f"my number is {PLANTED_PHONE}, secret plan zebra")
        manager.send_message(session.id, PLANTED_MESSAGE)
        manager.end_session(session.id)
    finally:
        container.shutdown_resources()
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    operations = [line["operation"] for line in lines if line["component"] == "SessionManager"]
    assert operations == [
        "create_session",
        "start_session",
        "send_message",
        "send_message",
        "end_session",
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    for planted in (PLANTED_NAME, PLANTED_EMAIL, "7946", PLANTED_SCHOOL, "zebra", "Quokkaborough"):
        assert planted not in text


def test_a_candidate_cannot_have_two_active_sessions(manager: SessionManager) -> None:
    first = manager.create_session(SessionConfig(), user_id="double")
    second = manager.create_session(SessionConfig(), user_id="double")
    manager.start_session(first.id)
    with pytest.raises(InvalidStateTransitionError, match=first.id):
        manager.start_session(second.id)
    assert manager.get_session(second.id).status is SessionStatus.CREATED
    assert manager.get_transcript(second.id) == []
    manager.pause_session(first.id)
    assert manager.start_session(second.id).status is SessionStatus.ACTIVE

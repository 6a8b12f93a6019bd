"""The public JSON shapes: built from domain objects directly, no database."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from interview_orchestrator import (
    CommunicationMode,
    DimensionScore,
    EndReason,
    EvaluationReport,
    EvaluationStatus,
    EventType,
    InvalidInputError,
    Message,
    Role,
    Session,
    SessionConfig,
    SessionEvent,
    SessionStatus,
    Turn,
)
from interview_orchestrator.models import SessionStats, message_event_data
from interview_orchestrator.serialization import (
    EvaluationReportOut,
    MessageOut,
    SessionConfigOut,
    SessionEventOut,
    SessionOut,
    SessionStatsOut,
    SessionWithResumeOut,
    TurnOut,
    to_dict,
    to_json,
    to_model,
)
from tests.planted import PLANTED_API_KEY, PLANTED_EMAIL, PLANTED_MESSAGE, PLANTED_NAME

SESSION_ID = "3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))
#: A secret-looking value the interviewer keeps for itself: it must never leave the library.
STATE_SECRET = "interviewer-private-plan-7f3a"


def a_session(**changes: Any) -> Session:
    """An ACTIVE session 20 minutes in, with a résumé and interviewer state."""
    config = SessionConfig(
        enabled_modes=[CommunicationMode.TEXT, CommunicationMode.WHITEBOARD],
        ai_provider="openai",
        ai_model="gpt-4o-mini",
        resume_data={"name": PLANTED_NAME, "email": PLANTED_EMAIL, "skills": ["redis"]},
        duration_minutes=45,
        template="system_design",
        metadata={"requisition": "R-118"},
        fallback_provider="offline",
    )
    session = Session(
        id=SESSION_ID,
        user_id="cand-42",
        tenant_id="acme",
        status=SessionStatus.ACTIVE,
        config=config,
        created_at=T0,
        started_at=T0 + timedelta(minutes=1),
        last_activity_at=T0 + timedelta(minutes=20),
        active_seconds=600.0,
        active_since=T0 + timedelta(minutes=11),
        message_count=7,
        version=4,
        interviewer_state={"plan": STATE_SECRET, "api_key": PLANTED_API_KEY},
        event_count=12,
        turn_seq=7,
        turn_expires_at=T0 + timedelta(minutes=21),
        phase="high_level_design",
    )
    return session.with_changes(**changes)


def a_message(seq: int = 3, **changes: Any) -> Message:
    message = Message(
        session_id=SESSION_ID,
        seq=seq,
        role=Role.CANDIDATE,
        mode=CommunicationMode.TEXT,
        content=PLANTED_MESSAGE,
        created_at=T0 + timedelta(minutes=5),
        client_message_id="c-0003",
    )
    return dataclasses.replace(message, **changes)


def a_reply() -> Message:
    return Message(
        session_id=SESSION_ID,
        seq=4,
        role=Role.INTERVIEWER,
        mode=CommunicationMode.TEXT,
        content="How would you shard it?",
        created_at=T0 + timedelta(minutes=5, seconds=2),
        reply_to=3,
    )


def a_report(**changes: Any) -> EvaluationReport:
    report = EvaluationReport(
        session_id=SESSION_ID,
        status=EvaluationStatus.READY,
        overall_score=72.5,
        dimension_scores={
            "requirements": DimensionScore("requirements", 4, (3, 5), "Clarified scale first."),
            "scalability": DimensionScore("scalability", 3, (5,), "Sharding, no rebalancing."),
            "trade_offs": DimensionScore("trade_offs", None, (), "insufficient evidence"),
        },
        strengths=("Clear requirements",),
        improvements=("Discuss failure modes",),
        summary="A solid design with gaps in resilience.",
        provider="openai",
        model="gpt-4o-mini",
        created_at=T0 + timedelta(minutes=46),
        updated_at=T0 + timedelta(minutes=47),
        completed_at=T0 + timedelta(minutes=47),
        started_at=T0 + timedelta(minutes=46, seconds=30),
        coverage=0.8,
        template="system_design",
        rubric_version="2",
        attempts=1,
        provenance={"method": "llm", "usage": {"prompt_tokens": 900, "total_tokens": 1200}},
    )
    return dataclasses.replace(report, **changes)


def an_event() -> SessionEvent:
    return SessionEvent(
        id=9,
        type=EventType.MESSAGE_CREATED,
        session_id=SESSION_ID,
        data=message_event_data(a_message()),
        created_at=T0 + timedelta(minutes=5),
        tenant_id="acme",
    )


def some_stats() -> SessionStats:
    return SessionStats(
        by_status={SessionStatus.ACTIVE: 2, SessionStatus.COMPLETED: 5},
        per_day=(("2026-02-28", 3), ("2026-03-01", 4)),
        average_active_seconds=1834.5,
        average_score=68.25,
        scored_sessions=5,
        score_histogram=(0, 0, 0, 0, 1, 1, 2, 1, 0, 0),
        evaluations_by_status={EvaluationStatus.READY: 5},
        since=T0 - timedelta(days=30),
    )


NOW = T0 + timedelta(minutes=20)
DOMAIN_OBJECTS: list[Any] = [
    a_session(),
    a_message(),
    Turn(a_message(), a_reply()),
    a_report(),
    an_event(),
    some_stats(),
]
SHAPES: list[BaseModel] = [
    SessionOut.from_domain(a_session(), now=NOW),
    SessionWithResumeOut.from_domain(a_session(), now=NOW),
    MessageOut.from_domain(a_message()),
    TurnOut.from_domain(Turn(a_message(), a_reply())),
    EvaluationReportOut.from_domain(a_report()),
    SessionEventOut.from_domain(an_event()),
    SessionStatsOut.from_domain(some_stats()),
]


def ids(value: object) -> str:
    return type(value).__name__


# --------------------------------------------------------------------------- sessions


def test_session_shape_carries_the_public_fields_of_the_session() -> None:
    data = SessionOut.from_domain(a_session(), now=NOW).model_dump(mode="json")

    assert data["id"] == SESSION_ID
    assert data["tenant_id"] == "acme"
    assert data["user_id"] == "cand-42"
    assert data["config"] == {
        "enabled_modes": ["text", "whiteboard"],
        "ai_provider": "openai",
        "ai_model": "gpt-4o-mini",
        "duration_minutes": 45,
        "template": "system_design",
        "language": "en",
        "metadata": {"requisition": "R-118"},
        "fallback_provider": "offline",
        "max_turns": None,
        "persona": "neutral",
    }
    assert data["started_at"] == "2026-03-01T09:01:00Z"
    assert data["ended_at"] is None
    assert data["message_count"] == 7
    assert data["phase"] == "high_level_design"
    assert data["event_count"] == 12


def test_every_field_of_a_session_is_shown_or_deliberately_left_out() -> None:
    internal = {"interviewer_state", "version", "turn_seq", "turn_expires_at", "active_since"}
    computed = {"has_resume", "remaining_seconds", "turn_in_progress"}
    domain = {f.name for f in dataclasses.fields(Session)}

    assert set(SessionOut.model_fields) == (domain - internal) | computed


def test_every_field_of_a_session_config_but_the_resume_is_shown() -> None:
    domain = {f.name for f in dataclasses.fields(SessionConfig)}

    assert set(SessionConfigOut.model_fields) == domain - {"resume_data"}


@pytest.mark.parametrize("shape", [SessionOut, SessionWithResumeOut])
def test_interviewer_state_never_appears_in_the_json(shape: type[SessionOut]) -> None:
    text = shape.from_domain(a_session(), now=NOW).model_dump_json()

    assert STATE_SECRET not in text
    assert PLANTED_API_KEY not in text
    assert "interviewer_state" not in text


def test_version_and_turn_internals_are_not_in_the_json() -> None:
    data = SessionOut.from_domain(a_session(), now=NOW).model_dump(mode="json")

    assert {"version", "turn_seq", "turn_expires_at", "active_since"}.isdisjoint(data)


def test_resume_is_absent_by_default() -> None:
    text = to_json(a_session(), now=NOW)

    assert PLANTED_NAME not in text
    assert PLANTED_EMAIL not in text
    assert "resume_data" not in text


def test_has_resume_says_whether_one_was_given() -> None:
    without = a_session(config=SessionConfig(resume_data=None))

    assert SessionOut.from_domain(a_session(), now=NOW).has_resume is True
    assert SessionOut.from_domain(without, now=NOW).has_resume is False


def test_resume_is_included_when_asked_for_explicitly() -> None:
    data = to_dict(a_session(), now=NOW, include_resume=True)

    assert data["config"]["resume_data"]["email"] == PLANTED_EMAIL
    assert data["has_resume"] is True


def test_the_default_shape_refuses_a_resume() -> None:
    with_resume = SessionWithResumeOut.from_domain(a_session(), now=NOW).model_dump(mode="json")

    with pytest.raises(ValidationError, match="resume_data"):
        SessionOut.model_validate(with_resume)


def test_active_time_includes_the_running_stretch_up_to_now() -> None:
    out = SessionOut.from_domain(a_session(), now=NOW)

    # 600 s stored, plus 9 minutes ACTIVE since 09:11.
    assert out.active_seconds == 1140.0
    assert out.remaining_seconds == 45 * 60 - 1140.0


def test_a_paused_session_clock_does_not_move() -> None:
    paused = a_session(status=SessionStatus.PAUSED, active_since=None)

    out = SessionOut.from_domain(paused, now=NOW + timedelta(hours=3))

    assert out.active_seconds == 600.0


def test_remaining_time_is_zero_once_used_up() -> None:
    out = SessionOut.from_domain(a_session(), now=T0 + timedelta(hours=2))

    assert out.remaining_seconds == 0.0


def test_turn_is_in_progress_until_it_expires() -> None:
    session = a_session()

    assert SessionOut.from_domain(session, now=NOW).turn_in_progress is True
    later = NOW + timedelta(minutes=5)
    assert SessionOut.from_domain(session, now=later).turn_in_progress is False


def test_no_turn_is_in_progress_without_a_waiting_message() -> None:
    session = a_session(turn_seq=None, turn_expires_at=None)

    assert SessionOut.from_domain(session, now=NOW).turn_in_progress is False


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        SessionOut.from_domain(a_session(), now=datetime(2026, 3, 1, 9, 20))


def test_a_completed_session_shows_its_end() -> None:
    ended = a_session(
        status=SessionStatus.COMPLETED,
        ended_at=T0 + timedelta(minutes=46),
        end_reason=EndReason.TIME_LIMIT,
        overall_score=72.5,
        active_since=None,
        turn_seq=None,
        turn_expires_at=None,
    )

    data = SessionOut.from_domain(ended, now=NOW).model_dump(mode="json")

    assert data["status"] == "completed"
    assert data["end_reason"] == "time_limit"
    assert data["ended_at"] == "2026-03-01T09:46:00Z"
    assert data["overall_score"] == 72.5


# --------------------------------------------------------------------------- times, enums, numbers


def test_times_are_utc_with_z_whatever_offset_they_came_with() -> None:
    in_paris = datetime(2026, 3, 1, 10, 0, tzinfo=PARIS)
    session = a_session(created_at=in_paris, last_activity_at=in_paris + timedelta(minutes=20))

    data = SessionOut.from_domain(session, now=NOW).model_dump(mode="json")

    assert data["created_at"] == "2026-03-01T09:00:00Z"
    assert data["last_activity_at"] == "2026-03-01T09:20:00Z"


def test_times_keep_fractional_seconds_as_the_event_data_writes_them() -> None:
    message = a_message(created_at=datetime(2026, 3, 1, 10, 5, 7, 250_000, tzinfo=PARIS))

    data = MessageOut.from_domain(message).model_dump(mode="json")

    assert data["created_at"] == "2026-03-01T09:05:07.250000Z"
    assert data["created_at"] == message_event_data(message)["created_at"]


def test_times_are_held_in_utc_in_python_too() -> None:
    message = a_message(created_at=datetime(2026, 3, 1, 10, 5, tzinfo=PARIS))

    assert MessageOut.from_domain(message).created_at.tzinfo is UTC


def test_a_time_without_an_offset_is_refused() -> None:
    data = MessageOut.from_domain(a_message()).model_dump(mode="json")

    with pytest.raises(ValidationError, match="timezone"):
        MessageOut.model_validate({**data, "created_at": "2026-03-01T09:05:00"})


def test_enums_are_lower_case_strings() -> None:
    session = to_dict(a_session(), now=NOW)
    message = to_dict(a_message())
    report = to_dict(a_report())
    event = to_dict(an_event())
    stats = to_dict(some_stats())

    assert session["status"] == "active"
    assert session["config"]["enabled_modes"] == ["text", "whiteboard"]
    assert (message["role"], message["mode"]) == ("candidate", "text")
    assert report["status"] == "ready"
    assert event["type"] == "message.created"
    assert set(stats["by_status"]) == {"created", "active", "paused", "completed"}


def test_scores_and_durations_are_json_numbers() -> None:
    session = json.loads(to_json(a_session(overall_score=72.5), now=NOW))
    report = json.loads(to_json(a_report()))

    assert session["overall_score"] == 72.5
    assert isinstance(session["active_seconds"], float)
    assert isinstance(session["remaining_seconds"], float)
    assert (report["overall_score"], report["coverage"]) == (72.5, 0.8)


# --------------------------------------------------------------------------- transcript


def test_message_shape_carries_every_field_of_the_message() -> None:
    data = MessageOut.from_domain(a_message()).model_dump(mode="json")

    assert data == {
        "session_id": SESSION_ID,
        "seq": 3,
        "role": "candidate",
        "mode": "text",
        "content": PLANTED_MESSAGE,
        "created_at": "2026-03-01T09:05:00Z",
        "late": False,
        "client_message_id": "c-0003",
        "reply_to": None,
    }
    assert set(MessageOut.model_fields) == {f.name for f in dataclasses.fields(Message)}


def test_message_content_is_returned_exactly_as_sent() -> None:
    content = "\u202e emoji 🧪, quotes \"'; DROP TABLE x; --\n\tend"

    assert json.loads(to_json(a_message(content=content)))["content"] == content


def test_turn_shape_holds_the_message_and_the_reply() -> None:
    data = TurnOut.from_domain(Turn(a_message(), a_reply())).model_dump(mode="json")

    assert data["candidate"]["seq"] == 3
    assert data["reply"]["role"] == "interviewer"
    assert data["reply"]["reply_to"] == 3


# --------------------------------------------------------------------------- evaluations


def test_every_public_field_of_an_evaluation_is_shown() -> None:
    domain = {f.name for f in dataclasses.fields(EvaluationReport)}

    assert set(EvaluationReportOut.model_fields) == domain


def test_evaluation_shape_carries_the_report() -> None:
    data = EvaluationReportOut.from_domain(a_report()).model_dump(mode="json")

    assert data["status"] == "ready"
    assert data["strengths"] == ["Clear requirements"]
    assert data["improvements"] == ["Discuss failure modes"]
    assert data["rubric_version"] == "2"
    assert data["started_at"] == "2026-03-01T09:46:30Z"
    assert data["completed_at"] == "2026-03-01T09:47:00Z"
    assert data["provenance"]["usage"]["total_tokens"] == 1200


def test_dimension_scores_keep_the_rubric_order_evidence_and_rationale() -> None:
    data = EvaluationReportOut.from_domain(a_report()).model_dump(mode="json")

    assert list(data["dimension_scores"]) == ["requirements", "scalability", "trade_offs"]
    assert data["dimension_scores"]["requirements"] == {
        "dimension": "requirements",
        "score": 4,
        "evidence": [3, 5],
        "rationale": "Clarified scale first.",
    }


def test_a_dimension_without_evidence_has_a_null_score() -> None:
    data = EvaluationReportOut.from_domain(a_report()).model_dump(mode="json")

    assert data["dimension_scores"]["trade_offs"]["score"] is None


def test_a_failed_evaluation_shows_its_error_and_no_score() -> None:
    failed = a_report(
        status=EvaluationStatus.FAILED,
        overall_score=None,
        dimension_scores={},
        completed_at=None,
        error="provider timed out after 30 s",
        attempts=2,
    )

    data = EvaluationReportOut.from_domain(failed).model_dump(mode="json")

    assert (data["status"], data["overall_score"]) == ("failed", None)
    assert data["error"] == "provider timed out after 30 s"
    assert data["attempts"] == 2


# --------------------------------------------------------------------------- events, stats


def test_event_shape_is_the_websocket_frame() -> None:
    data = SessionEventOut.from_domain(an_event()).model_dump(mode="json")

    assert set(data) == {"id", "type", "session_id", "data", "created_at"}
    assert (data["id"], data["type"]) == (9, "message.created")
    assert data["data"]["seq"] == 3
    assert data["created_at"] == "2026-03-01T09:05:00Z"


def test_stats_shape_names_every_status_even_without_sessions() -> None:
    data = SessionStatsOut.from_domain(some_stats()).model_dump(mode="json")

    assert data["by_status"] == {"created": 0, "active": 2, "paused": 0, "completed": 5}
    assert data["evaluations_by_status"] == {
        "pending": 0,
        "running": 0,
        "ready": 5,
        "no_evidence": 0,
        "failed": 0,
    }


def test_stats_shape_carries_days_averages_and_histogram() -> None:
    data = SessionStatsOut.from_domain(some_stats()).model_dump(mode="json")

    assert data["per_day"] == [
        {"day": "2026-02-28", "sessions": 3},
        {"day": "2026-03-01", "sessions": 4},
    ]
    assert (data["average_active_seconds"], data["average_score"]) == (1834.5, 68.25)
    assert data["score_histogram"] == [0, 0, 0, 0, 1, 1, 2, 1, 0, 0]
    assert data["since"] == "2026-01-30T09:00:00Z"


# --------------------------------------------------------------------------- every shape


@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_json_data_validates_back_to_the_same_shape(shape: BaseModel) -> None:
    assert type(shape).model_validate(shape.model_dump(mode="json")) == shape


@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_json_text_validates_back_to_the_same_shape(shape: BaseModel) -> None:
    assert type(shape).model_validate_json(shape.model_dump_json()) == shape


@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_shapes_are_frozen(shape: BaseModel) -> None:
    field = next(iter(type(shape).model_fields))

    with pytest.raises(ValidationError, match="frozen"):
        setattr(shape, field, None)


@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_shapes_refuse_unknown_fields(shape: BaseModel) -> None:
    with pytest.raises(ValidationError, match="extra"):
        type(shape).model_validate({**shape.model_dump(mode="json"), "surprise": 1})


@pytest.mark.parametrize("shape", SHAPES, ids=ids)
def test_json_schema_describes_every_field(shape: BaseModel) -> None:
    schema = type(shape).model_json_schema(mode="serialization")
    objects = [schema, *schema.get("$defs", {}).values()]

    undescribed = [
        f"{obj['title']}.{name}"
        for obj in objects
        if obj.get("type") == "object"
        for name, field in obj["properties"].items()
        if not field.get("description")
    ]
    assert undescribed == []
    assert all(obj.get("description") for obj in objects if obj.get("type") == "object")


def test_json_schema_gives_times_as_date_time_strings() -> None:
    created_at = SessionOut.model_json_schema(mode="serialization")["properties"]["created_at"]

    assert (created_at["type"], created_at["format"]) == ("string", "date-time")


def test_json_schema_lists_the_enum_values() -> None:
    schema = SessionOut.model_json_schema(mode="serialization")

    assert schema["$defs"]["SessionStatus"]["enum"] == ["created", "active", "paused", "completed"]


def test_json_schema_of_the_default_session_has_no_resume() -> None:
    assert "resume_data" not in json.dumps(SessionOut.model_json_schema(mode="serialization"))


# --------------------------------------------------------------------------- dispatch


EXPECTED_SHAPES = [
    SessionOut,
    MessageOut,
    TurnOut,
    EvaluationReportOut,
    SessionEventOut,
    SessionStatsOut,
]


@pytest.mark.parametrize(
    ("obj", "shape"), list(zip(DOMAIN_OBJECTS, EXPECTED_SHAPES, strict=True)), ids=ids
)
def test_to_model_picks_the_shape_by_type(obj: Any, shape: type[BaseModel]) -> None:
    assert type(to_model(obj, now=NOW)) is shape


@pytest.mark.parametrize("obj", DOMAIN_OBJECTS, ids=ids)
def test_to_dict_is_the_json_data_of_the_shape(obj: Any) -> None:
    assert to_dict(obj, now=NOW) == to_model(obj, now=NOW).model_dump(mode="json")


@pytest.mark.parametrize("obj", DOMAIN_OBJECTS, ids=ids)
def test_to_json_is_json_text_of_the_same_data(obj: Any) -> None:
    assert json.loads(to_json(obj, now=NOW)) == to_dict(obj, now=NOW)


def test_include_resume_picks_the_shape_with_the_resume() -> None:
    assert type(to_model(a_session(), include_resume=True)) is SessionWithResumeOut


def test_an_object_without_a_shape_is_refused() -> None:
    with pytest.raises(TypeError, match="no public shape for SessionConfig"):
        to_dict(SessionConfig())  # type: ignore[arg-type]

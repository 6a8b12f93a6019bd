"""Whole interviews on the openai provider: the real container, SQLite, the official client
and the scripted server. What is sent, what is stored, and what the candidate sees."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from dependency_injector import providers
from tests.planted import PLANTED_API_KEY, PLANTED_MESSAGE, planted_in

from interview_orchestrator import (
    CommunicationMode,
    EvaluationReport,
    EvaluationStatus,
    InvalidInputError,
    InvalidStateTransitionError,
    ProviderError,
    Role,
    SessionConfig,
    SessionManager,
    SessionStatus,
)
from interview_orchestrator.log_events import LogEvent
from interview_orchestrator.testing import (
    RecordedRequest,
    ScriptedOpenAIServer,
    ScriptedResponse,
    completion,
    interviewer_turn,
    plausible_responder,
    server_error,
)

ConfigFor = Callable[..., SessionConfig]
BOARD = {"shapes": [{"id": "lb", "label": "load balancer"}, {"id": "db", "label": "sharded db"}]}
ANSWERS = [
    PLANTED_MESSAGE,
    "High level: load balancer, stateless API servers, Redis cache, sharded key-value store.",
    "Codes come from a key service handing out base62 ranges, so there are no collisions.",
]


def note_writer(request: RecordedRequest) -> ScriptedResponse | None:
    """Interviewer turns with a recognisable private note; evaluations answered plausibly."""
    if request.schema_name == "interviewer_turn":
        turn = sum(1 for m in request.messages if m.get("role") == "assistant") + 1
        return completion(
            interviewer_turn(f"Question {turn}: why that choice?", [f"SECRET-NOTE-{turn}"])
        )
    return plausible_responder(request)


def run_interview(manager: SessionManager, config: SessionConfig) -> tuple[str, EvaluationReport]:
    session = manager.create_session(config)
    manager.start_session(session.id)
    manager.send_message(session.id, ANSWERS[0])
    manager.send_message(session.id, json.dumps(BOARD), CommunicationMode.WHITEBOARD)
    manager.pause_session(session.id)
    manager.resume_session(session.id)
    for answer in ANSWERS[1:]:
        manager.send_message(session.id, answer)
    return session.id, manager.end_session(session.id)


def test_a_whole_interview_runs_through_the_real_client_to_a_ready_report(
    manager: SessionManager, scripted_openai_server: ScriptedOpenAIServer, openai_config: ConfigFor
) -> None:
    scripted_openai_server.handler = note_writer
    session_id, report = run_interview(manager, openai_config())

    transcript = manager.get_transcript(session_id)
    assert [m.role for m in transcript] == [Role.INTERVIEWER, Role.CANDIDATE] * 4 + [
        Role.INTERVIEWER
    ]
    assert transcript[2].content == "Question 2: why that choice?"
    assert manager.get_session(session_id).status is SessionStatus.COMPLETED
    assert report.status is EvaluationStatus.READY and report.provider == "openai"
    assert report.overall_score == 50.0 and report.coverage == 1.0
    assert report.model == "scripted-model"
    provenance = report.provenance
    assert provenance["requested_model"] == "gpt-4o-mini"
    assert provenance["served_model"] == "scripted-model"
    assert provenance["template_version"] and provenance["rubric_version"]
    assert provenance["prompt_version"].startswith("evaluator-")
    assert provenance["usage"]["total_tokens"] > 0 and provenance["latency_seconds"] > 0
    assert len(scripted_openai_server.chat_requests) == 6  # opening, 4 replies, evaluation


def test_notes_are_stored_but_never_in_the_transcript_or_the_logs(
    openai_container: Any,
    manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    openai_config: ConfigFor,
    interview_logs: list[dict[str, Any]],
) -> None:
    scripted_openai_server.handler = note_writer
    session_id, _ = run_interview(manager, openai_config())

    notes = openai_container.data_store().get_notes(session_id)
    # The opening question's notes are kept too (message 1), then each reply's.
    assert [n.content for n in notes] == [f"SECRET-NOTE-{i}" for i in (1, 2, 3, 4, 5)]
    assert [n.message_seq for n in notes] == [1, 3, 5, 7, 9]
    assert not any("SECRET-NOTE" in m.content for m in manager.get_transcript(session_id))
    assert interview_logs and "SECRET-NOTE" not in json.dumps(interview_logs)
    evaluation_request = scripted_openai_server.chat_requests[-1]
    assert "SECRET-NOTE-2" in evaluation_request.text  # the evaluator gets them as context


def test_the_model_sees_only_the_resume_fields_the_template_asks_for(
    manager: SessionManager, scripted_openai_server: ScriptedOpenAIServer, openai_config: ConfigFor
) -> None:
    scripted_openai_server.handler = plausible_responder
    run_interview(manager, openai_config())
    bodies = [r.text for r in scripted_openai_server.chat_requests]
    assert all(set(planted_in(body)) <= {"message"} for body in bodies)  # answers go in
    assert '\\"skills\\": [\\"redis\\", \\"kafka\\"]' in bodies[0]
    assert '\\"years_experience\\": 7' in bodies[0]


def test_with_store_false_every_request_asks_the_provider_not_to_store_it(
    openai_container: Any, scripted_openai_server: ScriptedOpenAIServer, openai_config: ConfigFor
) -> None:
    openai_container.config.openai.store.from_value(False)
    scripted_openai_server.handler = plausible_responder
    run_interview(openai_container.session_manager(), openai_config())
    assert {r.json["store"] for r in scripted_openai_server.chat_requests} == {False}


def test_a_report_produced_by_the_fallback_names_its_provider_and_model(
    openai_container: Any,
    scripted_openai_server: ScriptedOpenAIServer,
    openai_config: ConfigFor,
) -> None:
    """A runner without the key (e.g. a worker started without OPENAI_API_KEY): the primary
    evaluator fails before any request, and the offline one does the work."""
    openai_container.config.evaluation.mode.from_value("background")
    scripted_openai_server.handler = plausible_responder
    manager = openai_container.session_manager()
    session = manager.create_session(openai_config(fallback_provider="offline"))
    manager.start_session(session.id)
    manager.send_message(session.id, ANSWERS[1])
    manager.end_session(session.id)
    scripted_openai_server.clear_requests()
    openai_container.openai_client.reset()
    openai_container.openai_api_key.override(providers.Object(None))

    report = openai_container.evaluation_manager().generate_evaluation(session.id)
    assert scripted_openai_server.chat_requests == []
    assert (report.provider, report.model) == ("offline", "rubric-rules")
    assert report.provenance["provider"] == "offline"
    assert report.provenance["model"] == "rubric-rules"
    assert report.provenance["fallback_from"] == "openai"
    assert "not configured" in report.provenance["primary_error"]


def test_the_whiteboard_export_reaches_the_interviewer_as_structured_content(
    manager: SessionManager, scripted_openai_server: ScriptedOpenAIServer, openai_config: ConfigFor
) -> None:
    scripted_openai_server.handler = plausible_responder
    run_interview(manager, openai_config())
    after_board = scripted_openai_server.chat_requests[2]
    exports = [
        json.loads(m["content"])["candidate_whiteboard_export"]
        for m in after_board.messages
        if m["role"] == "user" and "candidate_whiteboard_export" in m["content"]
    ]
    assert exports == [{"seq": 4, "format": "json", "content": BOARD}]


def test_a_session_naming_openai_without_a_key_is_refused_at_create(
    interview_container: Any, openai_config: ConfigFor
) -> None:
    manager = interview_container.session_manager()
    with pytest.raises(
        InvalidInputError, match="AI provider 'openai' is not configured: set OPENAI_API_KEY"
    ):
        manager.create_session(openai_config())
    with pytest.raises(InvalidInputError, match="OPENAI_API_KEY"):
        manager.create_session(SessionConfig(ai_provider="offline", fallback_provider="openai"))
    assert manager.list_sessions() == []


def test_the_key_is_read_from_the_environment(
    interview_container: Any,
    scripted_openai_server: ScriptedOpenAIServer,
    openai_config: ConfigFor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLANTED_API_KEY)
    interview_container.config.openai.base_url.from_value(scripted_openai_server.base_url)
    scripted_openai_server.handler = plausible_responder
    manager = interview_container.session_manager()
    session = manager.create_session(openai_config())
    manager.start_session(session.id)
    sent = scripted_openai_server.chat_requests[0]
    assert sent.headers["authorization"] == f"Bearer {PLANTED_API_KEY}"


def test_a_failing_provider_falls_back_to_offline_for_the_whole_session(
    manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    openai_config: ConfigFor,
    interview_logs: list[dict[str, Any]],
) -> None:
    scripted_openai_server.handler = lambda _: server_error(503)
    session_id, report = run_interview(manager, openai_config(fallback_provider="offline"))

    transcript = manager.get_transcript(session_id)
    assert transcript[0].content.startswith("Hi, and thanks for joining!")  # offline opening
    assert report.status is EvaluationStatus.READY and report.provider == "offline"
    assert report.provenance["fallback_from"] == "openai"
    assert "HTTP 503" in report.provenance["primary_error"]
    # opening fails over, later turns stay on offline, the evaluation fails over
    assert len(scripted_openai_server.chat_requests) == 2
    fallbacks = [
        line
        for line in interview_logs
        if line["message"] in (LogEvent.INTERVIEWER_FALLBACK, LogEvent.EVALUATOR_FALLBACK)
    ]
    assert [line["message"] for line in fallbacks] == [
        LogEvent.INTERVIEWER_FALLBACK,
        LogEvent.EVALUATOR_FALLBACK,
    ]
    assert fallbacks[0]["level"] == "warning"
    assert fallbacks[0]["metadata"]["from"] == "openai"


def test_without_a_fallback_a_failing_reply_keeps_the_candidates_message(
    manager: SessionManager, scripted_openai_server: ScriptedOpenAIServer, openai_config: ConfigFor
) -> None:
    scripted_openai_server.handler = plausible_responder
    session = manager.create_session(openai_config())
    manager.start_session(session.id)
    scripted_openai_server.handler = lambda _: server_error(500)
    with pytest.raises(ProviderError, match=r"message #2 is stored") as failed:
        manager.send_message(session.id, ANSWERS[0])
    # Structured for callers; the words name no internal address, the cause has the detail.
    assert failed.value.candidate_message_seq == 2 and failed.value.retryable
    assert "http" not in str(failed.value) and "127.0.0.1" not in str(failed.value)
    assert "HTTP 500 after 1 attempt" in str(failed.value.__cause__)
    assert [m.content for m in manager.get_transcript(session.id)][1] == ANSWERS[0]


def test_retry_reply_answers_the_message_a_failed_provider_left(
    manager: SessionManager, scripted_openai_server: ScriptedOpenAIServer, openai_config: ConfigFor
) -> None:
    scripted_openai_server.handler = plausible_responder
    session = manager.create_session(openai_config())
    manager.start_session(session.id)
    scripted_openai_server.handler = lambda _: server_error(500)
    with pytest.raises(ProviderError):
        manager.send_message(session.id, ANSWERS[0])
    scripted_openai_server.handler = plausible_responder
    reply = manager.retry_reply(session.id)
    transcript = manager.get_transcript(session.id)
    assert [(m.seq, m.role) for m in transcript] == [
        (1, Role.INTERVIEWER),
        (2, Role.CANDIDATE),
        (3, Role.INTERVIEWER),
    ]
    assert reply.reply_to == 2 and transcript[2].content == reply.content
    with pytest.raises(InvalidStateTransitionError, match="last message is the interviewer's"):
        manager.retry_reply(session.id)


def test_a_failing_start_leaves_the_session_created(
    manager: SessionManager, scripted_openai_server: ScriptedOpenAIServer, openai_config: ConfigFor
) -> None:
    scripted_openai_server.handler = lambda _: server_error(500)
    session = manager.create_session(openai_config())
    with pytest.raises(ProviderError, match="HTTP 500"):
        manager.start_session(session.id)
    assert manager.get_session(session.id).status is SessionStatus.CREATED
    assert manager.get_transcript(session.id) == []


def test_offline_and_openai_reports_have_the_same_shape(
    manager: SessionManager, scripted_openai_server: ScriptedOpenAIServer, openai_config: ConfigFor
) -> None:
    scripted_openai_server.handler = plausible_responder
    _, offline = run_interview(manager, openai_config(ai_provider="offline"))
    _, online = run_interview(manager, openai_config())

    def shape(report: EvaluationReport) -> dict[str, Any]:
        return {
            "fields": {
                name: type(value).__name__
                for name, value in vars(report).items()
                if value is not None
            },
            "dimensions": list(report.dimension_scores),
            "scores_are_1_to_5_or_none": all(
                d.score is None or (isinstance(d.score, int) and 1 <= d.score <= 5)
                for d in report.dimension_scores.values()
            ),
            "evidence": {type(d.evidence).__name__ for d in report.dimension_scores.values()},
        }

    assert shape(offline) == shape(online)
    assert offline.status is online.status is EvaluationStatus.READY

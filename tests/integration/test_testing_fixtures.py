"""The package's pytest fixtures and scripted chat model, used as a platform team would."""

from __future__ import annotations

from typing import Any

from dependency_injector import providers
from tests.planted import planted_in, planted_resume

from interview_orchestrator import EvaluationStatus, SessionConfig, SessionManager
from interview_orchestrator.testing import ScriptedChatModel, evaluation, interviewer_turn


def test_the_session_manager_fixture_runs_an_offline_interview(
    session_manager: SessionManager,
) -> None:
    session = session_manager.create_session(SessionConfig(), user_id="platform-test")
    session_manager.start_session(session.id)
    session_manager.send_message(session.id, "I would clarify the requirements first.")
    report = session_manager.end_session(session.id)
    assert report.status is EvaluationStatus.READY
    assert len(session_manager.get_transcript(session.id)) == 3


def test_the_library_logs_are_captured_as_parsed_lines(
    session_manager: SessionManager, interview_logs: list[dict[str, Any]]
) -> None:
    session = session_manager.create_session(
        SessionConfig(resume_data=planted_resume(skills=["go"]))
    )
    operations = [line["operation"] for line in interview_logs]
    assert operations == ["create_session"]
    assert interview_logs[0]["session_id"] == session.id
    assert planted_in(str(interview_logs)) == []


def test_a_scripted_chat_model_replaces_the_openai_provider_without_http(
    interview_container: Any,
) -> None:
    dimensions = [
        d.id for d in interview_container.templates().get("system_design").rubric.dimensions
    ]
    chat = ScriptedChatModel(
        interviewer_turn("Hello! How would you design it?"),
        interviewer_turn("Why a cache?", ["probed caching"]),
        evaluation({d: (4, [2]) for d in dimensions}),
    )
    interview_container.chat_model.override(providers.Object(chat))
    manager: SessionManager = interview_container.session_manager()
    session = manager.create_session(SessionConfig(ai_provider="openai"))
    manager.start_session(session.id)
    assert manager.send_message(session.id, "With a cache.").content == "Why a cache?"
    report = manager.end_session(session.id)
    assert report.status is EvaluationStatus.READY and report.overall_score == 75.0
    assert len(chat.requests) == 3 and chat.pending == 0

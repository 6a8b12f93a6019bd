"""Every line the library logs is named by a ``LogEvent``, with its data in fields: a whole
interview, a background evaluation, keys, and refused calls, on each database."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import providers
from tests.planted import PLANTED_MESSAGE, planted_in, planted_resume

from interview_orchestrator import (
    Container,
    InvalidStateTransitionError,
    SessionConfig,
    SessionManager,
    SessionNotFoundError,
)
from interview_orchestrator.log_events import LogEvent
from interview_orchestrator.testing.pytest_plugin import capturing_logger

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def lines(container: Container) -> list[dict[str, Any]]:
    """The lines the container's components log during the test, parsed."""
    kept: list[dict[str, Any]] = []
    container.logger.override(providers.Object(capturing_logger(kept)))
    return kept


@pytest.fixture
def logged_manager(container: Container, lines: list[dict[str, Any]]) -> SessionManager:
    built: SessionManager = container.session_manager()
    return built


def interview_and_refusals(container: Container, manager: SessionManager) -> None:
    session = manager.create_session(SessionConfig(resume_data=planted_resume()))
    manager.start_session(session.id)
    manager.send_message(session.id, PLANTED_MESSAGE)
    manager.pause_session(session.id)
    manager.resume_session(session.id)
    manager.send_message(session.id, "I would add a cache in front of the database.")
    manager.end_session(session.id)
    manager.retry_evaluation(session.id, force=True)
    manager.get_session(session.id)
    with pytest.raises(InvalidStateTransitionError):
        manager.pause_session(session.id)
    with pytest.raises(SessionNotFoundError):
        manager.get_transcript(UNKNOWN)

    later = manager.create_session(SessionConfig())
    manager.start_session(later.id)
    manager.end_session(later.id, evaluate="background")
    assert container.worker().run_one()

    access = container.access_manager()
    key, _token = access.create_key("ops", "admin")
    access.revoke_key(key.id)


def test_every_logged_message_is_a_log_event_name(
    container: Container, logged_manager: SessionManager, lines: list[dict[str, Any]]
) -> None:
    interview_and_refusals(container, logged_manager)
    names = {line["message"] for line in lines}
    assert names <= set(LogEvent), names - set(LogEvent)
    assert {
        LogEvent.SESSION_CREATED,
        LogEvent.SESSION_STARTED,
        LogEvent.MESSAGE_EXCHANGED,
        LogEvent.SESSION_PAUSED,
        LogEvent.SESSION_RESUMED,
        LogEvent.SESSION_ENDED,
        LogEvent.EVALUATION_READY,
        LogEvent.OPERATION_DONE,
        LogEvent.OPERATION_REFUSED,
        LogEvent.WORKER_CLAIMED,
        LogEvent.KEY_CREATED,
        LogEvent.KEY_REVOKED,
    } <= names


def test_refusals_are_warnings_naming_the_error_without_a_stack(
    container: Container, logged_manager: SessionManager, lines: list[dict[str, Any]]
) -> None:
    interview_and_refusals(container, logged_manager)
    refused = [line for line in lines if line["message"] == LogEvent.OPERATION_REFUSED]
    assert [(r["operation"], r["metadata"]["error"]) for r in refused] == [
        ("pause_session", "InvalidStateTransitionError"),
        ("get_transcript", "SessionNotFoundError"),
    ]
    assert all(r["level"] == "warning" and "exception" not in r for r in refused)


def test_no_logged_line_carries_a_message_text_or_resume_data(
    container: Container, logged_manager: SessionManager, lines: list[dict[str, Any]]
) -> None:
    interview_and_refusals(container, logged_manager)
    assert planted_in(str(lines)) == []
    ended = [line for line in lines if line["message"] == LogEvent.SESSION_ENDED]
    assert ended[0]["metadata"]["end_reason"] == "requested"

"""The openai provider over real HTTP: the official client against ``ScriptedOpenAIServer``
on 127.0.0.1 (the fixtures ``scripted_openai_server``, ``interview_container`` and
``interview_logs`` come from the package's own pytest plugin).

Timeouts and retries are short here so that faults cost fractions of a second; a test that
needs more retries says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from interview_orchestrator import CommunicationMode, SessionConfig, SessionManager
from interview_orchestrator.llm.openai_chat import OpenAIChatModel, build_openai_client
from interview_orchestrator.settings import OpenAISettings
from interview_orchestrator.testing import ScriptedOpenAIServer

RESUME = {
    "user_id": "cand-openai",
    "name": "Grace Example",
    "email": "grace@example.org",
    "phone": "+44 20 7946 0958",
    "school": "Example Institute of Technology",
    "skills": ["redis", "kafka"],
    "years_experience": 7,
    "current_role": "staff engineer",
}


@pytest.fixture
def gateway(scripted_openai_server: ScriptedOpenAIServer) -> Callable[..., OpenAIChatModel]:
    """Builds an ``OpenAIChatModel`` on the real client, pointed at the scripted server."""

    def build(*, timeout: float = 1.0, max_retries: int = 0, **settings: Any) -> OpenAIChatModel:
        tuned = OpenAISettings(
            base_url=scripted_openai_server.base_url,
            timeout=timeout,
            max_retries=max_retries,
            **settings,
        )
        client = build_openai_client(tuned, "sk-test-not-a-real-key")
        return OpenAIChatModel(lambda: client, tuned)

    return build


@pytest.fixture
def openai_container(interview_container: Any, scripted_openai_server: ScriptedOpenAIServer) -> Any:
    """The plugin's container (temporary SQLite, logs captured) with its openai provider
    pointed at the scripted server: 2 s timeout, no transport retries, one retry of an
    invalid answer."""
    scripted_openai_server.connect(interview_container, timeout=2.0, max_retries=0)
    interview_container.config.openai.invalid_answer_retries.from_value(1)
    return interview_container


@pytest.fixture
def manager(openai_container: Any) -> SessionManager:
    built: SessionManager = openai_container.session_manager()
    return built


@pytest.fixture
def openai_config() -> Callable[..., SessionConfig]:
    """A session config naming the openai provider, text and whiteboard, with a résumé that
    holds personal data the model must never see."""

    def build(**overrides: Any) -> SessionConfig:
        values: dict[str, Any] = {
            "ai_provider": "openai",
            "enabled_modes": [CommunicationMode.TEXT, CommunicationMode.WHITEBOARD],
            "resume_data": RESUME,
            "duration_minutes": 45,
        }
        values.update(overrides)
        return SessionConfig(**values)

    return build

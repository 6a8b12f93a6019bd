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
from dependency_injector import providers
from tests.planted import PLANTED_API_KEY, planted_resume

from interview_orchestrator import CommunicationMode, SessionConfig, SessionManager
from interview_orchestrator.llm.openai_chat import OpenAIChatModel, build_openai_client
from interview_orchestrator.settings import OpenAISettings
from interview_orchestrator.testing import ScriptedOpenAIServer

RESUME = planted_resume(user_id="cand-openai", current_role="staff engineer")


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
        client = build_openai_client(tuned, PLANTED_API_KEY)
        return OpenAIChatModel(lambda: client, tuned)

    return build


@pytest.fixture
def openai_container(interview_container: Any, scripted_openai_server: ScriptedOpenAIServer) -> Any:
    """The plugin's container (temporary SQLite, logs captured) with its openai provider
    pointed at the scripted server with the planted API key: 2 s timeout, no transport retries, one retry of an
    invalid answer."""
    scripted_openai_server.connect(interview_container, timeout=2.0, max_retries=0)
    interview_container.openai_api_key.override(providers.Object(PLANTED_API_KEY))
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

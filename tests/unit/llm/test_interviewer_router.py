"""The router: each provider's state under its own key, and the fallback chain."""

from __future__ import annotations

from typing import Any

import pytest

from interview_orchestrator.catalog import YamlTemplateCatalog
from interview_orchestrator.errors import InvalidInputError, ProviderError
from interview_orchestrator.interviewer.llm_interviewer import LLMInterviewer
from interview_orchestrator.interviewer.offline import OfflineInterviewer
from interview_orchestrator.interviewer.router import InterviewerRouter
from interview_orchestrator.logging import build_logger
from interview_orchestrator.models import Role, SessionConfig
from interview_orchestrator.settings import LLMSettings
from interview_orchestrator.testing import ScriptedChatModel, interviewer_turn

from .conftest import RESUME, context, make_session, message


@pytest.fixture
def chat() -> ScriptedChatModel:
    return ScriptedChatModel(default=interviewer_turn("From the model?"))


@pytest.fixture
def router(
    chat: ScriptedChatModel, catalog: YamlTemplateCatalog, settings: LLMSettings
) -> InterviewerRouter:
    return InterviewerRouter(
        {
            "offline": OfflineInterviewer(catalog),
            "openai": LLMInterviewer(chat, catalog, settings),
        },
        logger=build_logger(enabled=False),
    )


def started_state(router: InterviewerRouter, fallback: str | None = None) -> dict[str, Any]:
    session = make_session(fallback_provider=fallback)
    return dict(router.initialize(session.id, RESUME, config=session.config))


def test_each_providers_state_is_kept_under_its_own_key(router: InterviewerRouter) -> None:
    state = started_state(router)
    assert state == {"by_provider": {"openai": state["by_provider"]["openai"]}, "serving": "openai"}
    reply = router.reply(context(make_session(state=state), [message(2, Role.CANDIDATE, "x")]))
    assert reply.content == "From the model?"
    assert reply.state["by_provider"]["openai"]["turns"] == 1


def test_a_failing_provider_hands_over_to_the_fallback(
    router: InterviewerRouter, chat: ScriptedChatModel
) -> None:
    state = started_state(router, "offline")
    chat.enqueue(ProviderError("down"))
    session = make_session(state=state, fallback_provider="offline")
    reply = router.opening_question(context(session))
    assert reply.content.startswith("Hi, and thanks for joining!")  # the template's opening
    assert reply.state["serving"] == "offline"
    assert set(reply.state["by_provider"]) == {"openai", "offline"}


def test_after_a_fallback_the_session_stays_on_it(
    router: InterviewerRouter, chat: ScriptedChatModel
) -> None:
    state = started_state(router, "offline")
    chat.enqueue(ProviderError("down"))
    session = make_session(state=state, fallback_provider="offline")
    first = router.opening_question(context(session))
    second = router.reply(
        context(
            make_session(state=first.state, fallback_provider="offline"),
            [message(2, Role.CANDIDATE, "requirements first")],
        )
    )
    assert len(chat.requests) == 1
    assert second.state["serving"] == "offline"


def test_without_a_fallback_the_provider_error_propagates(
    router: InterviewerRouter, chat: ScriptedChatModel
) -> None:
    chat.enqueue(ProviderError("down"))
    with pytest.raises(ProviderError, match="down"):
        router.opening_question(context(make_session(state=started_state(router))))


def test_a_state_stored_before_namespacing_is_the_primary_providers(
    router: InterviewerRouter, chat: ScriptedChatModel
) -> None:
    legacy = {"phase": 2, "turns_in_phase": 0, "turns": 4, "summary": "", "summarized_through": 0}
    reply = router.reply(context(make_session(state=legacy), [message(2, Role.CANDIDATE, "x")]))
    assert reply.state["by_provider"]["openai"]["phase"] == 2


def test_check_config_checks_the_fallback_too(
    catalog: YamlTemplateCatalog, settings: LLMSettings
) -> None:
    router = InterviewerRouter(
        {
            "offline": OfflineInterviewer(catalog),
            "openai": LLMInterviewer(ScriptedChatModel(configured=False), catalog, settings),
        },
        logger=build_logger(enabled=False),
    )
    router.check_config(SessionConfig(ai_provider="offline"))
    with pytest.raises(InvalidInputError, match="not configured"):
        router.check_config(SessionConfig(ai_provider="offline", fallback_provider="openai"))
    with pytest.raises(InvalidInputError, match="fallback provider 'skynet' is not configured"):
        router.check_config(SessionConfig(ai_provider="offline", fallback_provider="skynet"))

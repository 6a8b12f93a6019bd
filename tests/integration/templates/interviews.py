"""What the template tests do over and over: a whole interview on one template, the planted
candidates' overall scores, and a manager whose openai provider talks to the scripted server."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from interview_orchestrator import (
    CommunicationMode,
    Container,
    EvaluationReport,
    SessionConfig,
    SessionManager,
)
from interview_orchestrator.testing import ScriptedOpenAIServer
from interview_orchestrator.testing.server import Handler

TEXT_ONLY: tuple[CommunicationMode, ...] = (CommunicationMode.TEXT,)


def in_text(_: str) -> CommunicationMode:
    return CommunicationMode.TEXT


def run_interview(
    manager: SessionManager,
    template: str,
    answers: Sequence[str],
    *,
    provider: str = "offline",
    modes: Sequence[CommunicationMode] = TEXT_ONLY,
    resume_data: Mapping[str, Any] | None = None,
    mode_of: Callable[[str], CommunicationMode] = in_text,
) -> tuple[str, EvaluationReport]:
    """Create, start, answer each question with the next of ``answers`` (in the mode
    ``mode_of`` picks for it) and end a session on ``template``; its id and its evaluation."""
    config = SessionConfig(
        template=template,
        ai_provider=provider,
        enabled_modes=list(modes),
        resume_data=None if resume_data is None else dict(resume_data),
    )
    session = manager.create_session(config)
    manager.start_session(session.id)
    for answer in answers:
        manager.send_message(session.id, answer, mode_of(answer))
    return session.id, manager.end_session(session.id)


def overall_scores(
    manager: SessionManager,
    template: str,
    planted: Mapping[str, Sequence[str]],
    **options: Any,
) -> dict[str, float | None]:
    """Each planted candidate's overall score after a whole interview of its own."""
    return {
        name: run_interview(manager, template, answers, **options)[1].overall_score
        for name, answers in planted.items()
    }


def scripted_openai_manager(
    container: Container,
    server: ScriptedOpenAIServer,
    handler: Handler,
) -> SessionManager:
    """The container's manager with its openai provider pointed at ``server``, which answers
    with ``handler``."""
    server.connect(container, timeout=5.0, max_retries=0)
    server.handler = handler
    manager: SessionManager = container.session_manager()
    return manager

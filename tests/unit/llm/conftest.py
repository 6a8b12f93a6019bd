"""Fixtures for the LLM provider's pure parts: the real template, a scripted chat model,
settings with small budgets, and sessions whose clock reads what a test needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import pytest

from interview_orchestrator.catalog import YamlTemplateCatalog
from interview_orchestrator.interview_template import InterviewTemplate
from interview_orchestrator.models import (
    CommunicationMode,
    Message,
    Role,
    Session,
    SessionConfig,
    SessionStatus,
)
from interview_orchestrator.ports import InterviewContext
from interview_orchestrator.settings import LLMSettings

NOW: Final = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SESSION_ID: Final = "3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d"
RESUME: Final = {
    "user_id": "cand-9",
    "name": "Ada Example",
    "email": "ada@example.org",
    "phone": "+44 20 7946 0958",
    "school": "Example University",
    "skills": ["redis", "kafka"],
    "years_experience": 6,
    "current_role": "backend engineer",
}
_CATALOG = YamlTemplateCatalog()


@pytest.fixture
def catalog() -> YamlTemplateCatalog:
    """The built-in templates (parsed once: they are immutable)."""
    return _CATALOG


@pytest.fixture
def template(catalog: YamlTemplateCatalog) -> InterviewTemplate:
    return catalog.get("system_design")


@pytest.fixture
def settings() -> LLMSettings:
    """The default LLM settings, no retries of invalid answers (tests that need them say so)."""
    return LLMSettings(invalid_answer_retries=0)


def make_session(
    *,
    resume: Mapping[str, Any] | None = RESUME,
    state: Mapping[str, Any] | None = None,
    elapsed_fraction: float = 0.0,
    duration_minutes: int = 45,
    fallback_provider: str | None = None,
) -> Session:
    """An ACTIVE openai session whose clock reads ``elapsed_fraction`` of its duration at NOW."""
    config = SessionConfig(
        enabled_modes=[CommunicationMode.TEXT, CommunicationMode.WHITEBOARD],
        ai_provider="openai",
        resume_data=resume,
        duration_minutes=duration_minutes,
        fallback_provider=fallback_provider,
    )
    return Session(
        id=SESSION_ID,
        user_id="cand-9",
        status=SessionStatus.ACTIVE,
        config=config,
        created_at=NOW,
        started_at=NOW,
        active_seconds=elapsed_fraction * config.duration.total_seconds(),
        interviewer_state=dict(state or {}),
    )


def message(
    seq: int, role: Role, content: str, mode: CommunicationMode = CommunicationMode.TEXT
) -> Message:
    return Message(SESSION_ID, seq, role, mode, content, NOW)


def alternating(count: int, *, first_seq: int = 1, words: int = 40) -> list[Message]:
    """``count`` messages, interviewer and candidate in turn, each about ``words`` words."""
    messages = []
    for seq in range(first_seq, first_seq + count):
        role = Role.INTERVIEWER if seq % 2 else Role.CANDIDATE
        body = " ".join(f"word{seq}-{i}" for i in range(words))
        messages.append(message(seq, role, f"{role.value} {seq}: {body}"))
    return messages


def context(
    session: Session, messages: Sequence[Message] = (), *, now: datetime = NOW
) -> InterviewContext:
    return InterviewContext(session, tuple(messages), now)

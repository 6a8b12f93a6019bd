"""Builders of domain objects for the store's tests (no SessionManager involved)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from interview_orchestrator import lifecycle
from interview_orchestrator.lifecycle import Operation
from interview_orchestrator.models import (
    CommunicationMode,
    NewMessage,
    Role,
    Session,
    SessionConfig,
    SessionStatus,
    new_id,
)
from interview_orchestrator.ports import TransitionResult
from interview_orchestrator.store import SqlAlchemyDataStore, create_engine_for

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def make_session(
    *,
    user_id: str = "user-1",
    created_at: datetime = T0,
    session_id: str | None = None,
    resume: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
) -> Session:
    config = SessionConfig(
        enabled_modes=[CommunicationMode.TEXT, CommunicationMode.WHITEBOARD],
        ai_provider="offline",
        resume_data=resume,
        duration_minutes=30,
        metadata={"cohort": "2026-q4"},
    )
    return Session(
        id=session_id or new_id(),
        user_id=user_id,
        status=SessionStatus.CREATED,
        config=config,
        created_at=created_at,
        interviewer_state=state or {},
    )


def after(session: Session, operation: Operation, at: datetime) -> Session:
    """The session after ``operation``, as SessionManager computes it."""
    return lifecycle.apply(session, operation, at)


def text_message(content: str, at: datetime, role: Role = Role.CANDIDATE) -> NewMessage:
    return NewMessage(role=role, mode=CommunicationMode.TEXT, content=content, created_at=at)


@dataclass
class Driver:
    """Builds sessions and messages and moves stored sessions through the lifecycle.

    A fixture rather than an importable module, so that it works in any pytest import mode.
    """

    store: SqlAlchemyDataStore
    t0: datetime = T0
    make_session = staticmethod(make_session)
    after = staticmethod(after)
    text_message = staticmethod(text_message)

    def transition(
        self,
        session: Session,
        operation: Operation,
        at: datetime = T0,
        *,
        messages: Sequence[NewMessage] = (),
        reason: str | None = None,
    ) -> TransitionResult:
        return self.store.save_transition(
            session,
            after(session, operation, at),
            operation=operation,
            reason=reason,
            messages=messages,
        )

    def created(self, **kwargs: Any) -> Session:
        return self.store.add_session(make_session(**kwargs))

    def active(self, **kwargs: Any) -> Session:
        return self.transition(self.created(**kwargs), Operation.START, T0).session

    def completed(self, **kwargs: Any) -> Session:
        session = self.active(**kwargs)
        return self.transition(session, Operation.END, T0 + timedelta(minutes=20)).session


@pytest.fixture
def driver(store: SqlAlchemyDataStore) -> Driver:
    return Driver(store)


@pytest.fixture
def sqlite_driver(sqlite_url: str) -> Iterator[Driver]:
    """A driver on the SQLite database only, for tests of SQLite's own behaviour."""
    engine = create_engine_for(sqlite_url)
    yield Driver(SqlAlchemyDataStore(engine))
    engine.dispose()

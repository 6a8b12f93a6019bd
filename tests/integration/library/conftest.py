"""A production container on each database for the library's platform features."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dependency_injector import providers

from interview_orchestrator import Container, SessionConfig, SessionManager
from interview_orchestrator.interviewer.offline import OfflineInterviewer
from interview_orchestrator.ports import InterviewContext, InterviewerReply


@pytest.fixture
def container(database_url: str) -> Iterator[Any]:
    """The production container on a migrated test database, logging off."""
    built = Container()
    built.config.database.url.from_value(database_url)
    built.config.database.auto_migrate.from_value("always")
    built.config.logging.enabled.from_value(False)
    yield built
    built.shutdown_resources()


@pytest.fixture
def manager(container: Any) -> SessionManager:
    """An unscoped manager: it sees every tenant (an operator's view)."""
    built: SessionManager = container.session_manager()
    return built


class GatedInterviewer:
    """The offline interviewer, except that ``reply`` first runs ``before_reply`` (if set): a
    test holds a turn open there, or makes the provider fail."""

    def __init__(self, inner: OfflineInterviewer) -> None:
        self._inner = inner
        self.before_reply: Callable[[], object] | None = None

    def check_config(self, config: SessionConfig) -> None:
        self._inner.check_config(config)

    def initialize(self, session_id: str, resume_data: Any, *, config: SessionConfig) -> Any:
        return self._inner.initialize(session_id, resume_data, config=config)

    def opening_question(self, context: InterviewContext) -> InterviewerReply:
        return self._inner.opening_question(context)

    def reply(self, context: InterviewContext) -> InterviewerReply:
        if self.before_reply is not None:
            self.before_reply()
        return self._inner.reply(context)


@pytest.fixture
def gated(container: Any) -> GatedInterviewer:
    """The container's offline interviewer, gated: ask for it before ``manager``, which takes
    the interviewer the container has when it is built."""
    interviewer = GatedInterviewer(OfflineInterviewer(container.templates()))
    container.interviewers.override(providers.Dict(offline=providers.Object(interviewer)))
    return interviewer

"""The AI provider failing, or slow and then timing out, at each call site — interviewer
initialisation, opening question, reply, evaluation — through the real container: the
session stays consistent and every candidate message is stored. While a slow provider thinks,
no database transaction is held (another writer goes straight through)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from dependency_injector import providers
from sqlalchemy import text

from interview_orchestrator import (
    EvaluationError,
    EvaluationStatus,
    ProviderError,
    Role,
    SessionConfig,
    SessionManager,
    SessionStatus,
)
from interview_orchestrator.evaluation.rubric_evaluator import RubricEvaluator
from interview_orchestrator.interviewer.offline import OfflineInterviewer
from interview_orchestrator.ports import (
    EvaluationDraft,
    EvaluationRequest,
    InterviewContext,
    InterviewerReply,
)

SITES = ["initialize", "opening_question", "reply", "evaluate"]
SLOW_SECONDS = 0.3
FINISHED = {EvaluationStatus.READY, EvaluationStatus.NO_EVIDENCE}


class FaultyProvider:
    """The offline interviewer and rubric evaluator, failing at the armed call site: at once
    with ``ProviderError`` ("error"), or after thinking for a while with a raw ``TimeoutError``
    such as an adapter might let through ("timeout"). While it thinks it runs ``probe``."""

    def __init__(self, interviewer: OfflineInterviewer, evaluator: RubricEvaluator) -> None:
        self._interviewer = interviewer
        self._evaluator = evaluator
        self.armed: str | None = None
        self.kind = "error"
        self.probe: Callable[[], None] = lambda: None
        self.failures = 0

    def _site(self, site: str) -> None:
        if self.armed != site:
            return
        self.failures += 1
        if self.kind == "error":
            raise ProviderError(f"the AI provider is unavailable (at {site})")
        started = time.monotonic()
        self.probe()
        time.sleep(max(SLOW_SECONDS - (time.monotonic() - started), 0))
        raise TimeoutError(f"the AI provider did not answer in time (at {site})")

    # AIInterviewer
    def check_config(self, config: SessionConfig) -> None:
        self._interviewer.check_config(config)

    def initialize(self, session_id: str, resume_data: Any, *, config: SessionConfig) -> Any:
        self._site("initialize")
        return self._interviewer.initialize(session_id, resume_data, config=config)

    def opening_question(self, context: InterviewContext) -> InterviewerReply:
        self._site("opening_question")
        return self._interviewer.opening_question(context)

    def reply(self, context: InterviewContext) -> InterviewerReply:
        self._site("reply")
        return self._interviewer.reply(context)

    # Evaluator
    def evaluate(self, request: EvaluationRequest) -> EvaluationDraft:
        self._site("evaluate")
        return self._evaluator.evaluate(request)


@pytest.fixture
def faulty(container: Any) -> FaultyProvider:
    provider = FaultyProvider(OfflineInterviewer(container.templates()), RubricEvaluator())
    container.interviewers.override(providers.Dict(offline=providers.Object(provider)))
    container.evaluators.override(providers.Dict(offline=providers.Object(provider)))
    return provider


@pytest.mark.parametrize(
    "case", [(site, kind) for site in SITES for kind in ("error", "timeout")], ids="-".join
)
def test_a_failing_provider_leaves_the_session_consistent_and_keeps_every_message(
    container: Any,
    faulty: FaultyProvider,
    story: Callable[..., Any],
    case: tuple[str, str],
    figures: Callable[..., None],
) -> None:
    site, kind = case
    manager: SessionManager = container.session_manager()
    channels = container.communication_manager()
    probe_times: list[float] = []

    def probe() -> None:
        """Another writer touches the session's own row while the provider thinks: it must
        not wait for a lock (PostgreSQL: a 1 s lock timeout; SQLite: the write lock)."""
        engine = container.data_store().engine
        started = time.monotonic()
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL lock_timeout = '1s'"))
            conn.execute(text("UPDATE sessions SET version = version WHERE id = :id"), {"id": sid})
        probe_times.append(time.monotonic() - started)

    faulty.kind, faulty.probe = kind, probe
    sid = manager.create_session(SessionConfig()).id
    if site in ("reply", "evaluate"):
        manager.start_session(sid)
        manager.send_message(sid, "I would start from the read and write rates.")
    before = story(container, sid)
    faulty.armed = site

    if site in ("initialize", "opening_question"):
        with pytest.raises(ProviderError) as failed:
            manager.start_session(sid)
        assert type(failed.value) is ProviderError
        after = story(container, sid)
        assert after.session == before.session  # still CREATED, untouched
        assert after.session.status is SessionStatus.CREATED
        assert after.transcript == [] and after.transitions == []
        assert channels.enabled_modes(sid) == set()  # closed again
        faulty.armed = None
        assert manager.start_session(sid).status is SessionStatus.ACTIVE
        assert [m.role for m in story(container, sid).transcript] == [Role.INTERVIEWER]

    elif site == "reply":
        with pytest.raises(ProviderError) as failed:
            manager.send_message(sid, "Then I would shard the hot tables.")
        seq = before.session.message_count + 1
        assert f"message #{seq} is stored" in str(failed.value)
        after = story(container, sid)
        assert after.session.status is SessionStatus.ACTIVE
        assert [(m.seq, m.role, m.content) for m in after.transcript[-1:]] == [
            (seq, Role.CANDIDATE, "Then I would shard the hot tables.")
        ]
        assert after.transcript[:-1] == before.transcript
        faulty.armed = None
        reply = manager.send_message(sid, "And cache the reads.")
        final = story(container, sid)
        assert [m.role for m in final.transcript[-3:]] == [
            Role.CANDIDATE,
            Role.CANDIDATE,
            Role.INTERVIEWER,
        ]
        assert final.transcript[-1] == reply

    else:  # evaluate
        with pytest.raises(EvaluationError, match="retry_evaluation"):
            manager.end_session(sid)
        after = story(container, sid)
        assert after.session.status is SessionStatus.COMPLETED
        assert after.transcript == before.transcript
        assert channels.enabled_modes(sid) == set()
        assert after.evaluation.status is EvaluationStatus.FAILED
        assert after.evaluation.attempts == 1
        assert "did not answer in time" in after.evaluation.error or (
            "unavailable" in after.evaluation.error
        )
        faulty.armed = None
        report = manager.retry_evaluation(sid)
        assert report.status in FINISHED and report.attempts == 2
        assert story(container, sid).evaluation.status in FINISHED

    assert faulty.failures == 1
    if kind == "timeout":
        assert len(probe_times) == 1 and probe_times[0] < 1.0, probe_times
    figures(
        site=site,
        failure=kind,
        provider_seconds=SLOW_SECONDS if kind == "timeout" else 0,
        other_writer_seconds=round(probe_times[0], 3) if probe_times else None,
        outcome="consistent, recovered",
    )

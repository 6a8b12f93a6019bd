"""Model-based test: random sequences of every operation — valid or not, with restarts —
against the real store and the offline provider; after each step the stored state equals a
simple model's."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from interview_orchestrator import (
    Container,
    EvaluationStatus,
    InterviewPlatformError,
    InvalidInputError,
    InvalidStateTransitionError,
    SessionConfig,
    SessionNotFoundError,
    SessionStatus,
)

DURATION = timedelta(minutes=45)
FINISHED = {EvaluationStatus.READY, EvaluationStatus.NO_EVIDENCE}


@dataclass
class Modelled:
    """What the model believes of one session."""

    status: SessionStatus = SessionStatus.CREATED
    messages: int = 0
    active: timedelta = timedelta(0)
    active_since: datetime | None = None

    def active_at(self, now: datetime) -> timedelta:
        return self.active + (now - self.active_since if self.active_since else timedelta(0))

    def leave_active(self, now: datetime) -> None:
        self.active = self.active_at(now)
        self.active_since = None


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def interview_machine(url: str) -> type[RuleBasedStateMachine]:
    class InterviewMachine(RuleBasedStateMachine):
        sessions = Bundle("sessions")

        def __init__(self) -> None:
            super().__init__()
            self.clock = Clock()
            self.model: dict[str, Modelled] = {}
            self.container: Any = None
            self.restart()

        # ------------------------------------------------------------ plumbing

        @rule()
        def restart(self) -> None:
            """A new process on the same database: nothing may live only in memory."""
            if self.container is not None:
                self.container.shutdown_resources()
            self.container = Container()
            self.container.config.database.url.from_value(url)
            self.container.config.logging.enabled.from_value(False)
            self.container.clock.override(providers.Object(self.clock))
            self.manager = self.container.session_manager()

        def teardown(self) -> None:
            self.container.shutdown_resources()

        def expect_refusal(self, call: Any) -> None:
            with pytest.raises(InvalidStateTransitionError):
                call()

        def ends_by_time(self, sid: str) -> bool:
            m = self.model[sid]
            return m.status is SessionStatus.ACTIVE and m.active_at(self.clock.now) >= DURATION

        def complete(self, sid: str) -> None:
            m = self.model[sid]
            m.leave_active(self.clock.now)
            m.status = SessionStatus.COMPLETED

        # ------------------------------------------------------------ rules

        @initialize(target=sessions)
        def first_session(self) -> str:
            return self.create()

        @precondition(lambda self: len(self.model) < 3)  # few sessions, many steps each
        @rule(target=sessions)
        def create(self) -> str:
            session = self.manager.create_session(
                SessionConfig(), user_id=f"m-{uuid.uuid4().hex[:10]}"
            )
            self.model[session.id] = Modelled()
            return session.id

        @rule(seconds=st.integers(min_value=1, max_value=240))
        def time_passes(self, seconds: int) -> None:
            self.clock.now += timedelta(seconds=seconds)

        @rule(sid=sessions)
        def start(self, sid: str) -> None:
            m = self.model[sid]
            if m.status is not SessionStatus.CREATED:
                self.expect_refusal(lambda: self.manager.start_session(sid))
                return
            self.manager.start_session(sid)
            m.status, m.messages, m.active_since = SessionStatus.ACTIVE, 1, self.clock.now

        @rule(
            sid=sessions,
            text=st.text(min_size=1, max_size=200).filter(lambda t: t.strip() and "\x00" not in t),
        )
        def send(self, sid: str, text: str) -> None:
            m = self.model[sid]
            if self.ends_by_time(sid):
                self.expect_refusal(lambda: self.manager.send_message(sid, text))
                self.complete(sid)
            elif m.status is not SessionStatus.ACTIVE:
                self.expect_refusal(lambda: self.manager.send_message(sid, text))
            else:
                reply = self.manager.send_message(sid, text)
                m.messages += 2
                assert reply.seq == m.messages

        @rule(sid=sessions)
        def pause(self, sid: str) -> None:
            m = self.model[sid]
            if self.ends_by_time(sid):
                self.expect_refusal(lambda: self.manager.pause_session(sid))
                self.complete(sid)
            elif m.status is not SessionStatus.ACTIVE:
                self.expect_refusal(lambda: self.manager.pause_session(sid))
            else:
                self.manager.pause_session(sid)
                m.leave_active(self.clock.now)
                m.status = SessionStatus.PAUSED

        @rule(sid=sessions)
        def resume(self, sid: str) -> None:
            m = self.model[sid]
            if self.ends_by_time(sid):  # any operation on an overdue session ends it first
                self.expect_refusal(lambda: self.manager.resume_session(sid))
                self.complete(sid)
            elif m.status is not SessionStatus.PAUSED:
                self.expect_refusal(lambda: self.manager.resume_session(sid))
            else:
                self.manager.resume_session(sid)
                m.status, m.active_since = SessionStatus.ACTIVE, self.clock.now

        @rule(sid=sessions)
        def end(self, sid: str) -> None:
            m = self.model[sid]
            if m.status not in (SessionStatus.ACTIVE, SessionStatus.PAUSED):
                self.expect_refusal(lambda: self.manager.end_session(sid))
                return
            report = self.manager.end_session(sid)
            assert report.status in FINISHED
            self.complete(sid)

        @rule(sid=sessions)
        def retry_evaluation(self, sid: str) -> None:
            if self.model[sid].status is not SessionStatus.COMPLETED:
                self.expect_refusal(lambda: self.manager.retry_evaluation(sid))
                return
            assert self.manager.retry_evaluation(sid).attempts == 1  # finished: not regenerated

        @rule(
            bad=st.sampled_from(
                ["", "x", "' OR 1=1 --", "../etc", "00000000-0000-4000-8000-000000000000"]
            )
        )
        def unknown_or_malformed_id(self, bad: str) -> None:
            with pytest.raises((InvalidInputError, SessionNotFoundError)):
                self.manager.end_session(bad)

        @rule(sid=sessions)
        def empty_message(self, sid: str) -> None:
            with pytest.raises(InterviewPlatformError):
                self.manager.send_message(sid, "   ")

        # ------------------------------------------------------------ the model holds

        @invariant()
        def stored_state_equals_the_model(self) -> None:
            store = self.container.data_store()
            for sid, m in self.model.items():
                session = store.get_session(sid)
                transcript = store.get_transcript(sid)
                assert session.status is m.status, sid
                assert [msg.seq for msg in transcript] == list(range(1, m.messages + 1))
                assert session.message_count == m.messages
                assert session.active_seconds_at(self.clock.now) == pytest.approx(
                    m.active_at(self.clock.now).total_seconds(), abs=1e-3
                )
                evaluation = store.get_evaluation(sid)
                if m.status is SessionStatus.COMPLETED:
                    assert evaluation is not None and evaluation.status in FINISHED
                    assert evaluation.attempts == 1
                else:
                    assert evaluation is None

    return InterviewMachine


def test_random_operation_sequences_match_the_model(database_url: str) -> None:
    run_state_machine_as_test(
        interview_machine(database_url),
        settings=settings(
            max_examples=int(os.environ.get("MODEL_EXAMPLES", "40")),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )

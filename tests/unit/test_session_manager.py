"""SessionManager's orchestration with mocked collaborators: what is stored, arguments, failure
paths (the order of calls only where the order is the behaviour: stored before reported)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_mock import MockerFixture

from interview_orchestrator import (
    CommunicationMode,
    DataStoreError,
    EndReason,
    EvaluationError,
    EvaluationReport,
    EvaluationStatus,
    InterviewPlatformError,
    InvalidInputError,
    InvalidStateTransitionError,
    Message,
    ProviderError,
    Role,
    Session,
    SessionConfig,
    SessionManager,
    SessionNotFoundError,
    SessionStatus,
    TurnInProgressError,
)
from interview_orchestrator.communication import InProcessCommunicationManager
from interview_orchestrator.lifecycle import Operation
from interview_orchestrator.log_events import LogEvent
from interview_orchestrator.logging import build_logger
from interview_orchestrator.models import EventType, NewEvent, NewMessage
from interview_orchestrator.ports import (
    AIInterviewer,
    CommunicationManager,
    DataStore,
    EvaluationManager,
    ExistingTurn,
    InterviewerReply,
    TransitionResult,
    TurnStart,
)
from tests.planted import planted_in, planted_resume

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
SID = "3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d"
RESUME = planted_resume(user_id="cand-7", skills=["redis"])


@pytest.fixture
def store(mocker: MockerFixture) -> Any:
    mock = mocker.create_autospec(DataStore, instance=True, spec_set=True)
    mock.find_active_session.return_value = None
    mock.begin_turn.side_effect = _begin_turn_as_the_store_does(mock)
    return mock


def _begin_turn_as_the_store_does(store: Any) -> Any:
    """begin_turn as the real store runs it: it reads the session (``get_session`` here) and
    shows it to ``admit`` before it stores anything; a refusal raises before the configured
    result is returned, which then carries the session."""

    def begin_turn(
        session_id: str,
        message: NewMessage,
        *,
        expires_at: datetime,
        context_messages: int,
        admit: Any = None,
    ) -> Any:
        session = store.get_session(session_id)
        if admit is not None:
            admit(session)
        started = store.begin_turn.return_value
        stored.append(message)
        return replace(started, session=session) if isinstance(started, TurnStart) else started

    stored: list[NewMessage] = []
    begin_turn.stored = stored  # type: ignore[attr-defined]
    return begin_turn


def stored_by_begin_turn(store: Any) -> list[NewMessage]:
    """The candidate messages begin_turn went on to store (none when it refused)."""
    stored: list[NewMessage] = store.begin_turn.side_effect.stored
    return stored


@pytest.fixture
def interviewer(mocker: MockerFixture) -> Any:
    mock = mocker.create_autospec(AIInterviewer, instance=True, spec_set=True)
    mock.initialize.return_value = {"asked": []}
    mock.opening_question.return_value = InterviewerReply("Shall we begin?", {"asked": ["open"]})
    mock.reply.return_value = InterviewerReply("Tell me more.", {"asked": ["open", "q1"]})
    return mock


@pytest.fixture
def evaluations(mocker: MockerFixture) -> Any:
    mock = mocker.create_autospec(EvaluationManager, instance=True, spec_set=True)
    mock.generate_evaluation.return_value = EvaluationReport(
        session_id=SID, status=EvaluationStatus.READY, overall_score=62.5
    )
    return mock


@pytest.fixture
def channels(mocker: MockerFixture) -> Any:
    mock = mocker.create_autospec(CommunicationManager, instance=True, spec_set=True)
    mock.enabled_modes.return_value = frozenset({CommunicationMode.TEXT})
    return mock


@pytest.fixture
def manager(store: Any, interviewer: Any, evaluations: Any, channels: Any) -> SessionManager:
    """A SessionManager on mocks, with the clock stopped at NOW."""
    return SessionManager(
        data_store=store,
        ai_interviewer=interviewer,
        evaluation_manager=evaluations,
        communication_manager=channels,
        logger=build_logger(enabled=False),
        clock=lambda: NOW,
    )


def session_in(status: SessionStatus, **changes: Any) -> Session:
    """A stored session in ``status`` with TEXT and WHITEBOARD enabled."""
    config = SessionConfig(
        enabled_modes=[CommunicationMode.TEXT, CommunicationMode.WHITEBOARD],
        resume_data=RESUME,
    )
    base = Session(
        id=SID,
        user_id="cand-7",
        status=status,
        config=config,
        created_at=NOW - timedelta(minutes=5),
        version=3,
        active_since=NOW - timedelta(minutes=1) if status is SessionStatus.ACTIVE else None,
    )
    return base.with_changes(**changes)


def message(
    seq: int,
    role: Role,
    content: str = "x",
    *,
    late: bool = False,
    mode: CommunicationMode = CommunicationMode.TEXT,
    client_message_id: str | None = None,
) -> Message:
    return Message(
        SID, seq, role, mode, content, NOW, late=late, client_message_id=client_message_id
    )


def claims_turn(store: Any, candidate: Message, *recent: Message) -> None:
    """Make begin_turn store ``candidate`` and give ``recent`` (default: just it) as context;
    finish_turn stores the reply as the next message."""
    store.begin_turn.return_value = TurnStart(candidate, recent or (candidate,))
    store.find_turn.return_value = None

    def finish(session_id: str, candidate_seq: int, reply: Any, **kw: Any) -> Message:
        return message(candidate_seq + 1, Role.INTERVIEWER, reply.content)

    store.finish_turn.side_effect = finish


class FakeStore:
    """One session and its transcript in memory, for tests that check what ends up stored
    rather than the calls that stored it (the store's own tests check the real one)."""

    def __init__(self, session: Session) -> None:
        self.sessions = {session.id: session}
        self.messages: list[Message] = []
        self.pending_turn: int | None = None
        self.turn_expires_at: datetime | None = None

    def get_session(self, session_id: str) -> Session:
        if session_id not in self.sessions:
            raise SessionNotFoundError(session_id)
        return self.sessions[session_id]

    def find_active_session(self, user_id: str | None, tenant_id: str | None = None) -> None:
        return None

    def find_turn(self, session_id: str, client_message_id: str) -> None:
        return None

    def save_transition(
        self, before: Session, after: Session, *, messages: Any = (), **_: Any
    ) -> TransitionResult:
        if self.sessions[before.id].version != before.version:
            raise InvalidStateTransitionError(before.id, before.status.value, "change")
        stored = after.with_changes(version=before.version + 1)
        self.sessions[before.id] = stored
        return TransitionResult(stored, tuple(self._add(before.id, m) for m in messages))

    def begin_turn(
        self,
        session_id: str,
        message: NewMessage,
        *,
        expires_at: datetime,
        context_messages: int,
        admit: Any = None,
    ) -> TurnStart:
        session = self.get_session(session_id)
        if admit is not None:
            admit(session)
        if self.pending_turn is not None:
            raise TurnInProgressError(session_id, "active", self.pending_turn)
        candidate = self._add(session_id, message)
        self.pending_turn, self.turn_expires_at = candidate.seq, expires_at
        return TurnStart(candidate, tuple(self.messages[-context_messages:]), session)

    def finish_turn(
        self, session_id: str, candidate_seq: int, reply: NewMessage, **_: Any
    ) -> Message:
        assert self.pending_turn == candidate_seq
        self.pending_turn = None
        return self._add(session_id, reply)

    def release_turn(self, session_id: str, candidate_seq: int) -> None:
        if self.pending_turn == candidate_seq:
            self.pending_turn = None

    def _add(self, session_id: str, new: NewMessage) -> Message:
        stored = Message(
            session_id,
            len(self.messages) + 1,
            new.role,
            new.mode,
            new.content,
            new.created_at,
            client_message_id=new.client_message_id,
            reply_to=new.reply_to,
        )
        self.messages.append(stored)
        return stored


def manager_on(
    store: FakeStore, interviewer: Any, evaluations: Any, channels: CommunicationManager
) -> SessionManager:
    return SessionManager(
        store,  # type: ignore[arg-type]
        interviewer,
        evaluations,
        channels,
        logger=build_logger(enabled=False),
        clock=lambda: NOW,
    )


@pytest.fixture
def open_channels() -> Any:
    """A real in-process channel registry (what is open after a call, not how it was opened)."""
    manager = InProcessCommunicationManager(logger=build_logger(enabled=False))
    yield manager
    manager.close()


def echo_transition(store: Any) -> None:
    """Make save_transition store ``after`` as given, numbering any messages from 1."""

    def save(before: Session, after: Session, **kw: Any) -> TransitionResult:
        stored = tuple(
            Message(after.id, i, m.role, m.mode, m.content, m.created_at)
            for i, m in enumerate(kw.get("messages", ()), start=1)
        )
        return TransitionResult(after, stored)

    store.save_transition.side_effect = save


# ---------------------------------------------------------------- create_session


def test_create_generates_a_uuid_and_stores_a_created_session(
    manager: SessionManager, store: Any
) -> None:
    store.add_session.side_effect = lambda s: s
    session = manager.create_session(SessionConfig())
    assert uuid.UUID(session.id)
    stored: Session = store.add_session.call_args.args[0]
    assert stored.status is SessionStatus.CREATED
    assert stored.created_at == NOW


def test_create_takes_user_id_from_argument_before_resume(
    manager: SessionManager, store: Any
) -> None:
    store.add_session.side_effect = lambda s: s
    session = manager.create_session(SessionConfig(resume_data=RESUME), user_id="explicit")
    assert session.user_id == "explicit"


def test_create_takes_user_id_from_resume_data(manager: SessionManager, store: Any) -> None:
    store.add_session.side_effect = lambda s: s
    assert manager.create_session(SessionConfig(resume_data=RESUME)).user_id == "cand-7"


def test_create_generates_a_user_id_when_none_is_known(manager: SessionManager, store: Any) -> None:
    store.add_session.side_effect = lambda s: s
    first = manager.create_session(SessionConfig())
    second = manager.create_session(SessionConfig())
    assert first.user_id.startswith("user-")
    assert first.user_id != second.user_id


def test_create_checks_config_with_the_interviewer_before_storing(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    interviewer.check_config.side_effect = InvalidInputError("template 'nope' does not exist")
    with pytest.raises(InvalidInputError, match="nope"):
        manager.create_session(SessionConfig(template="nope"))
    store.add_session.assert_not_called()


def test_create_with_same_key_and_config_returns_the_stored_session(
    manager: SessionManager, store: Any
) -> None:
    existing = session_in(SessionStatus.ACTIVE)
    store.add_session.return_value = existing
    assert manager.create_session(existing.config, session_id=SID) is existing


def test_create_with_same_key_and_other_config_is_refused(
    manager: SessionManager, store: Any
) -> None:
    store.add_session.return_value = session_in(SessionStatus.CREATED)
    with pytest.raises(InvalidInputError, match="already used"):
        manager.create_session(SessionConfig(duration_minutes=30), session_id=SID)


@pytest.mark.parametrize("bad", ["", "not-a-uuid", "1; DROP TABLE sessions", "🙂"])
def test_create_with_malformed_session_id_is_refused_before_storage(
    manager: SessionManager, store: Any, bad: str
) -> None:
    with pytest.raises(InvalidInputError, match="session id"):
        manager.create_session(SessionConfig(), session_id=bad)
    store.add_session.assert_not_called()


def test_create_refuses_a_config_that_is_not_a_session_config(
    manager: SessionManager, store: Any
) -> None:
    with pytest.raises(InvalidInputError, match="SessionConfig"):
        manager.create_session({"ai_provider": "offline"})  # type: ignore[arg-type]
    store.add_session.assert_not_called()


# ---------------------------------------------------------------- start_session


def test_start_leaves_an_active_session_with_its_channels_open_and_its_opening_question(
    interviewer: Any, evaluations: Any, open_channels: InProcessCommunicationManager
) -> None:
    created = session_in(SessionStatus.CREATED)
    store = FakeStore(created)

    manager_on(store, interviewer, evaluations, open_channels).start_session(SID)

    assert store.sessions[SID].status is SessionStatus.ACTIVE
    assert [(m.role, m.content) for m in store.messages] == [(Role.INTERVIEWER, "Shall we begin?")]
    assert open_channels.enabled_modes(SID) == {
        CommunicationMode.TEXT,
        CommunicationMode.WHITEBOARD,
    }
    interviewer.initialize.assert_called_once_with(SID, RESUME, config=created.config)
    assert interviewer.opening_question.call_args.args[0].state == {"asked": []}


def test_start_stores_the_opening_question_with_the_active_session(
    manager: SessionManager, store: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.CREATED)
    echo_transition(store)
    session = manager.start_session(SID)
    kwargs = store.save_transition.call_args.kwargs
    after: Session = store.save_transition.call_args.args[1]
    assert session.status is SessionStatus.ACTIVE
    assert kwargs["operation"] is Operation.START
    assert [(m.role, m.content) for m in kwargs["messages"]] == [
        (Role.INTERVIEWER, "Shall we begin?")
    ]
    assert after.started_at == NOW and after.active_since == NOW
    assert after.interviewer_state == {"asked": ["open"]}


def test_start_keeps_the_opening_questions_notes_and_phase(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.CREATED)
    interviewer.opening_question.return_value = InterviewerReply(
        "Shall we begin?", {"asked": ["open"]}, notes=("phase: requirements",), phase="requirements"
    )
    echo_transition(store)
    manager.start_session(SID)
    kwargs = store.save_transition.call_args.kwargs
    assert kwargs["notes"] == ("phase: requirements",)
    assert kwargs["events"] == [
        NewEvent(EventType.PHASE_CHANGED, {"phase": "requirements", "previous_phase": None})
    ]
    assert store.save_transition.call_args.args[1].phase == "requirements"


def test_start_is_refused_while_the_candidate_has_another_active_session(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.CREATED)
    other = session_in(SessionStatus.ACTIVE, id="9a0e8b7c-6d5f-4e3d-8c2b-1a0f9e8d7c6b")
    store.find_active_session.return_value = other
    with pytest.raises(
        InvalidStateTransitionError, match=f"already has an active session {other.id}"
    ):
        manager.start_session(SID)
    store.find_active_session.assert_called_once_with("cand-7", "default")
    interviewer.initialize.assert_not_called()
    store.save_transition.assert_not_called()


def test_start_failing_at_the_opening_question_leaves_the_session_created_and_closed(
    manager: SessionManager, store: Any, interviewer: Any, channels: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.CREATED)
    interviewer.opening_question.side_effect = TimeoutError("provider timed out")
    with pytest.raises(ProviderError, match="opening question"):
        manager.start_session(SID)
    store.save_transition.assert_not_called()
    channels.disable_all_modes.assert_called_once_with(SID)


def test_start_failing_at_initialisation_opens_no_channel(
    manager: SessionManager, store: Any, interviewer: Any, channels: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.CREATED)
    interviewer.initialize.side_effect = ConnectionError("refused")
    with pytest.raises(ProviderError, match="initialise"):
        manager.start_session(SID)
    channels.enable_mode.assert_not_called()
    store.save_transition.assert_not_called()


def test_start_lost_to_a_racing_start_keeps_the_winners_channels(
    manager: SessionManager, store: Any, channels: Any
) -> None:
    store.get_session.side_effect = [
        session_in(SessionStatus.CREATED),
        session_in(SessionStatus.ACTIVE),
    ]
    store.save_transition.side_effect = InvalidStateTransitionError(SID, "active", "start")
    with pytest.raises(InvalidStateTransitionError):
        manager.start_session(SID)
    channels.disable_all_modes.assert_not_called()


@pytest.mark.parametrize(
    "status", [SessionStatus.ACTIVE, SessionStatus.PAUSED, SessionStatus.COMPLETED]
)
def test_start_is_refused_unless_created_without_calling_the_interviewer(
    manager: SessionManager, store: Any, interviewer: Any, status: SessionStatus
) -> None:
    store.get_session.return_value = session_in(status)
    with pytest.raises(InvalidStateTransitionError, match=f"it is {status.value}"):
        manager.start_session(SID)
    interviewer.initialize.assert_not_called()
    store.save_transition.assert_not_called()


# ---------------------------------------------------------------- send_message


def test_send_stores_the_candidates_message_and_the_reply_to_it(
    interviewer: Any, evaluations: Any, open_channels: InProcessCommunicationManager
) -> None:
    store = FakeStore(session_in(SessionStatus.ACTIVE))
    store.messages.append(message(1, Role.INTERVIEWER, "Shall we begin?"))

    turn = manager_on(store, interviewer, evaluations, open_channels).send_turn(
        SID, "hi", client_message_id="c-1"
    )

    assert [(m.seq, m.role, m.content) for m in store.messages] == [
        (1, Role.INTERVIEWER, "Shall we begin?"),
        (2, Role.CANDIDATE, "hi"),
        (3, Role.INTERVIEWER, "Tell me more."),
    ]
    assert store.messages[1].client_message_id == "c-1"
    assert store.messages[2].reply_to == 2
    assert store.pending_turn is None
    assert (turn.candidate.seq, turn.reply.seq) == (2, 3)


def test_the_candidates_message_is_stored_before_the_interviewer_is_asked(
    interviewer: Any, evaluations: Any, open_channels: InProcessCommunicationManager
) -> None:
    """The order is the behaviour: a reply that never comes loses nothing the candidate said."""
    store = FakeStore(session_in(SessionStatus.ACTIVE))
    seen_when_asked: list[list[str]] = []

    def reply(context: Any) -> InterviewerReply:
        seen_when_asked.append([m.content for m in store.messages])
        return InterviewerReply("Tell me more.", {})

    interviewer.reply.side_effect = reply
    manager_on(store, interviewer, evaluations, open_channels).send_message(SID, "hi")
    assert seen_when_asked == [["hi"]]


def test_a_turn_is_claimed_for_the_turn_timeout(
    interviewer: Any, evaluations: Any, open_channels: InProcessCommunicationManager
) -> None:
    store = FakeStore(session_in(SessionStatus.ACTIVE))
    seen: list[datetime | None] = []
    interviewer.reply.side_effect = lambda context: (
        seen.append(store.turn_expires_at) or InterviewerReply("More.", {})
    )
    manager_on(store, interviewer, evaluations, open_channels).send_message(SID, "hi")
    assert seen == [NOW + timedelta(minutes=5)]


def test_send_passes_the_interviewers_state_and_notes_to_the_store(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    claims_turn(store, message(2, Role.CANDIDATE, "hi"), message(1, Role.INTERVIEWER))
    interviewer.reply.return_value = InterviewerReply(
        "Tell me more.", {"asked": ["open", "q1"]}, notes=("probed: caching",)
    )
    manager.send_turn(SID, "hi")
    finished = store.finish_turn.call_args
    assert finished.kwargs["interviewer_state"] == {"asked": ["open", "q1"]}
    assert finished.kwargs["notes"] == ("probed: caching",)
    assert store.begin_turn.call_args.kwargs["context_messages"] == 20


def test_send_gives_the_interviewer_the_window_read_with_the_candidates_message(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    window = (message(1, Role.INTERVIEWER), message(2, Role.CANDIDATE))
    claims_turn(store, window[1], *window)
    manager.send_message(SID, "hello")
    store.get_transcript.assert_not_called()
    store.recent_messages.assert_not_called()
    assert interviewer.reply.call_args.args[0].recent_messages == window


def test_send_keeps_the_candidates_message_and_releases_the_turn_when_the_interviewer_fails(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    claims_turn(store, message(4, Role.CANDIDATE))
    interviewer.reply.side_effect = RuntimeError("502 from upstream")
    with pytest.raises(ProviderError, match="message #4 is stored") as raised:
        manager.send_message(SID, "my answer")
    assert raised.value.candidate_message_seq == 4
    assert raised.value.retryable is True
    store.release_turn.assert_called_once_with(SID, 4)
    store.finish_turn.assert_not_called()


def test_a_failed_turn_names_no_provider_url(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    claims_turn(store, message(2, Role.CANDIDATE))
    interviewer.reply.side_effect = ProviderError(
        "the AI provider 'openai' (model 'm' at http://10.0.0.7:8080/v1) refused the "
        "credentials (HTTP 401)",
        retryable=False,
    )
    with pytest.raises(ProviderError) as raised:
        manager.send_message(SID, "my answer")
    assert "10.0.0.7" not in str(raised.value) and "http" not in str(raised.value)
    assert raised.value.retryable is False


def test_send_while_a_turn_is_pending_is_refused_and_asks_nothing(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    store.begin_turn.side_effect = TurnInProgressError(SID, "active", 2)
    with pytest.raises(TurnInProgressError, match="still answering message #2"):
        manager.send_message(SID, "again")
    interviewer.reply.assert_not_called()
    store.release_turn.assert_not_called()


def test_a_reused_client_message_id_returns_the_stored_turn(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    candidate = message(2, Role.CANDIDATE, "hi", client_message_id="c-1")
    store.find_turn.return_value = ExistingTurn(candidate, message(3, Role.INTERVIEWER))
    turn = manager.send_turn(SID, "hi", client_message_id="c-1")
    assert (turn.candidate.seq, turn.reply.seq) == (2, 3)
    assert not stored_by_begin_turn(store)
    interviewer.reply.assert_not_called()


def test_a_reused_client_message_id_with_other_content_is_refused(
    manager: SessionManager, store: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    candidate = message(2, Role.CANDIDATE, "hi", client_message_id="c-1")
    store.find_turn.return_value = ExistingTurn(candidate, message(3, Role.INTERVIEWER))
    with pytest.raises(InvalidInputError, match="already used for message #2"):
        manager.send_turn(SID, "something else", client_message_id="c-1")
    assert not stored_by_begin_turn(store)


def test_a_reused_client_message_id_whose_reply_failed_is_answered_now(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    candidate = message(2, Role.CANDIDATE, "hi", client_message_id="c-1")
    store.find_turn.return_value = ExistingTurn(candidate, None)
    store.resume_turn.return_value = TurnStart(candidate, (candidate,))
    store.finish_turn.side_effect = lambda sid, seq, reply, **kw: message(3, Role.INTERVIEWER)
    turn = manager.send_turn(SID, "hi", client_message_id="c-1")
    assert turn.reply.seq == 3
    assert store.resume_turn.call_args.kwargs["candidate_seq"] == 2
    assert not stored_by_begin_turn(store)


@pytest.mark.parametrize("key", ["", "has space", "x" * 129, "naïve", 17])
def test_a_malformed_client_message_id_is_refused_before_storage(
    manager: SessionManager, store: Any, key: Any
) -> None:
    with pytest.raises(InvalidInputError, match="client_message_id"):
        manager.send_message(SID, "hi", client_message_id=key)
    store.get_session.assert_not_called()


def test_retry_reply_answers_the_unanswered_message(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    candidate = message(4, Role.CANDIDATE, "my answer")
    store.resume_turn.return_value = TurnStart(candidate, (candidate,))
    store.finish_turn.side_effect = lambda sid, seq, reply, **kw: message(5, Role.INTERVIEWER)
    reply = manager.retry_reply(SID)
    assert reply.seq == 5
    assert store.finish_turn.call_args.args[1] == 4
    assert interviewer.reply.call_args.args[0].recent_messages == (candidate,)


def test_retry_reply_with_nothing_unanswered_is_refused(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    store.resume_turn.side_effect = InvalidStateTransitionError(
        SID, "active", "retry the reply of", "the last message is the interviewer's"
    )
    with pytest.raises(InvalidStateTransitionError, match="last message is the interviewer"):
        manager.retry_reply(SID)
    interviewer.reply.assert_not_called()


def test_a_reply_in_a_new_phase_writes_a_phase_change(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE, phase="requirements")
    claims_turn(store, message(2, Role.CANDIDATE))
    interviewer.reply.return_value = InterviewerReply("Next part.", {}, phase="high_level_design")
    manager.send_message(SID, "done with requirements")
    kwargs = store.finish_turn.call_args.kwargs
    assert kwargs["phase"] == "high_level_design"
    assert kwargs["events"] == [
        NewEvent(
            EventType.PHASE_CHANGED,
            {"phase": "high_level_design", "previous_phase": "requirements"},
        )
    ]


def test_a_reply_in_the_same_phase_writes_no_phase_change(
    manager: SessionManager, store: Any, interviewer: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE, phase="requirements")
    claims_turn(store, message(2, Role.CANDIDATE))
    interviewer.reply.return_value = InterviewerReply("More.", {}, phase="requirements")
    manager.send_message(SID, "and latency")
    assert store.finish_turn.call_args.kwargs["events"] == []
    assert store.finish_turn.call_args.kwargs["phase"] is None


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("abc\x00def", "NUL"),
        ("x" * 20_001, "limit"),
        ("\ud800 lone surrogate", "Unicode"),
        (None, "string"),
    ],
)
def test_send_refuses_bad_content_before_touching_the_store(
    manager: SessionManager, store: Any, content: Any, error: str
) -> None:
    with pytest.raises(InvalidInputError, match=error):
        manager.send_message(SID, content)
    store.get_session.assert_not_called()
    assert not stored_by_begin_turn(store)


def test_send_accepts_a_large_whiteboard_export(manager: SessionManager, store: Any) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    claims_turn(store, message(2, Role.CANDIDATE, mode=CommunicationMode.WHITEBOARD))
    board = json.dumps({"shapes": [{"text": "lb"}] * 5000})
    manager.send_message(SID, board, CommunicationMode.WHITEBOARD)
    assert store.begin_turn.call_args.args[1].mode is CommunicationMode.WHITEBOARD


def test_send_in_a_mode_that_is_not_enabled_is_refused(manager: SessionManager, store: Any) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    with pytest.raises(InvalidInputError, match="'audio' is not enabled"):
        manager.send_message(SID, "hello", CommunicationMode.AUDIO)
    assert not stored_by_begin_turn(store)


def test_send_in_an_unknown_mode_is_refused(manager: SessionManager, store: Any) -> None:
    with pytest.raises(InvalidInputError, match="unknown communication mode"):
        manager.send_message(SID, "hello", "smoke-signals")  # type: ignore[arg-type]
    assert not stored_by_begin_turn(store)


@pytest.mark.parametrize(
    "status", [SessionStatus.CREATED, SessionStatus.PAUSED, SessionStatus.COMPLETED]
)
def test_send_is_refused_unless_active(
    manager: SessionManager, store: Any, status: SessionStatus
) -> None:
    store.get_session.return_value = session_in(status)
    with pytest.raises(InvalidStateTransitionError, match="send a message"):
        manager.send_message(SID, "hello")
    assert not stored_by_begin_turn(store)


def test_send_reopens_channels_of_a_session_started_elsewhere(
    manager: SessionManager, store: Any, channels: Any
) -> None:
    channels.enabled_modes.return_value = frozenset()
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    claims_turn(store, message(2, Role.CANDIDATE))
    manager.send_message(SID, "hello")
    assert {c.args[1] for c in channels.enable_mode.call_args_list} == {
        CommunicationMode.TEXT,
        CommunicationMode.WHITEBOARD,
    }


# ---------------------------------------------------------------- pause / resume


def test_pause_stores_paused_and_banks_the_active_time(manager: SessionManager, store: Any) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE, active_seconds=30.0)
    echo_transition(store)
    session = manager.pause_session(SID)
    assert session.status is SessionStatus.PAUSED
    assert session.active_seconds == 90.0
    assert session.active_since is None
    assert store.save_transition.call_args.kwargs["operation"] is Operation.PAUSE


def test_resume_stores_active_and_restarts_the_clock(manager: SessionManager, store: Any) -> None:
    store.get_session.return_value = session_in(SessionStatus.PAUSED, active_seconds=90.0)
    echo_transition(store)
    session = manager.resume_session(SID)
    assert session.status is SessionStatus.ACTIVE
    assert session.active_since == NOW
    assert session.active_seconds == 90.0


@pytest.mark.parametrize(
    ("call", "status"),
    [
        ("pause_session", SessionStatus.CREATED),
        ("pause_session", SessionStatus.PAUSED),
        ("pause_session", SessionStatus.COMPLETED),
        ("resume_session", SessionStatus.CREATED),
        ("resume_session", SessionStatus.ACTIVE),
        ("resume_session", SessionStatus.COMPLETED),
        ("end_session", SessionStatus.CREATED),
        ("end_session", SessionStatus.COMPLETED),
    ],
)
def test_refused_transitions_change_nothing(
    manager: SessionManager, store: Any, evaluations: Any, call: str, status: SessionStatus
) -> None:
    store.get_session.return_value = session_in(status)
    with pytest.raises(InvalidStateTransitionError) as raised:
        getattr(manager, call)(SID)
    assert SID in str(raised.value) and status.value in str(raised.value)
    store.save_transition.assert_not_called()
    evaluations.generate_evaluation.assert_not_called()


# ---------------------------------------------------------------- end_session


def test_end_commits_completed_before_closing_channels_and_evaluating(  # order is the point
    mocker: MockerFixture, manager: SessionManager, store: Any, channels: Any, evaluations: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    echo_transition(store)
    calls = mocker.Mock()
    calls.attach_mock(store.save_transition, "save_transition")
    calls.attach_mock(channels.disable_all_modes, "disable_all_modes")
    calls.attach_mock(evaluations.generate_evaluation, "generate_evaluation")

    report = manager.end_session(SID)

    assert [c[0] for c in calls.mock_calls] == [
        "save_transition",
        "disable_all_modes",
        "generate_evaluation",
    ]
    after: Session = store.save_transition.call_args.args[1]
    assert after.status is SessionStatus.COMPLETED and after.ended_at == NOW
    evaluations.generate_evaluation.assert_called_once_with(SID, force=False)
    assert report.overall_score == 62.5


def test_end_of_a_paused_session_is_allowed(manager: SessionManager, store: Any) -> None:
    store.get_session.return_value = session_in(SessionStatus.PAUSED)
    echo_transition(store)
    assert manager.end_session(SID).status is EvaluationStatus.READY


def test_end_with_a_failing_evaluation_raises_after_the_session_is_completed(
    manager: SessionManager, store: Any, evaluations: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    echo_transition(store)
    evaluations.generate_evaluation.side_effect = EvaluationError("rubric evaluator failed")
    with pytest.raises(EvaluationError):
        manager.end_session(SID)
    store.save_transition.assert_called_once()


def test_end_maps_a_foreign_evaluation_exception_to_evaluation_error(
    manager: SessionManager, store: Any, evaluations: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    echo_transition(store)
    evaluations.generate_evaluation.side_effect = KeyError("dimension")
    with pytest.raises(EvaluationError, match="retry"):
        manager.end_session(SID)


def test_end_in_the_background_returns_the_pending_report_without_evaluating(
    manager: SessionManager, store: Any, evaluations: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    echo_transition(store)
    store.get_evaluation.return_value = EvaluationReport(SID, EvaluationStatus.PENDING)
    report = manager.end_session(SID, evaluate="background")
    assert report.status is EvaluationStatus.PENDING
    evaluations.generate_evaluation.assert_not_called()
    store.save_transition.assert_called_once()


def test_end_with_an_unknown_evaluation_mode_is_refused_before_storage(
    manager: SessionManager, store: Any
) -> None:
    with pytest.raises(InvalidInputError, match="'now' or 'background'"):
        manager.end_session(SID, evaluate="later")  # type: ignore[arg-type]
    store.get_session.assert_not_called()


def test_a_manager_built_for_background_evaluation_ends_in_the_background(
    store: Any, interviewer: Any, evaluations: Any, channels: Any
) -> None:
    manager = SessionManager(
        store,
        interviewer,
        evaluations,
        channels,
        logger=build_logger(enabled=False),
        clock=lambda: NOW,
        evaluate="background",
    )
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    echo_transition(store)
    store.get_evaluation.return_value = EvaluationReport(SID, EvaluationStatus.PENDING)
    assert manager.end_session(SID).status is EvaluationStatus.PENDING
    evaluations.generate_evaluation.assert_not_called()


# ---------------------------------------------------------------- tenants


def test_a_scoped_manager_does_not_see_another_tenants_session(
    manager: SessionManager, store: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE, tenant_id="acme")
    with pytest.raises(SessionNotFoundError):
        manager.for_tenant("globex").get_session(SID)
    assert manager.for_tenant("acme").get_session(SID).tenant_id == "acme"


def test_a_scoped_manager_refuses_to_act_on_another_tenants_session_before_any_change(
    manager: SessionManager, store: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE, tenant_id="acme")
    scoped = manager.for_tenant("globex")
    for call in (
        lambda: scoped.pause_session(SID),
        lambda: scoped.end_session(SID),
        lambda: scoped.send_message(SID, "hello"),
        lambda: scoped.get_transcript(SID),
        lambda: scoped.get_evaluation(SID),
        lambda: scoped.events(SID),
    ):
        with pytest.raises(SessionNotFoundError):
            call()
    store.save_transition.assert_not_called()
    assert not stored_by_begin_turn(store)
    store.get_transcript.assert_not_called()
    store.get_evaluation.assert_not_called()
    store.events.assert_not_called()


def test_a_scoped_manager_creates_and_lists_in_its_tenant_only(
    manager: SessionManager, store: Any
) -> None:
    store.add_session.side_effect = lambda s: s
    store.list_sessions.return_value = []
    scoped = manager.for_tenant("acme")
    assert scoped.create_session(SessionConfig()).tenant_id == "acme"
    scoped.list_sessions()
    assert store.list_sessions.call_args.kwargs["tenant_id"] == "acme"
    with pytest.raises(InvalidInputError, match="scoped to tenant 'acme'"):
        scoped.list_sessions(tenant_id="globex")
    with pytest.raises(InvalidInputError, match="scoped to tenant 'acme'"):
        scoped.create_session(SessionConfig(), tenant_id="globex")


def test_an_unscoped_manager_creates_in_the_default_tenant(
    manager: SessionManager, store: Any
) -> None:
    store.add_session.side_effect = lambda s: s
    assert manager.create_session(SessionConfig()).tenant_id == "default"
    assert manager.create_session(SessionConfig(), tenant_id="acme").tenant_id == "acme"


@pytest.mark.parametrize("tenant", ["", "has space", "a/b", "x" * 65, "-lead"])
def test_a_malformed_tenant_id_is_refused(manager: SessionManager, tenant: str) -> None:
    with pytest.raises(InvalidInputError, match="tenant id"):
        manager.for_tenant(tenant)


# ---------------------------------------------------------------- events


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"after": -1}, "negative"), ({"after": "3"}, "integer"), ({"limit": 0}, "between 1")],
)
def test_events_refuses_bad_cursors_and_limits(
    manager: SessionManager, store: Any, kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(InvalidInputError, match=error):
        manager.events(SID, **kwargs)
    store.events.assert_not_called()


def test_events_reads_the_log_after_the_cursor(manager: SessionManager, store: Any) -> None:
    store.events.return_value = []
    manager.events(SID, after=7, limit=50)
    store.events.assert_called_once_with(SID, after=7, limit=50)


# ---------------------------------------------------------------- retry_evaluation


def test_retry_returns_a_ready_evaluation_without_regenerating(
    manager: SessionManager, store: Any, evaluations: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.COMPLETED)
    ready = EvaluationReport(SID, EvaluationStatus.READY, overall_score=70.0)
    store.get_evaluation.return_value = ready
    assert manager.retry_evaluation(SID) is ready
    evaluations.generate_evaluation.assert_not_called()


def test_retry_with_force_regenerates_a_ready_evaluation(
    manager: SessionManager, store: Any, evaluations: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.COMPLETED)
    store.get_evaluation.return_value = EvaluationReport(SID, EvaluationStatus.READY)
    manager.retry_evaluation(SID, force=True)
    evaluations.generate_evaluation.assert_called_once_with(SID, force=True)


@pytest.mark.parametrize("status", [EvaluationStatus.FAILED, EvaluationStatus.PENDING, None])
def test_retry_regenerates_a_failed_pending_or_missing_evaluation(
    manager: SessionManager, store: Any, evaluations: Any, status: EvaluationStatus | None
) -> None:
    store.get_session.return_value = session_in(SessionStatus.COMPLETED)
    store.get_evaluation.return_value = EvaluationReport(SID, status) if status else None
    manager.retry_evaluation(SID)
    evaluations.generate_evaluation.assert_called_once_with(SID, force=False)


def test_retry_of_an_unfinished_session_is_refused(
    manager: SessionManager, store: Any, evaluations: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE)
    with pytest.raises(InvalidStateTransitionError, match="evaluate"):
        manager.retry_evaluation(SID)
    evaluations.generate_evaluation.assert_not_called()


# ---------------------------------------------------------------- reads and errors


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"limit": -1}, "negative"),
        ({"offset": -5}, "negative"),
        ({"limit": 0}, "at least 1"),
        ({"limit": 10**9}, "at most"),
        ({"limit": "10"}, "integer"),
        ({"status": "finished"}, "unknown session status"),
        ({"user_id": "  "}, "empty"),
        ({"min_score": 101}, "between 0 and 100"),
        ({"since": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"since": NOW, "until": NOW - timedelta(days=1)}, "earlier"),
        ({"after": "not-a-cursor"}, "session id"),
    ],
)
def test_list_sessions_refuses_bad_arguments(
    manager: SessionManager, store: Any, kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(InvalidInputError, match=error):
        manager.list_sessions(**kwargs)
    store.list_sessions.assert_not_called()


def test_list_sessions_passes_filters_to_the_store(manager: SessionManager, store: Any) -> None:
    store.list_sessions.return_value = []
    manager.list_sessions(user_id="cand-7", status="completed", limit=10, offset=20)
    store.list_sessions.assert_called_once_with(
        user_id="cand-7",
        status=SessionStatus.COMPLETED,
        limit=10,
        offset=20,
        since=None,
        until=None,
        min_score=None,
        after=None,
        tenant_id=None,
    )


def test_a_foreign_exception_from_the_store_never_escapes(
    manager: SessionManager, store: Any
) -> None:
    store.get_session.side_effect = KeyError("sessions")
    with pytest.raises(InterviewPlatformError, match="get_session failed unexpectedly"):
        manager.get_session(SID)


def test_each_operation_logs_one_json_line_without_personal_data(
    store: Any,
    interviewer: Any,
    evaluations: Any,
    channels: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manager = SessionManager(
        store, interviewer, evaluations, channels, logger=build_logger(), clock=lambda: NOW
    )
    store.add_session.side_effect = lambda s: s
    capsys.readouterr()
    manager.create_session(SessionConfig(resume_data=RESUME))
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert {
        "timestamp",
        "level",
        "component",
        "operation",
        "message",
        "session_id",
        "metadata",
    } <= set(line)
    assert line["component"] == "SessionManager" and line["operation"] == "create_session"
    assert line["message"] == LogEvent.SESSION_CREATED == "session.created"
    assert line["metadata"]["has_resume"] is True
    assert line["timestamp"].endswith("Z")
    text = json.dumps(line)
    assert planted_in(text) == []


def test_a_refused_operation_logs_a_warning_naming_the_error_without_a_stack(
    store: Any,
    interviewer: Any,
    evaluations: Any,
    channels: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manager = SessionManager(
        store, interviewer, evaluations, channels, logger=build_logger(), clock=lambda: NOW
    )
    store.get_session.return_value = session_in(SessionStatus.COMPLETED)
    capsys.readouterr()
    with pytest.raises(InvalidStateTransitionError):
        manager.pause_session(SID)
    (line,) = [json.loads(x) for x in capsys.readouterr().err.splitlines()]
    assert line["level"] == "warning" and line["session_id"] == SID
    assert line["message"] == LogEvent.OPERATION_REFUSED
    assert line["operation"] == "pause_session"
    assert line["metadata"]["error"] == "InvalidStateTransitionError"
    assert "it is completed" in line["metadata"]["reason"]
    assert "exception" not in line


def test_a_failed_operation_logs_an_error_with_its_stack(
    store: Any,
    interviewer: Any,
    evaluations: Any,
    channels: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    manager = SessionManager(
        store, interviewer, evaluations, channels, logger=build_logger(), clock=lambda: NOW
    )
    store.get_session.side_effect = DataStoreError("the database could not be reached")
    capsys.readouterr()
    with pytest.raises(DataStoreError):
        manager.pause_session(SID)
    (line,) = [json.loads(x) for x in capsys.readouterr().err.splitlines()]
    assert line["level"] == "error" and line["message"] == LogEvent.OPERATION_FAILED
    assert line["metadata"]["error"] == "DataStoreError"
    assert line["exception"][0]["exc_type"] == "DataStoreError"


# ---------------------------------------------------------------- time rules


def overdue_active() -> Session:
    """ACTIVE for 46 minutes of a 45-minute interview."""
    return session_in(
        SessionStatus.ACTIVE, active_since=NOW - timedelta(minutes=46), last_activity_at=NOW
    )


def test_a_message_to_a_session_past_its_time_ends_it_and_says_so(
    manager: SessionManager, store: Any, evaluations: Any
) -> None:
    store.get_session.return_value = overdue_active()
    echo_transition(store)
    with pytest.raises(InvalidStateTransitionError, match="time limit"):
        manager.send_message(SID, "one more thing")
    after: Session = store.save_transition.call_args.args[1]
    assert after.status is SessionStatus.COMPLETED
    assert after.end_reason is EndReason.TIME_LIMIT
    assert store.save_transition.call_args.kwargs["reason"] == "time_limit"
    evaluations.generate_evaluation.assert_called_once_with(SID, force=False)
    assert not stored_by_begin_turn(store)


def test_resuming_an_abandoned_session_ends_it_as_abandoned(
    manager: SessionManager, store: Any
) -> None:
    store.get_session.return_value = session_in(
        SessionStatus.PAUSED, last_activity_at=NOW - timedelta(days=2)
    )
    echo_transition(store)
    with pytest.raises(InvalidStateTransitionError, match="abandonment"):
        manager.resume_session(SID)
    assert store.save_transition.call_args.args[1].end_reason is EndReason.ABANDONED


def test_ending_an_overdue_session_records_why_it_really_ended(
    manager: SessionManager, store: Any
) -> None:
    store.get_session.return_value = overdue_active()
    echo_transition(store)
    manager.end_session(SID)
    assert store.save_transition.call_args.args[1].end_reason is EndReason.TIME_LIMIT


def test_enforce_time_rules_pauses_an_idle_session(manager: SessionManager, store: Any) -> None:
    store.get_session.return_value = session_in(
        SessionStatus.ACTIVE, last_activity_at=NOW - timedelta(minutes=31)
    )
    echo_transition(store)
    action = manager.enforce_time_rules(SID)
    assert action is not None and action.operation is Operation.PAUSE
    assert store.save_transition.call_args.kwargs["reason"] == "idle"


def test_enforce_time_rules_leaves_a_session_in_time_alone(
    manager: SessionManager, store: Any
) -> None:
    store.get_session.return_value = session_in(SessionStatus.ACTIVE, last_activity_at=NOW)
    assert manager.enforce_time_rules(SID) is None
    store.save_transition.assert_not_called()


def test_a_timed_ending_stands_when_its_evaluation_fails(
    manager: SessionManager, store: Any, evaluations: Any
) -> None:
    store.get_session.return_value = overdue_active()
    echo_transition(store)
    evaluations.generate_evaluation.side_effect = EvaluationError("evaluator down")
    action = manager.enforce_time_rules(SID)
    assert action is not None and action.end_reason is EndReason.TIME_LIMIT
    store.save_transition.assert_called_once()

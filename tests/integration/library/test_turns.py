"""One turn at a time, idempotent sends and retry_reply, through the library on each database."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from interview_orchestrator import (
    InvalidInputError,
    ProviderError,
    Role,
    SessionConfig,
    SessionManager,
    TurnInProgressError,
)

WAIT = 30.0
ANSWER = "I would start from the read path and put a cache in front of the database."


def active(manager: SessionManager) -> str:
    sid = manager.create_session(SessionConfig()).id
    manager.start_session(sid)
    return sid


def test_a_send_during_another_turn_is_refused_and_stores_nothing(
    gated: Any, manager: SessionManager
) -> None:
    sid = active(manager)
    thinking, release = threading.Event(), threading.Event()
    gated.before_reply = lambda: (thinking.set(), release.wait(WAIT))
    first = threading.Thread(target=manager.send_message, args=(sid, ANSWER), daemon=True)
    first.start()
    try:
        assert thinking.wait(WAIT)
        with pytest.raises(TurnInProgressError, match="still answering message #2") as refused:
            manager.send_message(sid, "Hello? Are you there?")
        assert refused.value.awaiting_seq == 2
        assert [m.seq for m in manager.get_transcript(sid)] == [1, 2]
        assert manager.get_session(sid).turn_seq == 2
    finally:
        release.set()
        first.join(WAIT)
    assert [m.role for m in manager.get_transcript(sid)] == [
        Role.INTERVIEWER,
        Role.CANDIDATE,
        Role.INTERVIEWER,
    ]
    assert manager.send_message(sid, "Next, the write path.").seq == 5


def test_the_same_client_message_id_returns_the_same_turn(manager: SessionManager) -> None:
    sid = active(manager)
    first = manager.send_turn(sid, ANSWER, client_message_id="msg-1")
    again = manager.send_turn(sid, ANSWER, client_message_id="msg-1")
    assert again == first
    assert len(manager.get_transcript(sid)) == 3
    with pytest.raises(InvalidInputError, match="already used for message #2"):
        manager.send_turn(sid, "something else entirely", client_message_id="msg-1")
    assert len(manager.get_transcript(sid)) == 3


def test_a_double_submit_from_two_threads_makes_one_turn(
    gated: Any, manager: SessionManager
) -> None:
    sid = active(manager)
    thinking, release = threading.Event(), threading.Event()
    gated.before_reply = lambda: (thinking.set(), release.wait(WAIT))
    outcomes: list[Any] = []

    def submit() -> None:
        try:
            outcomes.append(manager.send_turn(sid, ANSWER, client_message_id="double"))
        except Exception as exc:  # judged below
            outcomes.append(exc)

    first = threading.Thread(target=submit, daemon=True)
    first.start()
    assert thinking.wait(WAIT)
    submit()  # the second submit arrives while the first is being answered
    release.set()
    first.join(WAIT)
    assert isinstance(outcomes[0], TurnInProgressError), outcomes
    gated.before_reply = None
    assert manager.send_turn(sid, ANSWER, client_message_id="double") == outcomes[1]
    assert [m.role for m in manager.get_transcript(sid)].count(Role.CANDIDATE) == 1


def test_retry_reply_answers_the_message_a_failing_provider_left(
    gated: Any, manager: SessionManager
) -> None:
    sid = active(manager)

    def down() -> None:
        raise ProviderError("the AI provider timed out", retryable=True)

    gated.before_reply = down
    with pytest.raises(ProviderError, match="message #2 is stored") as failed:
        manager.send_message(sid, ANSWER)
    assert failed.value.candidate_message_seq == 2 and failed.value.retryable
    assert manager.get_session(sid).turn_seq is None  # released: the candidate can go on
    gated.before_reply = None
    reply = manager.retry_reply(sid)
    assert (reply.seq, reply.reply_to, reply.role) == (3, 2, Role.INTERVIEWER)


def test_resending_a_failed_turn_with_its_client_message_id_answers_it(
    gated: Any, manager: SessionManager
) -> None:
    sid = active(manager)
    gated.before_reply = lambda: (_ for _ in ()).throw(ProviderError("down"))
    with pytest.raises(ProviderError):
        manager.send_turn(sid, ANSWER, client_message_id="resend")
    gated.before_reply = None
    turn = manager.send_turn(sid, ANSWER, client_message_id="resend")
    assert (turn.candidate.seq, turn.reply.seq) == (2, 3)
    assert len(manager.get_transcript(sid)) == 3


def test_the_transcript_after_a_sequence_number_is_only_what_is_new(
    manager: SessionManager,
) -> None:
    sid = active(manager)
    manager.send_message(sid, ANSWER)
    manager.send_message(sid, "Then shard by user id.")
    assert [m.seq for m in manager.get_transcript(sid, after_seq=3)] == [4, 5]
    assert [m.seq for m in manager.get_transcript(sid, after_seq=1, limit=2)] == [2, 3]
    assert manager.get_transcript(sid, after_seq=5) == []

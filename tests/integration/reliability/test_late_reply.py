"""A reply that arrives after the session ended is stored, marked late, and recorded in the
event log after the ending, marked late there too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from interview_orchestrator import (
    EvaluationStatus,
    EventType,
    Message,
    Role,
    SessionConfig,
    SessionStatus,
)

WAIT = 30.0


def test_a_reply_that_arrives_after_the_end_is_stored_and_logged_late(
    container: Any, hook_interviewer: Callable[[Any], Any], story: Callable[..., Any]
) -> None:
    replying, release = threading.Event(), threading.Event()
    hooked = hook_interviewer(container)
    hooked.before_reply = lambda: (replying.set(), release.wait(WAIT))
    manager = container.session_manager()

    sid = manager.create_session(SessionConfig()).id
    manager.start_session(sid)
    answered: list[Message | BaseException] = []

    def send() -> None:
        try:
            answered.append(
                manager.send_message(sid, "I would put a queue in front of the writers.")
            )
        except BaseException as exc:  # reported below
            answered.append(exc)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    assert replying.wait(WAIT), "the reply was never asked for"
    report = manager.end_session(sid)  # while the interviewer is still thinking
    release.set()
    sender.join(WAIT)
    assert not sender.is_alive()

    (reply,) = answered
    assert isinstance(reply, Message), reply
    assert reply.late and reply.role is Role.INTERVIEWER
    stored = story(container, sid)
    assert stored.session.status is SessionStatus.COMPLETED
    assert [(m.seq, m.role, m.late) for m in stored.transcript] == [
        (1, Role.INTERVIEWER, False),  # the opening question
        (2, Role.CANDIDATE, False),
        (3, Role.INTERVIEWER, True),  # the reply that came after the end
    ]
    assert stored.transcript[2].content == reply.content
    # The evaluation was of the transcript as it was when the session ended, and only once.
    assert report.status in (EvaluationStatus.READY, EvaluationStatus.NO_EVIDENCE)
    assert stored.evaluation.attempts == 1

    # The log has the ending and its evaluation first, then the late reply, marked late so a
    # reader does not show it as live.
    logged = [
        (e.type, e.data["message"]["seq"] if "message" in e.data else e.data.get("status"))
        for e in manager.events(sid)
    ]
    assert logged[-5:] == [
        (EventType.SESSION_COMPLETED, "completed"),
        (EventType.EVALUATION_UPDATED, "pending"),
        (EventType.EVALUATION_UPDATED, "running"),
        (EventType.EVALUATION_UPDATED, report.status.value),
        (EventType.MESSAGE_CREATED, 3),
    ]
    assert manager.events(sid)[-1].data["message"]["late"] is True
    assert container.communication_manager().enabled_modes(sid) == set()

"""A reply that arrives after the session ended is stored, marked late, and not published to
subscribers as live."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from interview_orchestrator import (
    EvaluationStatus,
    Message,
    Role,
    SessionConfig,
    SessionStatus,
)
from interview_orchestrator.ports import EventKind, SessionEvent

WAIT = 30.0


def test_a_reply_that_arrives_after_the_end_is_stored_late_and_not_published(
    container: Any, hook_interviewer: Callable[[Any], Any], story: Callable[..., Any]
) -> None:
    replying, release = threading.Event(), threading.Event()
    hooked = hook_interviewer(container)
    hooked.before_reply = lambda: (replying.set(), release.wait(WAIT))
    manager = container.session_manager()
    events: list[SessionEvent] = []
    container.communication_manager().subscribe(events.append)

    sid = manager.create_session(SessionConfig()).id
    manager.start_session(sid)
    answered: list[Message | BaseException] = []

    def send() -> None:
        try:
            answered.append(manager.send_message(sid, "I would put a queue in front of the writers."))
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

    # Subscribers heard the start, the opening question, the candidate's message and the end
    # — and not the late reply, which would have reached a closed interview as live.
    assert [(e.kind, e.status, e.message.seq if e.message else None) for e in events] == [
        (EventKind.STATE_CHANGED, SessionStatus.CREATED, None),
        (EventKind.STATE_CHANGED, SessionStatus.ACTIVE, None),
        (EventKind.MESSAGE, SessionStatus.ACTIVE, 1),
        (EventKind.MESSAGE, SessionStatus.ACTIVE, 2),
        (EventKind.STATE_CHANGED, SessionStatus.COMPLETED, None),
    ]
    assert container.communication_manager().enabled_modes(sid) == set()

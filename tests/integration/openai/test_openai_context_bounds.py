"""The cost of one interviewer turn does not grow with the transcript: the request bodies the
server receives at transcript length 200 are no bigger than early ones allow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from interview_orchestrator import SessionConfig, SessionManager
from interview_orchestrator.testing import (
    RecordedRequest,
    ScriptedOpenAIServer,
    ScriptedResponse,
    completion,
    interviewer_turn,
)

LONG_SUMMARY = "The candidate covered one more aspect in detail. " * 200  # ~10,000 characters


def verbose_interviewer(request: RecordedRequest) -> ScriptedResponse:
    """Short questions, and a far too long summary whenever one is asked for."""
    return completion(interviewer_turn("And then?", ["probed"], summary=LONG_SUMMARY))


def answer(number: int) -> str:
    return f"Answer {number}: " + "I would shard by key, replicate and cache the hot paths. " * 10


def test_the_request_at_200_messages_is_no_bigger_than_at_10(
    openai_container: Any,
    scripted_openai_server: ScriptedOpenAIServer,
    openai_config: Callable[..., SessionConfig],
) -> None:
    # 200 messages: durability per commit is not what this test is about.
    openai_container.config.database.sqlite_synchronous.from_value("NORMAL")
    manager: SessionManager = openai_container.session_manager()
    scripted_openai_server.handler = verbose_interviewer
    session = manager.create_session(openai_config(duration_minutes=480))
    manager.start_session(session.id)
    for number in range(1, 101):
        manager.send_message(session.id, answer(number))
    assert manager.get_session(session.id).message_count == 201

    sizes = [r.size for r in scripted_openai_server.chat_requests]
    # request k answers the candidate message that made the transcript 2k messages long
    at_10, at_200 = sizes[5], sizes[100]
    print(
        f"request body bytes: at 10 messages {at_10}, at 200 messages {at_200}, "
        f"largest {max(sizes)}"
    )
    assert at_200 <= 1.5 * at_10
    assert max(sizes[50:]) <= 1.5 * max(sizes[:10])

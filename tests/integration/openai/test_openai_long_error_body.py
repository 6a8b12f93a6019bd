"""A server's error body of any length: the turn fails at once, with a short message.

The detail quoted from the body is clipped before it is scrubbed, so a hostile or broken
server cannot make the caller's thread spend its time in the redaction patterns (a
60,000-character body once cost seconds of CPU in them)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from tests.planted import PLANTED_EMAIL, planted_in

from interview_orchestrator import ProviderError, SessionConfig, SessionManager
from interview_orchestrator.testing import ScriptedOpenAIServer, error, plausible_responder

KEPT = "the request was rejected:"
LONG_BODY = f"{KEPT} {'a' * 60_000} {PLANTED_EMAIL}"


def test_a_sixty_thousand_character_error_body_fails_a_turn_quickly_with_a_short_message(
    manager: SessionManager,
    scripted_openai_server: ScriptedOpenAIServer,
    openai_config: Callable[..., SessionConfig],
) -> None:
    scripted_openai_server.handler = plausible_responder
    session = manager.create_session(openai_config())
    manager.start_session(session.id)
    scripted_openai_server.handler = lambda _: error(400, LONG_BODY)
    # The thread's CPU time: what the caller spends, whatever else the machine is running.
    started = time.thread_time()
    with pytest.raises(ProviderError) as failed:
        manager.send_message(session.id, "A load balancer in front of stateless servers.")
    assert time.thread_time() - started < 1.0
    cause = str(failed.value.__cause__)
    assert f"HTTP 400: {KEPT} [{len(LONG_BODY) - len(KEPT)} more characters]" in cause
    assert len(cause) < 1_000 and len(str(failed.value)) < 1_000
    assert planted_in(cause) == []

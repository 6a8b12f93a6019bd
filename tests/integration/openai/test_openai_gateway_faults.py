"""The OpenAI gateway on the real client over HTTP: every transport fault is retried as
configured and ends in a ``ProviderError`` a person can act on; no openai exception escapes."""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise

import pytest
from tests.planted import PLANTED_API_KEY, planted_in

from interview_orchestrator.errors import ProviderError, ProviderResponseError
from interview_orchestrator.llm.openai_chat import OpenAIChatModel
from interview_orchestrator.ports import ChatMessage, ChatRequest, ResponseSchema
from interview_orchestrator.testing import (
    ScriptedOpenAIServer,
    ScriptedResponse,
    completion,
    error,
    malformed_body,
    rate_limited,
    server_error,
    stalled,
)

Gateway = Callable[..., OpenAIChatModel]
REQUEST = ChatRequest(
    messages=(ChatMessage("system", "be brief"), ChatMessage("user", "hello")),
    max_tokens=50,
    response_schema=ResponseSchema("answer", {"type": "object"}),
)


def gaps(server: ScriptedOpenAIServer) -> list[float]:
    times = [r.arrived_at for r in server.chat_requests]
    return [later - earlier for earlier, later in pairwise(times)]


def test_a_completion_reports_content_served_model_usage_and_latency(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.enqueue(
        completion("hi there", model="served-2026", prompt_tokens=42, completion_tokens=3)
    )
    response = gateway().complete(REQUEST)
    assert response.content == "hi there" and response.finish_reason == "stop"
    assert (response.model, response.requested_model) == ("served-2026", "gpt-4o-mini")
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (42, 3)
    assert response.latency_seconds > 0


def test_store_false_when_configured_asks_the_provider_not_to_store_requests(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.enqueue(completion("ok"))
    gateway(store=False).complete(REQUEST)
    body = scripted_openai_server.chat_requests[0].json
    assert body["store"] is False
    assert body["max_completion_tokens"] == 50
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True


def test_retry_after_is_honoured(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    """The client's own backoff before a first retry is at most 0.5 s; the server asks for 1."""
    scripted_openai_server.enqueue(rate_limited(retry_after=1.0), completion("ok"))
    assert gateway(max_retries=2).complete(REQUEST).content == "ok"
    (gap,) = gaps(scripted_openai_server)
    assert 1.0 <= gap < 1.8


def test_rate_limiting_is_retried_only_up_to_the_limit(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.handler = lambda _: rate_limited(retry_after=0.05)
    with pytest.raises(ProviderError, match=r"HTTP 429\) after 4 attempt\(s\)") as raised:
        gateway(max_retries=3).complete(REQUEST)
    assert len(scripted_openai_server.chat_requests) == 4
    assert "rate limits and quota" in str(raised.value)


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_with_backoff_then_reported(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway, status: int
) -> None:
    scripted_openai_server.handler = lambda _: server_error(status)
    with pytest.raises(ProviderError, match=rf"HTTP {status} after 2 attempt\(s\)") as raised:
        gateway(max_retries=1).complete(REQUEST)
    assert len(scripted_openai_server.chat_requests) == 2
    assert gaps(scripted_openai_server)[0] >= 0.3  # exponential backoff: 0.5 s less jitter
    assert "fallback_provider" in str(raised.value)


def test_a_server_error_then_success_is_transparent(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.enqueue(server_error(503), completion("recovered"))
    assert gateway(max_retries=1).complete(REQUEST).content == "recovered"


def test_a_response_slower_than_the_timeout_is_abandoned_and_retried(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.handler = lambda _: stalled(3.0)
    started = time.monotonic()
    with pytest.raises(ProviderError, match=r"did not answer within 0.3 s in 2 attempt\(s\)"):
        gateway(timeout=0.3, max_retries=1).complete(REQUEST)
    assert time.monotonic() - started < 2.0
    assert len(scripted_openai_server.chat_requests) == 2


def test_an_unreachable_server_is_a_connection_error_naming_the_url(gateway: Gateway) -> None:
    with ScriptedOpenAIServer() as doomed:
        url = doomed.base_url
    from interview_orchestrator.llm.openai_chat import build_openai_client
    from interview_orchestrator.settings import OpenAISettings

    settings = OpenAISettings(base_url=url, timeout=1.0, max_retries=0)
    client = build_openai_client(settings, "sk-test")
    with pytest.raises(ProviderError, match="could not connect") as raised:
        OpenAIChatModel(lambda: client, settings).complete(REQUEST)
    assert url in str(raised.value) and "OPENAI_BASE_URL" in str(raised.value)


@pytest.mark.parametrize(
    ("response", "hint"),
    [
        (error(401, f"Incorrect API key provided: {PLANTED_API_KEY}"), "check OPENAI_API_KEY"),
        (error(404, "The model does not exist"), "check openai.model"),
        (error(400, "response_format json_schema is not supported"), "json_object"),
    ],
    ids=["401", "404", "400"],
)
def test_client_errors_are_not_retried_and_say_what_to_check(
    scripted_openai_server: ScriptedOpenAIServer,
    gateway: Gateway,
    response: ScriptedResponse,
    hint: str,
) -> None:
    scripted_openai_server.enqueue(response)
    with pytest.raises(ProviderError, match=hint) as raised:
        gateway(max_retries=2).complete(REQUEST)
    assert len(scripted_openai_server.chat_requests) == 1
    assert planted_in(str(raised.value)) == []


@pytest.mark.parametrize(
    "response",
    [
        malformed_body(),
        ScriptedResponse(200, b'{"id": "no-choices"}', {"Content-Type": "application/json"}),
    ],
    ids=["not-json", "no-choices"],
)
def test_a_body_that_is_not_a_chat_completion_is_a_response_error(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway, response: ScriptedResponse
) -> None:
    scripted_openai_server.enqueue(response)
    with pytest.raises(ProviderResponseError, match="not a chat completion"):
        gateway().complete(REQUEST)


def test_older_servers_get_max_tokens_and_json_object(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.enqueue(completion("{}"))
    gateway(
        token_limit_parameter="max_tokens", structured_output="json_object", store=None
    ).complete(REQUEST)
    body = scripted_openai_server.chat_requests[0].json
    assert body["max_tokens"] == 50 and "max_completion_tokens" not in body
    assert body["response_format"] == {"type": "json_object"} and "store" not in body

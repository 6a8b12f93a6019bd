"""Compatible servers that depart from OpenAI's API: the fields they refuse, and errors whose
hint matches what their body says. The official client against ``ScriptedOpenAIServer``
emulating each server's quirks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.planted import PLANTED_API_KEY, planted_in

from interview_orchestrator import ProviderError
from interview_orchestrator.llm.openai_chat import OpenAIChatModel
from interview_orchestrator.ports import ChatMessage, ChatRequest, ResponseSchema
from interview_orchestrator.testing import (
    LITELLM_PROXY,
    OLLAMA,
    VLLM,
    ScriptedOpenAIServer,
    ScriptedResponse,
    ServerQuirks,
    completion,
    error,
)

Gateway = Callable[..., OpenAIChatModel]
REQUEST = ChatRequest(
    messages=(ChatMessage("user", "hello"),),
    max_tokens=50,
    response_schema=ResponseSchema("answer", {"type": "object"}),
)
#: A reasoning model: only its default temperature.
REASONING_MODEL = ServerQuirks(
    name="reasoning",
    refused_fields={
        "temperature": "Unsupported value: 'temperature' does not support 0.0 with this model. "
        "Only the default (1) value is supported."
    },
)


def test_default_settings_work_behind_a_litellm_proxy_that_refuses_store(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.quirks = LITELLM_PROXY
    scripted_openai_server.enqueue(completion("ok"))
    assert gateway().complete(REQUEST).content == "ok"
    assert "store" not in scripted_openai_server.chat_requests[0].json


def test_store_false_set_explicitly_is_sent_and_a_refusal_says_to_set_it_null(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.quirks = LITELLM_PROXY
    with pytest.raises(ProviderError, match=r"set openai\.store: null") as raised:
        gateway(store=False).complete(REQUEST)
    assert "does not support parameters: ['store']" in str(raised.value)
    assert "structured_output" not in str(raised.value)


def test_a_model_refusing_temperature_gets_a_hint_naming_omit_parameters(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.quirks = REASONING_MODEL
    with pytest.raises(ProviderError, match=r"add temperature to openai\.omit_parameters"):
        gateway().complete(REQUEST)


def test_omitting_temperature_lets_a_reasoning_model_answer(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.quirks = REASONING_MODEL
    scripted_openai_server.enqueue(completion("ok"))
    assert gateway(omit_parameters=("temperature",)).complete(REQUEST).content == "ok"
    assert "temperature" not in scripted_openai_server.chat_requests[0].json


def test_a_server_needing_max_tokens_gets_a_hint_naming_token_limit_parameter(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.quirks = ServerQuirks(
        refused_fields={
            "max_completion_tokens": "Unrecognized request argument supplied: max_completion_tokens"
        }
    )
    with pytest.raises(ProviderError, match=r"set openai\.token_limit_parameter: max_tokens"):
        gateway().complete(REQUEST)


@pytest.mark.parametrize(
    ("response", "hint", "quoted"),
    [
        (
            error(
                400,
                "litellm.BadRequestError: Invalid model name passed in model=gpt-4o-mini. "
                "Call `/v1/models` to view available models for your key.",
            ),
            "does not serve this model",
            "Invalid model name passed in model=gpt-4o-mini",
        ),
        (
            error(404, 'model "gpt-4o-mini" not found, try pulling it first'),
            "does not serve this model",
            'model "gpt-4o-mini" not found',
        ),
        (
            error(
                401,
                f"Incorrect API key provided: {PLANTED_API_KEY}. You can find your API "
                "key at https://platform.openai.com/account/api-keys.",
            ),
            "refused the credentials",
            "Incorrect API key provided",
        ),
        (
            error(400, "Authentication Error, Invalid proxy server token passed."),
            "refused the credentials",
            "Invalid proxy server token passed",
        ),
        (
            error(
                400,
                "This model's maximum context length is 8192 tokens. However, you "
                "requested 9100 tokens (8100 in the messages, 1000 in the completion). "
                "Please reduce the length of the messages or completion.",
            ),
            "longer than the model's context",
            "maximum context length is 8192 tokens",
        ),
        (
            error(
                400,
                "litellm.ContextWindowExceededError: prompt is too long: 210000 tokens "
                "> 200000 maximum",
            ),
            "longer than the model's context",
            "prompt is too long: 210000 tokens",
        ),
    ],
    ids=["400-model", "404-model", "401-key", "400-key", "400-context", "400-context-litellm"],
)
def test_a_refusal_gets_the_hint_its_body_calls_for_and_quotes_it(
    scripted_openai_server: ScriptedOpenAIServer,
    gateway: Gateway,
    response: ScriptedResponse,
    hint: str,
    quoted: str,
) -> None:
    scripted_openai_server.enqueue(response)
    with pytest.raises(ProviderError, match=hint) as raised:
        gateway().complete(REQUEST)
    message = str(raised.value)
    assert quoted in message and not raised.value.retryable
    assert "structured_output" not in message
    assert planted_in(message) == []


def test_an_unknown_model_at_ollama_says_to_pull_it(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.quirks = OLLAMA
    with pytest.raises(ProviderError, match="ollama pull") as raised:
        gateway(model="llama3.2", token_limit_parameter="max_tokens").complete(REQUEST)
    assert 'model "llama3.2" not found' in str(raised.value)


def test_an_unknown_model_at_vllm_names_the_model_setting(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.quirks = VLLM
    with pytest.raises(ProviderError, match=r"check openai\.model") as raised:
        gateway().complete(REQUEST)
    assert "The model `gpt-4o-mini` does not exist." in str(raised.value)


def test_an_error_body_naming_nothing_known_keeps_the_general_hint(
    scripted_openai_server: ScriptedOpenAIServer, gateway: Gateway
) -> None:
    scripted_openai_server.enqueue(error(400, "something else went wrong"))
    with pytest.raises(ProviderError, match="structured_output") as raised:
        gateway().complete(REQUEST)
    assert "HTTP 400: something else went wrong" in str(raised.value)

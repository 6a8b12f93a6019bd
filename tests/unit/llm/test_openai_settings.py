"""The openai section of the settings, the client built from it, and the optional fields a
request carries."""

from __future__ import annotations

import pytest

from interview_orchestrator.errors import InvalidInputError
from interview_orchestrator.llm.openai_chat import build_openai_client, request_arguments
from interview_orchestrator.ports import ChatMessage, ChatRequest, ResponseSchema
from interview_orchestrator.settings import OpenAISettings, Settings

REQUEST = ChatRequest(
    messages=(ChatMessage("user", "hello"),),
    temperature=0.5,
    max_tokens=50,
    response_schema=ResponseSchema("answer", {"type": "object"}),
)


def test_the_client_gets_the_configured_timeout_and_retries_not_the_library_defaults() -> None:
    settings = OpenAISettings(base_url="http://127.0.0.1:9/v1", timeout=7.5, max_retries=4)
    client = build_openai_client(settings, "sk-test-key")
    assert client.timeout == 7.5 and client.max_retries == 4
    assert str(client.base_url) == "http://127.0.0.1:9/v1/"


def test_defaults_are_explicit_and_store_is_decided_by_the_server() -> None:
    settings = Settings.from_mapping({}).openai
    assert (settings.timeout, settings.max_retries, settings.store) == (30.0, 2, "auto")
    assert settings.omit_parameters == ()


def test_by_default_store_false_goes_to_openais_own_api() -> None:
    arguments = request_arguments(OpenAISettings(), REQUEST, "gpt-4o-mini")
    assert arguments["store"] is False


@pytest.mark.parametrize(
    "base_url",
    [
        "http://localhost:4000/v1",
        "http://localhost:11434/v1",
        "https://x.openai.azure.com/openai/v1",
    ],
    ids=["litellm", "ollama", "azure"],
)
def test_by_default_store_is_left_out_for_other_servers(base_url: str) -> None:
    arguments = request_arguments(OpenAISettings(base_url=base_url), REQUEST, "m")
    assert "store" not in arguments


def test_an_explicit_store_is_sent_to_any_server() -> None:
    settings = OpenAISettings(base_url="http://localhost:4000/v1", store=False)
    assert request_arguments(settings, REQUEST, "m")["store"] is False


@pytest.mark.parametrize(
    "settings",
    [{"store": None}, {"store": False, "omit_parameters": ["store"]}],
    ids=["store-null", "omitted"],
)
def test_store_null_or_omitted_is_never_sent(settings: dict[str, object]) -> None:
    tuned = Settings.from_mapping({"openai": settings}).openai
    assert "store" not in request_arguments(tuned, REQUEST, "gpt-4o-mini")


def test_omit_parameters_leaves_out_temperature_token_limit_and_response_format() -> None:
    settings = Settings.from_mapping(
        {"openai": {"omit_parameters": ["temperature", "token_limit", "response_format"]}}
    ).openai
    arguments = request_arguments(settings, REQUEST, "o3-mini")
    assert set(arguments) == {"model", "messages", "store"}


def test_without_omissions_every_optional_field_is_sent() -> None:
    arguments = request_arguments(OpenAISettings(), REQUEST, "gpt-4o-mini")
    assert arguments["temperature"] == 0.5 and arguments["max_completion_tokens"] == 50
    assert arguments["response_format"]["type"] == "json_schema"


def test_an_unknown_omitted_parameter_is_refused_naming_the_allowed_ones() -> None:
    with pytest.raises(InvalidInputError, match="omit_parameters"):
        Settings.from_mapping({"openai": {"omit_parameters": ["top_p"]}})


def test_no_key_means_not_configured_with_a_message_saying_what_to_set() -> None:
    with pytest.raises(InvalidInputError, match="set OPENAI_API_KEY"):
        build_openai_client(OpenAISettings(), None)
    with pytest.raises(InvalidInputError, match="set OPENAI_API_KEY"):
        build_openai_client(OpenAISettings(), "   ")


def test_an_api_key_in_a_configuration_file_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="set OPENAI_API_KEY in the environment"):
        Settings.from_mapping({"openai": {"api_key": "sk-should-not-be-here"}})


def test_a_base_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"openai\.base_url"):
        Settings.from_mapping({"openai": {"base_url": "api.openai.com/v1"}})

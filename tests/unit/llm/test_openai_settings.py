"""The openai section of the settings, and the client built from it."""

from __future__ import annotations

import pytest

from interview_orchestrator.errors import InvalidInputError
from interview_orchestrator.llm.openai_chat import build_openai_client
from interview_orchestrator.settings import OpenAISettings, Settings


def test_the_client_gets_the_configured_timeout_and_retries_not_the_library_defaults() -> None:
    settings = OpenAISettings(base_url="http://127.0.0.1:9/v1", timeout=7.5, max_retries=4)
    client = build_openai_client(settings, "sk-test-key")
    assert client.timeout == 7.5 and client.max_retries == 4
    assert str(client.base_url) == "http://127.0.0.1:9/v1/"


def test_defaults_are_explicit_and_store_nothing() -> None:
    settings = Settings.from_mapping({}).openai
    assert (settings.timeout, settings.max_retries, settings.store) == (30.0, 2, False)


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

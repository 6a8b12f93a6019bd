"""``SessionConfig.language``: one spelling per tag, stored with the config, and an offline
interview only in a language its template has a question bank for."""

from __future__ import annotations

import pytest

from interview_orchestrator.catalog import YamlTemplateCatalog
from interview_orchestrator.errors import InvalidInputError
from interview_orchestrator.interviewer.offline import OfflineInterviewer
from interview_orchestrator.models import SessionConfig
from interview_orchestrator.serialization import SessionConfigOut

OFFLINE = OfflineInterviewer(YamlTemplateCatalog())


def test_an_interview_is_in_english_unless_its_config_says_otherwise() -> None:
    assert SessionConfig().language == "en"


@pytest.mark.parametrize("tag", ["en", "de", "es", "pt-BR", "fil"])
def test_a_bcp_47_language_tag_is_accepted_as_written(tag: str) -> None:
    assert SessionConfig(language=tag).language == tag


@pytest.mark.parametrize(
    ("given", "spelling"),
    [("DE", "de"), ("pt-br", "pt-BR"), ("pt_BR", "pt-BR"), (" de", "de"), ("En-gb", "en-GB")],
)
def test_a_wrongly_spelled_tag_is_refused_with_the_spelling_to_use(
    given: str, spelling: str
) -> None:
    with pytest.raises(
        InvalidInputError, match=rf"language must be a BCP 47 .*\(write '{spelling}'\)"
    ):
        SessionConfig(language=given)


@pytest.mark.parametrize("given", ["", "german", "d", "de-DEU", "de\n", 7, None])
def test_what_is_not_a_language_tag_is_refused(given: object) -> None:
    with pytest.raises(InvalidInputError, match="language must be a BCP 47 language tag"):
        SessionConfig(language=given)  # type: ignore[arg-type]


def test_the_language_is_stored_with_the_config_and_read_back() -> None:
    stored = SessionConfig(language="de").to_dict()
    assert stored["language"] == "de"
    assert SessionConfig.from_dict(stored).language == "de"


def test_a_config_stored_before_languages_existed_reads_as_english() -> None:
    stored = SessionConfig().to_dict()
    del stored["language"]
    assert SessionConfig.from_dict(stored).language == "en"


def test_the_api_shows_the_language_with_a_description() -> None:
    schema = SessionConfigOut.model_json_schema()["properties"]["language"]
    assert "BCP 47" in schema["description"]
    assert SessionConfigOut.from_domain(SessionConfig(language="de")).language == "de"


def test_the_offline_provider_accepts_a_language_it_has_a_bank_for() -> None:
    OFFLINE.check_config(SessionConfig(language="de"))


def test_the_offline_provider_refuses_a_language_without_a_bank_naming_those_it_has() -> None:
    with pytest.raises(InvalidInputError, match=r"no 'fr' version; its languages: de, en"):
        OFFLINE.check_config(SessionConfig(language="fr"))

"""Interviewer personas: the built-in ones, custom files, and every mistake in a file reported
with the file and the field; the session config's ``persona``; the offline interviewer's
wording and follow-up depth per persona."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interview_orchestrator import InvalidInputError, SessionConfig
from interview_orchestrator.catalog.personas import YamlPersonaCatalog
from interview_orchestrator.personas import Persona

VALID = """\
name: {name}
title: Socratic
description: Answers questions with questions.
instructions: Ask why, then ask why again.
acknowledgements: [Interesting., Go on.]
follow_up_depth: 3
"""


def write_persona(directory: Path, name: str, text: str | None = None) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(VALID.format(name=name) if text is None else text, encoding="utf-8")
    return path


def test_the_built_in_personas_are_warm_neutral_and_rigorous() -> None:
    assert YamlPersonaCatalog().names() == ["neutral", "rigorous", "warm"]


def test_rigorous_may_ask_more_follow_ups_than_neutral_and_warm_fewer() -> None:
    catalog = YamlPersonaCatalog()
    depths = [catalog.get(name).follow_up_depth for name in ("warm", "neutral", "rigorous")]
    assert depths == sorted(set(depths))


def test_every_built_in_persona_has_instructions_for_the_model() -> None:
    catalog = YamlPersonaCatalog()
    assert all(len(catalog.get(name).instructions) > 40 for name in catalog.names())


def test_an_unknown_persona_is_refused_naming_the_available_ones() -> None:
    with pytest.raises(InvalidInputError, match="available personas: neutral, rigorous, warm"):
        YamlPersonaCatalog().get("grumpy")


def test_a_custom_directory_adds_its_personas(tmp_path: Path) -> None:
    write_persona(tmp_path, "socratic")
    catalog = YamlPersonaCatalog([tmp_path])
    assert catalog.names() == ["neutral", "rigorous", "socratic", "warm"]
    assert catalog.get("socratic").acknowledgements == {"en": ("Interesting.", "Go on.")}


def test_a_custom_file_named_like_a_built_in_persona_replaces_it(tmp_path: Path) -> None:
    write_persona(tmp_path, "warm")
    assert YamlPersonaCatalog([tmp_path]).get("warm").title == "Socratic"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("follow_up_depth: 3", "follow_up_depth: 5"), "follow_up_depth"),
        (("instructions: Ask why, then ask why again.\n", ""), "instructions"),
        (("title: Socratic", "title: '  '"), "title"),
        (("follow_up_depth: 3", "follow_up_depth: 3\ntone: dry"), "tone"),
        (
            ("acknowledgements: [Interesting., Go on.]", "acknowledgements: [1, 2]"),
            "acknowledgements",
        ),
    ],
)
def test_a_bad_persona_file_is_refused_at_start_up_naming_the_file_and_the_field(
    tmp_path: Path, change: tuple[str, str], field: str
) -> None:
    path = write_persona(tmp_path, "socratic", VALID.format(name="socratic").replace(*change))
    with pytest.raises(InvalidInputError) as caught:
        YamlPersonaCatalog([tmp_path])
    assert str(path) in str(caught.value) and field in str(caught.value)


def test_a_persona_file_must_declare_the_name_of_its_file(tmp_path: Path) -> None:
    write_persona(tmp_path, "socratic", VALID.format(name="plato"))
    with pytest.raises(InvalidInputError, match=r"declares name 'plato'.*'socratic'"):
        YamlPersonaCatalog([tmp_path])


def test_a_persona_file_that_is_not_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write_persona(tmp_path, "socratic", "name: [socratic\n")
    with pytest.raises(InvalidInputError, match=rf"{path}.*not valid YAML: .*\(line"):
        YamlPersonaCatalog([tmp_path])


def test_a_missing_persona_directory_is_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"personas\.directories"):
        YamlPersonaCatalog([tmp_path / "absent"])


def test_acknowledgements_are_chosen_by_position_in_the_interview_language() -> None:
    persona = Persona(
        "p", "P", "d", "i", acknowledgements={"en": ("One.", "Two."), "de": ("Eins.",)}
    )
    assert [persona.acknowledgement(n) for n in range(3)] == ["One.", "Two.", "One."]
    assert persona.acknowledgement(1, "de-AT") == "Eins."
    assert persona.acknowledgement(0, "fr") == ""


def test_a_session_config_defaults_to_the_neutral_persona() -> None:
    assert SessionConfig().persona == "neutral"


def test_the_persona_survives_the_config_round_trip() -> None:
    config = SessionConfig(persona="rigorous")
    assert SessionConfig.from_dict(config.to_dict()) == config


def test_a_persona_name_spelled_otherwise_than_documented_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"persona.*did you mean 'warm'"):
        SessionConfig(persona=" Warm")


def test_the_readme_example_of_a_custom_persona_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Interviewer personas", 1)[1].split("\n## ", 1)[0]
    example = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)[0]
    (tmp_path / "socratic.yaml").write_text(example, encoding="utf-8")

    persona = YamlPersonaCatalog([tmp_path]).get("socratic")
    assert persona.follow_up_depth == 3 and persona.acknowledgements == {"en": ("Go on.",)}

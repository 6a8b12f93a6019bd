"""Template languages: ``<name>.<lang>.yaml`` versions next to a template, the German system
design bank, and the checks that keep every version's scores comparable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from interview_orchestrator.catalog import YamlTemplateCatalog
from interview_orchestrator.catalog.yaml_catalog import builtin_templates_directory
from interview_orchestrator.errors import InvalidInputError
from interview_orchestrator.interview_template import InterviewTemplate

BUILTIN = YamlTemplateCatalog()


def builtin_data(file_name: str = "system_design.yaml") -> dict[str, Any]:
    data = yaml.safe_load(builtin_templates_directory().joinpath(file_name).read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def write(directory: Path, file_name: str, data: dict[str, Any]) -> Path:
    path = directory / file_name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def refusal(directories: list[Path]) -> str:
    with pytest.raises(InvalidInputError) as caught:
        YamlTemplateCatalog(directories)
    return str(caught.value)


def ids(template: InterviewTemplate) -> list[str]:
    return [
        item
        for phase in template.phases
        for question in phase.questions
        for item in (question.id, *(f.id for f in question.follow_ups))
    ]


# --------------------------------------------------------------------------- built-in German


def test_system_design_is_offered_in_english_and_german() -> None:
    assert BUILTIN.languages("system_design") == ["de", "en"]


def test_english_is_the_version_given_without_a_language() -> None:
    template = BUILTIN.get("system_design")
    assert template.language == "en"
    assert template.title == "System design: a URL shortener"


def test_the_german_version_speaks_german() -> None:
    template = BUILTIN.get("system_design", "de")
    assert template.language == "de"
    assert template.opening.startswith("Hallo, und danke")
    assert template.phrases.next_phase == "Kommen wir zum nächsten Teil: {title}."
    assert template.phases[0].title == "Anforderungen und Umfang"


def test_the_german_version_scores_by_the_same_dimensions_and_weights() -> None:
    english, german = BUILTIN.get("system_design"), BUILTIN.get("system_design", "de")
    assert [(d.id, d.weight) for d in german.rubric.dimensions] == [
        (d.id, d.weight) for d in english.rubric.dimensions
    ]
    assert [d.thresholds for d in german.rubric.dimensions] == [
        d.thresholds for d in english.rubric.dimensions
    ]


def test_the_german_version_asks_the_same_questions_in_the_same_phases() -> None:
    english, german = BUILTIN.get("system_design"), BUILTIN.get("system_design", "de")
    assert [(p.id, p.share, p.max_turns) for p in german.phases] == [
        (p.id, p.share, p.max_turns) for p in english.phases
    ]
    assert ids(german) == ids(english)


def test_every_german_question_and_level_is_translated() -> None:
    english, german = BUILTIN.get("system_design"), BUILTIN.get("system_design", "de")
    english_texts = {q.text for p in english.phases for q in p.questions}
    assert not english_texts & {q.text for p in german.phases for q in p.questions}
    for en_dim, de_dim in zip(english.rubric.dimensions, german.rubric.dimensions, strict=True):
        assert all(de_dim.levels[n] != en_dim.levels[n] for n in range(1, 6))


def test_a_language_version_is_not_listed_as_a_template_of_its_own() -> None:
    assert "system_design" in BUILTIN.names()
    assert not [name for name in BUILTIN.names() if "." in name]


def test_a_language_the_template_lacks_is_refused_naming_the_ones_it_has() -> None:
    with pytest.raises(InvalidInputError, match=r"no 'fr' version; its languages: de, en"):
        BUILTIN.get("system_design", "fr")


def test_a_wrongly_spelled_language_is_refused_with_the_spelling_to_use() -> None:
    with pytest.raises(InvalidInputError, match=r"\(write 'de'\)"):
        BUILTIN.get("system_design", "DE")


def test_languages_of_an_unknown_template_names_the_templates() -> None:
    with pytest.raises(InvalidInputError, match=r"available templates: .*system_design"):
        BUILTIN.languages("no_such_kind")


# --------------------------------------------------------------------------- custom versions


def test_a_custom_directory_adds_a_language_to_the_builtin_template(tmp_path: Path) -> None:
    write(tmp_path, "system_design.fr.yaml", {**builtin_data(), "language": "fr", "title": "Fr"})
    catalog = YamlTemplateCatalog([tmp_path])
    assert catalog.languages("system_design") == ["de", "en", "fr"]
    assert catalog.get("system_design", "fr").title == "Fr"


def test_a_custom_template_replaces_the_builtin_one_with_all_its_languages(
    tmp_path: Path,
) -> None:
    write(tmp_path, "system_design.yaml", {**builtin_data(), "title": "Ours"})
    catalog = YamlTemplateCatalog([tmp_path])
    assert catalog.languages("system_design") == ["en"]
    assert catalog.get("system_design").title == "Ours"


def test_a_custom_template_may_have_language_versions_of_its_own(tmp_path: Path) -> None:
    write(tmp_path, "billing.yaml", {**builtin_data(), "name": "billing"})
    write(
        tmp_path, "billing.pt-BR.yaml", {**builtin_data(), "name": "billing", "language": "pt-BR"}
    )
    catalog = YamlTemplateCatalog([tmp_path])
    assert catalog.languages("billing") == ["en", "pt-BR"]
    assert catalog.get("billing", "pt-BR").language == "pt-BR"


def test_a_version_whose_weights_differ_is_refused_naming_the_file(tmp_path: Path) -> None:
    data = {**builtin_data(), "language": "fr"}
    dimensions = data["rubric"]["dimensions"]
    dimensions[0]["weight"], dimensions[1]["weight"] = 0.20, 0.15
    path = write(tmp_path, "system_design.fr.yaml", data)
    message = refusal([tmp_path])
    assert f"template file {path} must have the rubric dimensions and weights of" in message
    assert "requirements_scoping 0.15, high_level_design 0.2" in message


def test_a_version_whose_dimension_ids_differ_is_refused_naming_the_file(tmp_path: Path) -> None:
    data = {**builtin_data(), "language": "fr"}
    data["rubric"]["dimensions"][6]["id"] = "kommunikation"
    path = write(tmp_path, "system_design.fr.yaml", data)
    assert f"template file {path} must have the rubric dimensions" in refusal([tmp_path])


def test_a_version_must_declare_the_language_of_its_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "system_design.fr.yaml", builtin_data())
    message = refusal([tmp_path])
    assert f"template file {path} declares language 'en' (by default)" in message
    assert "(language: fr)" in message


def test_a_version_without_its_template_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "payroll.de.yaml", {**builtin_data(), "name": "payroll"})
    assert f"template file {path} is a language version of 'payroll'" in refusal([tmp_path])


def test_a_version_repeating_the_language_of_its_template_file_is_refused(
    tmp_path: Path,
) -> None:
    write(tmp_path, "billing.yaml", {**builtin_data(), "name": "billing", "language": "de"})
    write(tmp_path, "billing.de.yaml", {**builtin_data(), "name": "billing", "language": "de"})
    assert "repeats the language 'de'" in refusal([tmp_path])


def test_a_template_file_with_a_wrongly_spelled_language_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "billing.yaml", {**builtin_data(), "name": "billing", "language": "pt_br"})
    message = refusal([tmp_path])
    assert "language: must be a BCP 47 language tag" in message
    assert "(write 'pt-BR')" in message


# --------------------------------------------------------------------------- checked when built


def test_a_malformed_custom_template_is_refused_when_the_catalog_is_built(
    tmp_path: Path,
) -> None:
    text = builtin_templates_directory().joinpath("system_design.yaml").read_text("utf-8")
    broken = text.replace("name: system_design", "name: billing", 1).replace(
        "    max_turns: 4\n", "    max_turns: four\n", 1
    )
    (tmp_path / "billing.yaml").write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("    max_turns: four") + 1
    message = refusal([tmp_path])
    assert message.startswith(f"template file {tmp_path / 'billing.yaml'} is invalid: ")
    assert f"line {line}: phases[2].max_turns: expected a whole number, got text" in message


def test_an_unknown_field_is_reported_at_its_own_line(tmp_path: Path) -> None:
    text = builtin_templates_directory().joinpath("system_design.yaml").read_text("utf-8")
    broken = text.replace("name: system_design", "name: billing", 1).replace(
        "  - id: wrap_up\n", "  - id: wrap_up\n    hint: unexpected\n", 1
    )
    (tmp_path / "billing.yaml").write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("    hint: unexpected") + 1
    assert f"line {line}: phases[4]: unknown field 'hint'" in refusal([tmp_path])


def test_a_missing_field_is_reported_at_the_line_of_its_mapping(tmp_path: Path) -> None:
    text = builtin_templates_directory().joinpath("system_design.yaml").read_text("utf-8")
    broken = text.replace("name: system_design", "name: billing", 1).replace(
        "    title: Deep dive\n", "", 1
    )
    (tmp_path / "billing.yaml").write_text(broken, encoding="utf-8")
    line = broken.splitlines().index("  - id: deep_dive") + 1
    assert f"line {line}: phases[2].title: required field is missing" in refusal([tmp_path])


def test_a_broken_language_version_is_refused_when_the_catalog_is_built(
    tmp_path: Path,
) -> None:
    data = {**builtin_data("system_design.de.yaml"), "opening": "  "}
    path = write(tmp_path, "system_design.fr.yaml", {**data, "language": "fr"})
    message = refusal([tmp_path])
    assert f"template file {path} is invalid" in message
    assert "opening: must not be empty" in message


def test_phrases_may_name_only_the_phase_title(tmp_path: Path) -> None:
    data = {**builtin_data(), "name": "billing", "phrases": {"next_phase": "Now {phase}."}}
    write(tmp_path, "billing.yaml", data)
    assert "next_phase may contain no braces but the placeholder {title}" in refusal([tmp_path])


def test_a_template_without_phrases_speaks_english_between_questions() -> None:
    assert BUILTIN.get("system_design").phrases.next_phase == (
        "Let's move on to the next part: {title}."
    )

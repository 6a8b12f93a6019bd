"""YamlTemplateCatalog: the built-in template, custom directories, and helpful load errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from interview_orchestrator.catalog import YamlTemplateCatalog
from interview_orchestrator.catalog.yaml_catalog import builtin_templates_directory
from interview_orchestrator.errors import InvalidInputError
from interview_orchestrator.interview_template import InterviewTemplate

SEVEN_DIMENSIONS = (
    "requirements_scoping",
    "high_level_design",
    "data_model_apis",
    "deep_dive",
    "scalability_reliability",
    "trade_offs",
    "communication",
)


def builtin_data() -> dict[str, Any]:
    text = builtin_templates_directory().joinpath("system_design.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def write_template(directory: Path, name: str, data: dict[str, Any]) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**data, "name": name}, sort_keys=False), encoding="utf-8")
    return path


def load_error(directory: Path, name: str) -> str:
    with pytest.raises(InvalidInputError) as caught:
        YamlTemplateCatalog([directory]).get(name)
    message = str(caught.value)
    for raw_marker in ("pydantic", "Traceback", "errors.pydantic.dev", "For further information"):
        assert raw_marker not in message
    return message


# --------------------------------------------------------------------------- the built-in template


def test_builtin_template_phase_shares_and_rubric_weights_sum_to_one(
    template: InterviewTemplate,
) -> None:
    assert math.isclose(sum(p.share for p in template.phases), 1.0, abs_tol=1e-9)
    assert math.isclose(sum(d.weight for d in template.rubric.dimensions), 1.0, abs_tol=1e-9)


def test_builtin_template_has_the_seven_rubric_dimensions(template: InterviewTemplate) -> None:
    assert tuple(d.id for d in template.rubric.dimensions) == SEVEN_DIMENSIONS
    for dimension in template.rubric.dimensions:
        assert sorted(dimension.levels) == [1, 2, 3, 4, 5]
        assert 15 <= len(dimension.signals) <= 40
        assert list(dimension.thresholds) == sorted(set(dimension.thresholds))
        assert dimension.thresholds[-1] <= len(dimension.signals)


def test_builtin_template_walks_the_five_system_design_phases(
    template: InterviewTemplate,
) -> None:
    assert [(p.id, p.share) for p in template.phases] == [
        ("requirements", 0.15),
        ("high_level_design", 0.25),
        ("deep_dive", 0.30),
        ("scalability_reliability", 0.20),
        ("wrap_up", 0.10),
    ]
    for phase in template.phases:
        assert 2 <= phase.max_turns <= 4
        assert 3 <= len(phase.questions) <= 5
        for question in phase.questions:
            assert 1 <= len(question.follow_ups) <= 3
            assert all(f.triggers for f in question.follow_ups)


def test_builtin_template_opens_with_a_question_and_closes_with_distinct_lines(
    template: InterviewTemplate,
) -> None:
    assert template.opening.rstrip().endswith("?")
    assert 2 <= len(template.closing) <= 3
    assert len(set(template.closing)) == len(template.closing)


def test_builtin_template_sees_only_non_identifying_resume_fields(
    template: InterviewTemplate,
) -> None:
    assert template.resume_fields == ("skills", "years_experience", "current_role")


def test_names_lists_the_builtin_template(catalog: YamlTemplateCatalog) -> None:
    assert "system_design" in catalog.names()


def test_a_template_is_parsed_once_and_then_served_from_the_cache() -> None:
    catalog = YamlTemplateCatalog()
    assert catalog.get("system_design") is catalog.get("system_design")


# --------------------------------------------------------------------------- custom directories


def test_custom_directory_overrides_the_builtin_template(tmp_path: Path) -> None:
    write_template(tmp_path, "system_design", {**builtin_data(), "title": "Our own variant"})
    assert YamlTemplateCatalog([tmp_path]).get("system_design").title == "Our own variant"


def test_first_custom_directory_wins_over_later_ones(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write_template(first, "platform_kind", {**builtin_data(), "title": "First"})
    write_template(second, "platform_kind", {**builtin_data(), "title": "Second"})
    assert YamlTemplateCatalog([first, second]).get("platform_kind").title == "First"


def test_names_include_custom_templates(tmp_path: Path) -> None:
    write_template(tmp_path, "backend_design", builtin_data())
    names = YamlTemplateCatalog([tmp_path]).names()
    assert names == sorted(names)
    assert {"backend_design", "system_design"} <= set(names)


def test_missing_custom_directory_is_skipped(tmp_path: Path) -> None:
    catalog = YamlTemplateCatalog([tmp_path / "not-there"])
    assert catalog.get("system_design").name == "system_design"


# --------------------------------------------------------------------------- load errors


def test_unknown_template_name_lists_the_available_ones(tmp_path: Path) -> None:
    message = load_error(tmp_path, "behavioural")
    assert "behavioural" in message
    assert "available templates: " in message and "system_design" in message


@pytest.mark.parametrize(
    "name", ["../system_design", "..", "a/b", "/etc/passwd", "System_Design", "", "x" * 65]
)
def test_name_that_could_escape_the_template_directories_is_refused(
    tmp_path: Path, name: str
) -> None:
    assert "template name must be lower-case" in load_error(tmp_path, name)


def test_non_string_name_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="template name"):
        YamlTemplateCatalog().get(42)  # type: ignore[arg-type]


def test_bad_yaml_names_the_file_and_the_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: broken\nphases: [\n  - id: x\n", "utf-8")
    message = load_error(tmp_path, "broken")
    assert "broken.yaml is not valid YAML" in message
    assert "line " in message


def test_invalid_utf8_file_is_reported_as_an_encoding_problem(tmp_path: Path) -> None:
    latin_1 = "name: latin\ntitle: Entwurf für Systeme\n".encode("latin-1")
    (tmp_path / "latin.yaml").write_bytes(latin_1)
    message = load_error(tmp_path, "latin")
    assert "latin.yaml is not valid UTF-8" in message
    assert "0xfc" in message


def test_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    (tmp_path / "listing.yaml").write_text("- just\n- a list\n", "utf-8")
    assert "mapping of template fields" in load_error(tmp_path, "listing")


def test_key_given_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "twice.yaml").write_text("name: twice\ntitle: A\ntitle: B\n", "utf-8")
    assert "'title' appears twice" in load_error(tmp_path, "twice")


def test_declared_name_must_match_the_file_name(tmp_path: Path) -> None:
    path = write_template(tmp_path, "copied", builtin_data())
    path.rename(tmp_path / "renamed.yaml")
    assert "declares name 'copied'" in load_error(tmp_path, "renamed")


def _drop_title(data: dict[str, Any]) -> None:
    del data["title"]


def _skew_shares(data: dict[str, Any]) -> None:
    data["phases"][0]["share"] = 0.5


def _skew_weights(data: dict[str, Any]) -> None:
    data["rubric"]["dimensions"][0]["weight"] = 0.5


def _add_unknown_key(data: dict[str, Any]) -> None:
    data["phases"][1]["questions"][0]["hint"] = "unexpected"


def _unquote_version(data: dict[str, Any]) -> None:
    data["version"] = 2026.11


def _upper_case_trigger(data: dict[str, Any]) -> None:
    data["phases"][0]["questions"][0]["follow_ups"][0]["triggers"] = ["Custom Alias"]


def _duplicate_question_id(data: dict[str, Any]) -> None:
    data["phases"][1]["questions"][0]["id"] = data["phases"][0]["questions"][0]["id"]


def _levels_missing_five(data: dict[str, Any]) -> None:
    del data["rubric"]["dimensions"][2]["levels"][5]


def _thresholds_descending(data: dict[str, Any]) -> None:
    data["rubric"]["dimensions"][3]["thresholds"] = [1, 4, 2, 6, 9]


def _empty_opening(data: dict[str, Any]) -> None:
    data["opening"] = "   "


def _identifying_resume_field(data: dict[str, Any]) -> None:
    data["resume_fields"] = ["skills", "email"]


MALFORMED_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "missing field": (_drop_title, "title: required field is missing"),
    "shares not summing to 1": (_skew_shares, "phase shares must sum to 1, got 1.35"),
    "weights not summing to 1": (_skew_weights, "dimension weights must sum to 1, got 1.35"),
    "unknown key": (
        _add_unknown_key,
        "phases[1].questions[0]: unknown field 'hint' (allowed fields: id, text, follow_ups, "
        "skills)",
    ),
    "unquoted version": (_unquote_version, "version: expected text, got a number (put it in"),
    "upper-case trigger": (_upper_case_trigger, "must be lower-case (write 'custom alias')"),
    "duplicate id": (_duplicate_question_id, "ids are used twice: req_core_features"),
    "levels not 1..5": (_levels_missing_five, "levels must be exactly 1, 2, 3, 4 and 5"),
    "thresholds not ascending": (_thresholds_descending, "5 strictly ascending positive"),
    "empty opening": (_empty_opening, "opening: must not be empty"),
    "identifying resume field": (_identifying_resume_field, "identify the candidate: email"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_CASES))
def test_schema_violation_names_the_file_and_the_problem(tmp_path: Path, case: str) -> None:
    break_it, expected = MALFORMED_CASES[case]
    data = builtin_data()
    break_it(data)
    write_template(tmp_path, "custom", data)
    message = load_error(tmp_path, "custom")
    assert "custom.yaml is invalid" in message
    assert expected in message


def test_many_problems_are_summarised_rather_than_dumped(tmp_path: Path) -> None:
    data = builtin_data()
    for phase in data["phases"]:
        phase["max_turns"] = "three"
    data["rubric"]["dimensions"][0]["weight"] = "heavy"
    write_template(tmp_path, "noisy", data)
    message = load_error(tmp_path, "noisy")
    assert message.count("max_turns: expected a whole number, got text") == 5
    assert message.endswith("... and 1 more problem(s)")


def test_a_fixed_file_loads_after_a_failed_attempt(tmp_path: Path) -> None:
    catalog = YamlTemplateCatalog([tmp_path])
    data = builtin_data()
    write_template(tmp_path, "draft", {**data, "phases": []})
    with pytest.raises(InvalidInputError):
        catalog.get("draft")
    write_template(tmp_path, "draft", data)
    assert catalog.get("draft").name == "draft"


def test_a_template_added_to_a_directory_after_start_up_is_found(tmp_path: Path) -> None:
    catalog = YamlTemplateCatalog([tmp_path])
    assert "backend_design" not in catalog.names()
    write_template(tmp_path, "backend_design", builtin_data())
    assert "backend_design" in catalog.names()
    assert catalog.languages("backend_design") == ["en"]


def test_the_directories_are_listed_again_only_when_one_changed(
    tmp_path: Path, mocker: Any
) -> None:
    write_template(tmp_path, "backend_design", builtin_data())
    catalog = YamlTemplateCatalog([tmp_path])
    listing = mocker.spy(catalog, "_list_families")
    for _ in range(3):
        catalog.languages("backend_design")
    assert listing.call_count == 0
    write_template(tmp_path, "frontend_design", builtin_data())
    catalog.languages("frontend_design")
    assert listing.call_count == 1

"""``templates list`` and ``templates show``: the catalog as a platform offers it, built-in
templates and those of ``interviewer.template_dirs``, in a table or as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from interview_orchestrator.catalog.yaml_catalog import builtin_templates_directory
from interview_orchestrator.cli import app


def run(container: Any, *args: str) -> Result:
    """The command on ``container``, its tables 200 columns wide (no row folded)."""
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, list(args), obj=container)


@pytest.fixture
def custom_dir(tmp_path: Path) -> Path:
    """A directory with one custom template: the built-in system design renamed ``billing``."""
    text = builtin_templates_directory().joinpath("system_design.yaml").read_text("utf-8")
    (tmp_path / "billing.yaml").write_text(
        text.replace("name: system_design", "name: billing", 1).replace(
            'title: "System design: a URL shortener"', 'title: "Billing platform design"', 1
        ),
        encoding="utf-8",
    )
    return tmp_path


def test_list_names_every_template_of_the_catalog(container: Any) -> None:
    result = run(container, "templates", "list")
    assert result.exit_code == 0, result.output
    for name in container.templates().names():
        assert name in result.stdout
    assert "System design: a URL shortener" in result.stdout


def test_list_includes_the_templates_of_a_custom_directory(
    container: Any, custom_dir: Path
) -> None:
    container.config.interviewer.template_dirs.from_value([str(custom_dir)])
    result = run(container, "templates", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert listed["billing"]["title"] == "Billing platform design"
    assert "system_design" in listed


def test_list_as_json_gives_languages_and_weighted_dimensions(container: Any) -> None:
    result = run(container, "templates", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    entry = next(e for e in json.loads(result.stdout) if e["name"] == "system_design")
    assert "en" in entry["languages"]
    assert entry["version"] == "2026.11"
    weights = {d["id"]: d["weight"] for d in entry["dimensions"]}
    assert weights["high_level_design"] == 0.2
    assert sum(weights.values()) == pytest.approx(1.0)
    assert sum(p["share"] for p in entry["phases"]) == pytest.approx(1.0)


def test_show_as_json_gives_phases_with_shares_and_question_counts(container: Any) -> None:
    result = run(container, "templates", "show", "system_design", "--format", "json")
    assert result.exit_code == 0, result.output
    detail = json.loads(result.stdout)
    template = container.templates().get("system_design")
    assert [(p["id"], p["share"], p["question_count"]) for p in detail["phases"]] == [
        (p.id, p.share, len(p.questions)) for p in template.phases
    ]
    assert detail["language"] == "en"


def test_show_as_json_gives_each_dimensions_five_levels(container: Any) -> None:
    result = run(container, "templates", "show", "system_design", "--format", "json")
    dimension = json.loads(result.stdout)["dimensions"][0]
    assert dimension["id"] == "requirements_scoping"
    assert sorted(dimension["levels"]) == ["1", "2", "3", "4", "5"]
    assert dimension["levels"]["1"].startswith("Starts designing without clarifying")


def test_show_with_a_language_gives_that_version_with_the_same_weights(container: Any) -> None:
    german = json.loads(
        run(
            container, "templates", "show", "system_design", "--language", "de", "--format", "json"
        ).stdout
    )
    english = json.loads(
        run(container, "templates", "show", "system_design", "--format", "json").stdout
    )
    assert german["language"] == "de"
    assert german["title"] != english["title"]
    assert {"de", "en"} <= set(german["languages"])
    assert [(d["id"], d["weight"]) for d in german["dimensions"]] == [
        (d["id"], d["weight"]) for d in english["dimensions"]
    ]


def test_show_prints_phases_and_each_dimensions_weight_and_levels(container: Any) -> None:
    result = run(container, "templates", "show", "system_design")
    assert result.exit_code == 0, result.output
    assert "Scalability and reliability" in result.stdout
    assert "30%" in result.stdout  # the deep dive's share
    assert "Trade-offs  weight 0.1" in result.stdout
    assert "Presents choices as the only option, without alternatives." in result.stdout


def test_an_unknown_template_is_one_line_naming_the_templates(container: Any) -> None:
    result = run(container, "templates", "show", "no_such_kind")
    lines = result.stderr.splitlines()
    assert result.exit_code == 1
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "no_such_kind" in lines[0] and "system_design" in lines[0]
    assert result.stdout == ""


def test_an_unknown_language_is_one_line_naming_the_templates_languages(container: Any) -> None:
    result = run(container, "templates", "show", "system_design", "--language", "xx")
    lines = result.stderr.splitlines()
    assert result.exit_code == 1
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "'xx'" in lines[0] and "en" in lines[0]


def test_an_unknown_template_with_json_format_is_a_json_error(container: Any) -> None:
    result = run(container, "templates", "show", "no_such_kind", "--format", "json")
    assert result.exit_code == 1
    error = json.loads(result.stderr)["error"]
    assert "system_design" in error["message"]


def test_the_catalog_is_read_without_a_database(tmp_path: Path) -> None:
    """Choosing a template needs no database: a URL that cannot be used does not matter."""
    (tmp_path / "a-directory").mkdir()
    url = f"sqlite:///{tmp_path / 'a-directory'}"
    result = CliRunner().invoke(app, ["--database-url", url, "templates", "list"])
    assert result.exit_code == 0, result.output
    assert "system_design" in result.stdout

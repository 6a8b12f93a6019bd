"""Every command of the command line answers --help (and is listed here automatically)."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from interview_orchestrator.cli import app


def command_paths() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = [[]]

    def walk(group: object, prefix: list[str]) -> None:
        for name, command in getattr(group, "commands", {}).items():
            paths.append([*prefix, name])
            walk(command, [*prefix, name])

    walk(root, [])
    return paths


def test_the_command_line_has_every_documented_command() -> None:
    names = {" ".join(path) for path in command_paths()}
    expected = {
        "demo",
        "interview",
        "sweep",
        "stats",
        "sessions list",
        "sessions show",
        "sessions transcript",
        "sessions evaluation",
        "sessions end",
        "sessions pause",
        "sessions resume",
        "sessions retry-evaluation",
        "sessions export",
        "sessions import",
        "sessions purge",
        "users forget",
        "db upgrade",
        "db current",
        "db check",
        "serve",
        "keys create",
        "keys list",
        "keys revoke",
    }
    assert expected <= names, expected - names


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "root")
def test_every_command_answers_help(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], obj=object())
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.parametrize(
    ("path", "options"),
    [
        (["sessions", "list"], ["--tenant"]),
        (["stats"], ["--tenant"]),
        (["sessions", "export"], ["--tenant"]),
        (["sessions", "purge"], ["--tenant"]),
        (["users", "forget"], ["--tenant"]),
        (["sessions", "import"], ["--tenant-map", "--into-tenant"]),
        (["keys", "create"], ["--tenant"]),
        (["keys", "list"], ["--tenant"]),
    ],
    ids=" ".join,
)
def test_commands_that_select_or_move_sessions_take_a_tenant(
    path: list[str], options: list[str]
) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], obj=object())
    for option in options:
        assert option in result.output, option

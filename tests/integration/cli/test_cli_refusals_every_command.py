"""Every command, generated from the command tree, against databases it cannot use: each
refusal is one line ``error: …`` and exit code 1, never a traceback or the driver's
several lines with a documentation link. Run through Typer's runner, in process, so that the
whole matrix stays fast (``tests/e2e/test_cli_one_line_errors.py`` runs the installed command
for the cases that matter most).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from interview_orchestrator.cli import app

#: A value for each required argument or option, by parameter name: a command that adds a
#: required parameter fails ``test_every_required_parameter_has_a_value`` until it is here.
REQUIRED_VALUES = {
    "session_id": "00000000-0000-4000-8000-000000000000",
    "key_id": "00000000-0000-4000-8000-000000000000",
    "user_id": "cand-42",
    "older_than": "1d",
    "name": "billing",
    "role": "admin",
    "file": "-",
}
#: Given to commands whose required input is not a parameter (``retry-evaluation`` needs a
#: session id or ``--all-failed``).
EXTRA_ARGS = {("sessions", "retry-evaluation"): ["--all-failed"]}
#: Groups whose commands read no database (the template catalog): a bad URL does not matter
#: to them (``test_cli_templates.py`` checks that).
WITHOUT_DATABASE = frozenset({"templates"})


def _commands() -> Iterator[list[str]]:
    """Each leaf command's words, then its required parameters."""

    def walk(command: Any, words: list[str]) -> Iterator[list[str]]:
        if hasattr(command, "commands"):
            for name, sub in sorted(command.commands.items()):
                yield from walk(sub, [*words, name])
            return
        args = [*words, *EXTRA_ARGS.get(tuple(words), [])]
        for param in command.params:
            if param.required:
                value = REQUIRED_VALUES.get(param.name, f"<no value for {param.name}>")
                args += [param.opts[0], value] if param.param_type_name == "option" else [value]
        yield args

    yield from walk(typer.main.get_command(app), [])


COMMANDS = [args for args in _commands() if args[0] not in WITHOUT_DATABASE]


def _bad_databases(directory: Path) -> dict[str, str]:
    (directory / "a-directory").mkdir(exist_ok=True)
    (directory / "notes.txt").write_text("not a database\n" * 200)
    return {
        "unsupported-scheme": "mysql://root@localhost/interviews",
        "malformed": "not a url at all",
        "unreachable-postgresql": "postgresql://nobody@127.0.0.1:1/interviews",
        "sqlite-path-is-a-directory": f"sqlite:///{directory / 'a-directory'}",
        "sqlite-file-is-not-a-database": f"sqlite:///{directory / 'notes.txt'}",
    }


BAD_DATABASES = (
    "unsupported-scheme",
    "malformed",
    "unreachable-postgresql",
    "sqlite-path-is-a-directory",
    "sqlite-file-is-not-a-database",
)


def test_every_required_parameter_has_a_value() -> None:
    assert [args for args in COMMANDS if any("<no value" in a for a in args)] == []


@pytest.mark.parametrize("database", BAD_DATABASES)
@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_a_database_the_command_cannot_use_is_one_line_and_exit_one(
    tmp_path: Path, database: str, args: list[str]
) -> None:
    url = _bad_databases(tmp_path)[database]
    result = CliRunner().invoke(app, ["--database-url", url, *args], input="")
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    lines = result.stderr.splitlines()  # the error alone: no log line before it
    assert result.exit_code == 1, result.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "sqlalche.me" not in lines[0]

"""The command line's user-id filters and ``users forget`` take either spelling of a user id
("jos\u00e9" or "jose\u0301") and mean the one candidate, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from interview_orchestrator import SessionConfig, SessionManager
from interview_orchestrator.cli import app

COMPOSED = "jos\u00e9"
DECOMPOSED = "jose\u0301"


@pytest.fixture
def cli(container: Any) -> Any:
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), obj=container)


@pytest.fixture
def jose(manager: SessionManager) -> list[str]:
    """Two sessions of José, created under each spelling, and one of somebody else."""
    manager.create_session(SessionConfig(), user_id="someone-else")
    return [
        manager.create_session(SessionConfig(), user_id=user).id for user in (COMPOSED, DECOMPOSED)
    ]


@pytest.mark.parametrize("spelling", [COMPOSED, DECOMPOSED], ids=["composed", "decomposed"])
def test_sessions_list_and_export_filter_by_either_spelling(
    cli: Any, jose: list[str], spelling: str
) -> None:
    listed = cli("sessions", "list", "--user-id", spelling, "--format", "json")
    exported = cli("sessions", "export", "--user-id", spelling)

    assert listed.exit_code == 0 and exported.exit_code == 0, listed.output + exported.output
    assert sorted(s["id"] for s in json.loads(listed.stdout)["sessions"]) == sorted(jose)
    records = [json.loads(line) for line in exported.stdout_bytes.splitlines()]
    assert sorted(r["session"]["id"] for r in records) == sorted(jose)
    assert {r["session"]["user_id"] for r in records} == {COMPOSED}


@pytest.mark.parametrize("spelling", [COMPOSED, DECOMPOSED], ids=["composed", "decomposed"])
def test_users_forget_with_either_spelling_erases_both(
    cli: Any, manager: SessionManager, jose: list[str], spelling: str
) -> None:
    result = cli("users", "forget", spelling)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("deleted 2 session(s)")
    assert [s.user_id for s in manager.list_sessions()] == ["someone-else"]


def test_users_forget_refuses_a_look_alike_user_id_in_one_line(cli: Any, jose: list[str]) -> None:
    result = cli("users", "forget", "jos\u00e9\u3164")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: user id must not contain invisible characters, found U+3164 (HANGUL FILLER): "
        "it would look like another id"
    ]

"""The command functions through Typer's runner, on the real container and both databases."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.planted import PLANTED_MESSAGE, PLANTED_NAME, planted_resume
from typer.testing import CliRunner

from interview_orchestrator import (
    EvaluationStatus,
    SessionConfig,
    SessionManager,
    SessionStatus,
)
from interview_orchestrator.cli import app

ANSWER = PLANTED_MESSAGE


@pytest.fixture
def cli(container: Any) -> Any:
    """Run the command line against ``container``: cli("sessions", "list") -> result."""
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), obj=container)

    return invoke


def finished(manager: SessionManager, user: str = "cli-user", tenant: str = "default") -> str:
    session = manager.create_session(
        SessionConfig(resume_data=planted_resume()), user_id=user, tenant_id=tenant
    )
    manager.start_session(session.id)
    manager.send_message(session.id, ANSWER)
    manager.end_session(session.id)
    return session.id


def test_list_shows_sessions_newest_first_as_json(cli: Any, manager: SessionManager) -> None:
    first = finished(manager, "a")
    second = manager.create_session(SessionConfig(), user_id="b").id
    result = cli("sessions", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    ids = [s["id"] for s in json.loads(result.output)["sessions"]]
    assert ids[:2] == [second, first]


def test_list_filters_by_user_status_and_score(cli: Any, manager: SessionManager) -> None:
    done = finished(manager, "scored")
    manager.create_session(SessionConfig(), user_id="scored")
    result = cli(
        "sessions",
        "list",
        "--user-id",
        "scored",
        "--status",
        "completed",
        "--min-score",
        "1",
        "--format",
        "json",
    )
    assert [s["id"] for s in json.loads(result.output)["sessions"]] == [done]


def test_list_csv_names_the_columns_as_the_json_does(cli: Any, manager: SessionManager) -> None:
    session_id = finished(manager)
    rows = list(csv.reader(io.StringIO(cli("sessions", "list", "--format", "csv").output)))
    listed = json.loads(cli("sessions", "list", "--format", "json").output)["sessions"][0]
    assert rows[0] == [
        "id",
        "tenant_id",
        "user_id",
        "status",
        "created_at",
        "active_seconds",
        "message_count",
        "overall_score",
    ]
    assert set(rows[0]) <= set(listed)
    assert len(rows) == 2 and rows[1][0] == session_id


def test_list_table_prints_the_columns(cli: Any, manager: SessionManager) -> None:
    session_id = finished(manager)
    output = cli("sessions", "list").output
    for column in ("id", "user", "status", "created", "active", "msgs", "score"):
        assert column in output
    assert session_id[:8] in output


def test_list_pages_with_the_printed_cursor(cli: Any, manager: SessionManager) -> None:
    ids = [manager.create_session(SessionConfig(), user_id="pages").id for _ in range(3)]
    first = json.loads(
        cli("sessions", "list", "--user-id", "pages", "--limit", "2", "--format", "json").output
    )
    second = json.loads(
        cli(
            "sessions",
            "list",
            "--user-id",
            "pages",
            "--limit",
            "2",
            "--after",
            first["next_cursor"],
            "--format",
            "json",
        ).output
    )
    listed = [s["id"] for s in first["sessions"] + second["sessions"]]
    assert sorted(listed) == sorted(ids) and len(set(listed)) == 3


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["sessions", "list", "--since", "yesterday"], 2),
        (["sessions", "list", "--limit", "-1"], 2),
        (["sessions", "list", "--status", "finished"], 2),
        (["sessions", "list", "--after", "00000000-0000-4000-8000-000000000000"], 1),
        (["sessions", "list", "--after", "garbage"], 1),
        (["sessions", "show", "00000000-0000-4000-8000-000000000000"], 1),
        (["sessions", "show", "not-an-id"], 1),
        (["sessions", "transcript", "00000000-0000-4000-8000-000000000000", "--format", "xml"], 2),
        (["sessions", "retry-evaluation"], 2),
        (
            [
                "sessions",
                "retry-evaluation",
                "00000000-0000-4000-8000-000000000000",
                "--all-failed",
            ],
            2,
        ),
    ],
)
def test_bad_input_gets_a_clear_error_and_the_right_exit_code(
    cli: Any, args: list[str], code: int
) -> None:
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


def test_an_unknown_session_is_one_line_on_stderr(cli: Any) -> None:
    result = cli("sessions", "end", "00000000-0000-4000-8000-000000000000")
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_show_prints_the_session_without_resume_contents(cli: Any, manager: SessionManager) -> None:
    session = manager.create_session(SessionConfig(resume_data=planted_resume(skills=["go"])))
    data = json.loads(cli("sessions", "show", session.id, "--format", "json").output)
    assert data["id"] == session.id and data["status"] == "created" and data["has_resume"] is True
    assert PLANTED_NAME not in cli("sessions", "show", session.id).output


def test_transcript_csv_names_the_fields_as_the_json_does(
    cli: Any, manager: SessionManager
) -> None:
    session_id = finished(manager)
    rows = list(
        csv.DictReader(
            io.StringIO(cli("sessions", "transcript", session_id, "--format", "csv").output)
        )
    )
    messages = json.loads(cli("sessions", "transcript", session_id, "--format", "json").output)
    assert list(rows[0]) == ["seq", "role", "mode", "content", "created_at", "late", "session_id"]
    assert set(rows[0]) == set(messages[0])
    assert [r["role"] for r in rows] == ["interviewer", "candidate", "interviewer"]
    assert rows[1]["content"] == ANSWER == messages[1]["content"]


def test_transcript_json_keeps_order_and_text(cli: Any, manager: SessionManager) -> None:
    session_id = finished(manager)
    messages = json.loads(cli("sessions", "transcript", session_id, "--format", "json").output)
    assert [m["seq"] for m in messages] == [1, 2, 3]
    assert messages[1]["content"] == ANSWER


def test_evaluation_shows_score_bars_and_json(cli: Any, manager: SessionManager) -> None:
    session_id = finished(manager)
    table = cli("sessions", "evaluation", session_id).output
    assert "Overall" in table and "█" in table
    data = json.loads(cli("sessions", "evaluation", session_id, "--format", "json").output)
    assert data["status"] == "ready" and 0 <= data["overall_score"] <= 100


def test_pause_resume_and_end_move_the_session(cli: Any, manager: SessionManager) -> None:
    session = manager.create_session(SessionConfig())
    manager.start_session(session.id)
    assert cli("sessions", "pause", session.id).exit_code == 0
    assert manager.get_session(session.id).status is SessionStatus.PAUSED
    assert cli("sessions", "resume", session.id).exit_code == 0
    result = cli("sessions", "end", session.id)
    assert result.exit_code == 0 and "completed" in result.output
    assert manager.get_session(session.id).status is SessionStatus.COMPLETED
    assert cli("sessions", "end", session.id).exit_code == 1


def test_retry_all_failed_regenerates_failed_evaluations(
    cli: Any, container: Any, manager: SessionManager
) -> None:
    session_id = finished(manager)
    store = container.data_store()
    now = datetime.now(UTC)
    claimed = store.claim_evaluation(session_id, force=True, now=now, lease=timedelta(minutes=1))
    store.fail_evaluation(session_id, error="provider down", attempt=claimed.attempts, now=now)
    assert manager.get_evaluation(session_id).status is EvaluationStatus.FAILED
    result = cli("sessions", "retry-evaluation", "--all-failed")
    assert result.exit_code == 0, result.output
    assert "1 of 1" in result.output
    assert manager.get_evaluation(session_id).status is EvaluationStatus.READY


def test_sweep_and_stats_report_as_json(cli: Any, manager: SessionManager) -> None:
    finished(manager)
    sweep = json.loads(cli("sweep", "--format", "json").output)
    assert sweep["ended_time_limit"] == [] and sweep["errors"] == []
    stats = json.loads(cli("stats", "--format", "json").output)
    assert stats["by_status"]["completed"] == 1
    assert sum(b["sessions"] for b in stats["score_histogram"]) == 1


def test_stats_table_draws_a_histogram(cli: Any, manager: SessionManager) -> None:
    finished(manager)
    output = cli("stats").output
    assert "score distribution" in output and "█" in output


# ---------------------------------------------------------------------- tenants


def test_list_takes_a_tenant_and_json_shows_it(cli: Any, manager: SessionManager) -> None:
    ours = finished(manager, "same-user", tenant="acme")
    finished(manager, "same-user", tenant="globex")
    result = cli("sessions", "list", "--tenant", "acme", "--format", "json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)["sessions"]
    assert [(s["id"], s["tenant_id"]) for s in listed] == [(ours, "acme")]


def test_the_list_table_shows_tenants_only_when_there_is_more_than_the_default(
    cli: Any, manager: SessionManager
) -> None:
    finished(manager)
    assert "tenant" not in cli("sessions", "list").output
    finished(manager, tenant="acme")
    mixed = cli("sessions", "list").output
    assert "tenant" in mixed and "acme" in mixed
    assert "tenant" not in cli("sessions", "list", "--tenant", "acme").output


def test_show_names_the_tenant(cli: Any, manager: SessionManager) -> None:
    session_id = finished(manager, tenant="acme")
    assert "acme" in cli("sessions", "show", session_id).output
    shown = json.loads(cli("sessions", "show", session_id, "--format", "json").output)
    assert shown["tenant_id"] == "acme"


def test_stats_takes_a_tenant(cli: Any, manager: SessionManager) -> None:
    finished(manager, tenant="acme")
    finished(manager, tenant="globex")
    manager.create_session(SessionConfig(), tenant_id="globex")

    acme = json.loads(cli("stats", "--tenant", "acme", "--format", "json").output)
    everyone = json.loads(cli("stats", "--format", "json").output)

    assert acme["tenant_id"] == "acme" and everyone["tenant_id"] is None
    assert acme["by_status"]["completed"] == 1 and acme["by_status"]["created"] == 0
    assert everyone["by_status"]["completed"] == 2 and everyone["by_status"]["created"] == 1
    assert "tenant: acme" in cli("stats", "--tenant", "acme").output
    assert "tenant: all tenants" in cli("stats").output


@pytest.mark.parametrize("command", [["sessions", "list"], ["stats"]])
def test_a_malformed_tenant_is_a_usage_error(cli: Any, command: list[str]) -> None:
    result = cli(*command, "--tenant", "acme corp")
    assert result.exit_code == 2, result.output
    assert "malformed tenant id" in result.output

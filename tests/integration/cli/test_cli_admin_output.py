"""The admin commands' output and options through Typer's runner, on the real container and
both databases: short ids and their prefixes, widths, formats, root options after the
command, log lines, read-only commands on a missing SQLite file, the help."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from typer.testing import CliRunner

from interview_orchestrator import SessionConfig, SessionManager
from interview_orchestrator.cli import app
from interview_orchestrator.cli.sessions import session_id_from
from interview_orchestrator.render import short_ids

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def run(container: Any, *args: str, columns: int = 200) -> Any:
    return CliRunner().invoke(app, list(args), obj=container, env={"COLUMNS": str(columns)})


def finished(manager: SessionManager, user: str = "cli-admin") -> str:
    session = manager.create_session(SessionConfig(), user_id=user)
    manager.start_session(session.id)
    manager.send_message(session.id, "I would shard by key and cache the hot reads.")
    manager.end_session(session.id)
    return session.id


def one_error_line(result: Any) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    line: str = lines[0]
    return line


# ---------------------------------------------------------------------- short ids


def test_short_ids_are_the_shortest_unique_prefix_of_at_least_eight() -> None:
    ids = ["3f2b8c1e-aaaa-4000-8000-000000000000", "3f2b8c1e-5d4a-4000-8000-000000000000"]
    assert short_ids(ids) == {ids[0]: "3f2b8c1e-a", ids[1]: "3f2b8c1e-5"}
    assert short_ids(["3f2b8c1e-aaaa", "12345678-bbbb"]) == {
        "3f2b8c1e-aaaa": "3f2b8c1e",
        "12345678-bbbb": "12345678",
    }


def test_the_list_table_shows_short_ids_and_json_and_csv_whole_ones(
    container: Any, manager: SessionManager
) -> None:
    session_id = finished(manager)
    table = run(container, "sessions", "list").stdout
    assert session_id[:8] in table and session_id not in table
    listed = json.loads(run(container, "sessions", "list", "--format", "json").stdout)
    assert listed["sessions"][0]["id"] == session_id
    rows = list(
        csv.DictReader(io.StringIO(run(container, "sessions", "list", "--format", "csv").stdout))
    )
    assert rows[0]["id"] == session_id


@pytest.mark.parametrize(
    "command", [["show"], ["transcript"], ["evaluation"], ["show", "--format", "json"]]
)
def test_a_unique_prefix_names_the_session(
    container: Any, manager: SessionManager, command: list[str]
) -> None:
    session_id = finished(manager)
    by_prefix = run(container, "sessions", command[0], session_id[:8], *command[1:])
    by_id = run(container, "sessions", command[0], session_id, *command[1:])
    assert by_prefix.exit_code == 0, by_prefix.output
    assert by_prefix.stdout == by_id.stdout


def test_a_prefix_pauses_resumes_and_ends(container: Any, manager: SessionManager) -> None:
    session = manager.create_session(SessionConfig(), user_id="prefix-life")
    manager.start_session(session.id)
    prefix = session.id[:8].upper()  # as typed from a screen
    assert run(container, "sessions", "pause", prefix).exit_code == 0
    assert run(container, "sessions", "resume", prefix).exit_code == 0
    ended = run(container, "sessions", "end", prefix)
    assert ended.exit_code == 0, ended.output
    assert f"session {session.id} completed" in ended.stdout


def test_the_list_cursor_takes_a_prefix(container: Any, manager: SessionManager) -> None:
    ids = [manager.create_session(SessionConfig(), user_id="cursor").id for _ in range(3)]
    first = json.loads(
        run(
            container, "sessions", "list", "--user-id", "cursor", "--limit", "2", "--format", "json"
        ).stdout
    )
    second = json.loads(
        run(
            container,
            "sessions",
            "list",
            "--user-id",
            "cursor",
            "--format",
            "json",
            "--after",
            first["next_cursor"][:8],
        ).stdout
    )
    listed = [s["id"] for s in first["sessions"] + second["sessions"]]
    assert sorted(listed) == sorted(ids)


def test_an_unknown_prefix_is_one_line(container: Any) -> None:
    line = one_error_line(run(container, "sessions", "show", "0000abcd"))
    assert line == "error: session '0000abcd' does not exist"


def test_an_ambiguous_prefix_is_one_line_naming_the_candidates(container: Any) -> None:
    store = container.data_store()
    twins = ["abcdef12-0000-4000-8000-000000000001", "abcdef12-0000-4000-8000-000000000002"]
    with pytest.raises(Exception, match="ambiguous"):
        session_id_from("abcdef12", lambda prefix: twins)
    for sid in twins:
        container.session_manager().create_session(SessionConfig(), session_id=sid, user_id=sid)
    line = one_error_line(run(container, "sessions", "show", "abcdef12"))
    assert "ambiguous" in line and twins[0] in line and twins[1] in line
    assert store.session_ids_starting("abcdef12-0000-4000-8000-000000000002") == [twins[1]]


def test_a_prefix_shorter_than_four_is_refused(container: Any) -> None:
    assert "too short" in one_error_line(run(container, "sessions", "show", "abc"))


def test_what_is_not_an_id_still_gets_the_library_message(container: Any) -> None:
    assert "malformed session id" in one_error_line(run(container, "sessions", "show", "' OR 1"))


# ---------------------------------------------------------------------- widths


@pytest.mark.parametrize("columns", [80, 100])
def test_the_list_fits_the_width_without_cutting_anything(
    container: Any, manager: SessionManager, columns: int
) -> None:
    session_id = finished(manager, user="candidate-with-a-long-id-42")
    output = run(container, "sessions", "list", columns=columns).stdout
    assert max(len(line) for line in output.splitlines()) <= columns
    assert "…" not in output
    assert session_id[:8] in output and "completed" in output
    # A long user id folds onto the next line, whole.
    header, _, *rows = output.splitlines()
    left, right = header.index("user"), header.index("status")
    assert "".join(row[left:right].strip() for row in rows) == "candidate-with-a-long-id-42"


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("command", ["evaluation", "show"])
def test_the_evaluation_and_details_fit_the_width_without_cutting_anything(
    container: Any, manager: SessionManager, columns: int, command: str
) -> None:
    session_id = finished(manager)
    result = run(container, "sessions", command, session_id, columns=columns)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert "…" not in result.stdout
    report = manager.get_evaluation(session_id)
    assert report is not None
    if command == "evaluation":
        flat = " ".join(result.stdout.replace("│", " ").split())
        for dim in report.dimension_scores.values():
            if dim.rationale:
                assert " ".join(dim.rationale.split()) in flat


# ---------------------------------------------------------------------- formats


def test_evaluation_of_a_session_not_ended_is_json_with_format_json(
    container: Any, manager: SessionManager
) -> None:
    session = manager.create_session(SessionConfig(), user_id="not-ended")
    result = run(container, "sessions", "evaluation", session.id, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "session_id": session.id,
        "status": "created",
        "evaluation": None,
        "reason": "the session has not ended (it is created)",
    }


@pytest.mark.parametrize(
    "args",
    [
        ["sessions", "show", UNKNOWN, "--format", "json"],
        ["sessions", "list", "--after", UNKNOWN, "--format", "json"],
        ["sessions", "evaluation", UNKNOWN, "--format", "json"],
        ["sessions", "transcript", UNKNOWN, "--format", "json"],
    ],
)
def test_with_format_json_an_error_is_a_json_object_on_stderr(
    container: Any, args: list[str]
) -> None:
    result = run(container, *args)
    assert result.exit_code == 1 and result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["type"] in ("SessionNotFoundError", "InvalidInputError")
    assert UNKNOWN in error["message"]


def test_the_listed_duration_of_an_active_session_is_its_live_active_time(
    container: Any, manager: SessionManager
) -> None:
    session = manager.create_session(SessionConfig(), user_id="live")
    started = manager.start_session(session.id)
    assert started.active_since is not None
    later = started.active_since + timedelta(seconds=125)
    container.clock.override(providers.Object(lambda: later))
    try:
        table = run(container, "sessions", "list").stdout
        rows = list(
            csv.DictReader(
                io.StringIO(run(container, "sessions", "list", "--format", "csv").stdout)
            )
        )
    finally:
        container.clock.reset_override()
    assert "2m05s" in table
    assert float(rows[0]["active_seconds"]) == pytest.approx(125 + started.active_seconds)


# ---------------------------------------------------------------------- root options, logs


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    """A migrated SQLite file with one session."""
    url = f"sqlite:///{tmp_path / 'interviews.db'}"
    result = CliRunner().invoke(app, ["--database-url", url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    return url


@pytest.mark.parametrize(
    "command",
    [
        ["sessions", "list", "--format", "json"],
        ["stats", "--format", "json"],
        ["keys", "list", "--format", "json"],
        ["db", "current"],
        ["sweep", "--format", "json"],
    ],
)
def test_root_options_are_taken_after_the_command(sqlite_file: str, command: list[str]) -> None:
    result = CliRunner().invoke(
        app, [*command, "--database-url", sqlite_file, "--log-level", "ERROR"]
    )
    assert result.exit_code == 0, result.output
    assert "No such option" not in result.output


def test_the_root_option_after_the_command_wins(sqlite_file: str, tmp_path: Path) -> None:
    elsewhere = f"sqlite:///{tmp_path / 'missing.db'}"
    result = CliRunner().invoke(
        app, ["--database-url", elsewhere, "sessions", "list", "--database-url", sqlite_file]
    )
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "missing.db").exists()


def test_a_command_option_value_that_looks_like_a_root_option_stays_its_value(
    sqlite_file: str,
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "sessions",
            "list",
            "--user-id",
            "--config",
            "--database-url",
            sqlite_file,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sessions"] == []


def test_equals_forms_are_taken_after_the_command(sqlite_file: str) -> None:
    result = CliRunner().invoke(
        app, ["sessions", "list", f"--database-url={sqlite_file}", "--format=json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sessions"] == []


def test_a_command_option_is_taken_before_the_command(sqlite_file: str, tmp_path: Path) -> None:
    container_args = ["--database-url", sqlite_file]
    CliRunner().invoke(
        app,
        [*container_args, "keys", "create", "--name", "a", "--role", "admin", "--tenant", "acme"],
    )
    CliRunner().invoke(
        app,
        [*container_args, "keys", "create", "--name", "g", "--role", "admin", "--tenant", "globex"],
    )
    result = CliRunner().invoke(
        app, ["--tenant", "acme", *container_args, "keys", "list", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert [k["tenant_id"] for k in json.loads(result.stdout)] == ["acme"]
    after_wins = CliRunner().invoke(
        app,
        [
            "--tenant",
            "acme",
            "keys",
            "list",
            "--tenant",
            "globex",
            "--format",
            "json",
            *container_args,
        ],
    )
    assert [k["tenant_id"] for k in json.loads(after_wins.stdout)] == ["globex"]


def test_an_option_no_command_takes_is_still_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["--bogus", "sessions", "list"])
    assert result.exit_code == 2 and "No such option" in result.output


def test_a_database_error_is_one_line_without_log_lines() -> None:
    url = "postgresql://nobody@127.0.0.1:1/interviews"
    result = CliRunner().invoke(app, ["sessions", "list", "--database-url", url])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: could not list sessions")


def test_log_level_asks_for_the_json_log_lines() -> None:
    url = "postgresql://nobody@127.0.0.1:1/interviews"
    result = CliRunner().invoke(
        app, ["--log-level", "ERROR", "sessions", "list", "--database-url", url]
    )
    lines = result.stderr.splitlines()
    assert result.exit_code == 1 and lines[-1].startswith("error: ")
    assert [json.loads(line)["level"] for line in lines[:-1]] == ["error"]


# ---------------------------------------------------------------------- a missing SQLite file


@pytest.mark.parametrize(
    "command",
    [
        ["sessions", "list"],
        ["sessions", "show", UNKNOWN],
        ["sessions", "show", "abcd1234"],
        ["sessions", "transcript", UNKNOWN],
        ["sessions", "evaluation", UNKNOWN],
        ["stats"],
    ],
)
def test_a_read_only_command_on_a_missing_sqlite_file_says_so_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "var" / "interviews.db"
    result = CliRunner().invoke(app, ["--database-url", f"sqlite:///{missing}", *command])
    line = one_error_line(result)
    assert line.startswith(f"error: no database at {str(missing)!r}"), line
    assert list(tmp_path.iterdir()) == []


def test_the_default_database_is_looked_for_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERVIEW_DATABASE_URL", raising=False)
    line = one_error_line(CliRunner().invoke(app, ["sessions", "list"]))
    assert str(tmp_path / "var" / "interviews.db") in line
    assert list(tmp_path.iterdir()) == []


def test_a_command_that_writes_still_creates_the_database(tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    result = CliRunner().invoke(
        app,
        [
            "keys",
            "create",
            "--name",
            "ci",
            "--role",
            "admin",
            "--database-url",
            f"sqlite:///{target}",
        ],
    )
    assert result.exit_code == 0, result.output
    assert target.exists()


# ---------------------------------------------------------------------- help


def help_text(*args: str) -> str:
    result = CliRunner().invoke(
        app, [*args, "--help"], env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"}
    )
    assert result.exit_code == 0, result.output
    text: str = result.stdout
    return text


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("sessions",),
        ("sessions", "list"),
        ("sessions", "retry-evaluation"),
        ("keys", "create"),
        ("db", "upgrade"),
    ],
)
def test_the_help_shows_no_type_placeholders(args: tuple[str, ...]) -> None:
    text = help_text(*args)
    assert re.findall(r"<(?:bool|str|int|float|datetime|file)\b[^>]*>", text) == []


def test_the_sessions_help_lists_commands_in_the_order_of_use() -> None:
    text = help_text("sessions")
    order = [
        "list",
        "show",
        "transcript",
        "evaluation",
        "pause",
        "resume",
        "end",
        "export",
        "import",
        "purge",
    ]
    positions = [re.search(rf"│ {name}\s", text) for name in order]
    assert all(positions), text
    starts = [m.start() for m in positions if m]
    assert starts == sorted(starts)


def test_a_help_paragraph_is_wrapped_to_the_width_not_at_the_docstring_lines() -> None:
    text = help_text("sessions")
    # The export summary runs on as one paragraph: its docstring breaks after "transitions,".
    assert any("transitions, evaluation and event log" in line for line in text.splitlines())
    assert max(len(line) for line in text.splitlines()) <= 80


# ---------------------------------------------------------------------- keys


def test_the_keys_table_fits_80_columns_with_short_ids(container: Any) -> None:
    access = container.access_manager()
    key, _ = access.create_key(
        "the nightly billing export of the finance team", "service", "acme-emea"
    )
    access.create_key("ci", "reviewer", "default")
    output = run(container, "keys", "list", columns=80).stdout
    assert max(len(line) for line in output.splitlines()) <= 80
    assert key.id[:8] in output and key.id not in output
    assert output.count("…") == 2  # the hints, and nothing else
    assert "acme-emea" in output.replace("\n", "").replace(" ", "")


def test_a_key_is_revoked_by_a_unique_prefix(container: Any) -> None:
    access = container.access_manager()
    key, _ = access.create_key("ci", "admin", "default")
    result = run(container, "keys", "revoke", key.id[:8])
    assert result.exit_code == 0, result.output
    assert [k.revoked_at is not None for k in access.list_keys()] == [True]


def test_an_unknown_key_prefix_is_one_line(container: Any) -> None:
    assert one_error_line(run(container, "keys", "revoke", "ffff0000")) == (
        "error: key 'ffff0000' does not exist"
    )


def test_export_takes_a_unique_prefix_of_the_session_id(
    container: Any, manager: SessionManager
) -> None:
    session_id = finished(manager, user="prefix-export")

    result = run(container, "sessions", "export", session_id[:8], "-o", "-")

    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["session"]["id"] == session_id


def test_interview_continue_takes_a_unique_prefix_of_the_session_id(
    container: Any, manager: SessionManager
) -> None:
    session = manager.create_session(SessionConfig(), user_id="prefix-continue")
    manager.start_session(session.id)
    manager.pause_session(session.id)

    result = CliRunner().invoke(
        app, ["interview", "--continue", session.id[:8]], obj=container, input="/end\n"
    )

    assert result.exit_code == 0, result.output
    assert manager.get_session(session.id).status.value == "completed"


def test_the_import_report_fits_the_columns_given_when_piped(
    container: Any, manager: SessionManager, tmp_path: Path
) -> None:
    session_id = finished(manager, user="import-width")
    exported = tmp_path / "one.jsonl"
    assert run(container, "sessions", "export", session_id, "-o", str(exported)).exit_code == 0

    result = run(container, "sessions", "import", str(exported), "--dry-run", columns=80)

    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "already present" in result.stdout

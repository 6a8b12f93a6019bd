"""The installed command line and package, used from outside the repository as a new user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

EXE = shutil.which("interview-orchestrator", path=str(Path(sys.executable).parent))


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    assert EXE, "the interview-orchestrator console script is not installed"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    return subprocess.run(
        [EXE, *args], cwd=cwd, env={**environ, **env}, capture_output=True, text=True, timeout=120
    )


def test_demo_runs_a_whole_interview_on_a_fresh_directory(tmp_path: Path) -> None:
    result = run(["demo"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Overall:" in result.stdout and "/ 100" in result.stdout
    assert "Transcript" in result.stdout and "paused" in result.stdout
    assert result.stdout.count("Hi, and thanks for joining!") == 1  # the interview, once
    assert (tmp_path / "var" / "interviews.db").exists()


def test_db_commands_migrate_report_and_check_a_new_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert run(["--database-url", url, "db", "current"], tmp_path).stdout.strip().startswith("none")
    upgraded = run(["--database-url", url, "db", "upgrade"], tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    current = run(["--database-url", url, "db", "current"], tmp_path).stdout.strip()
    assert current and not current.startswith("none")
    assert run(["--database-url", url, "db", "check"], tmp_path).returncode == 0


def test_a_platform_error_exits_one_with_a_single_line(tmp_path: Path) -> None:
    result = run(["--database-url", "nosuchdb://x", "db", "current"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error:")
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_two(tmp_path: Path) -> None:
    assert run(["no-such-command"], tmp_path).returncode == 2


def test_the_public_contract_works_from_outside_the_project(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from interview_orchestrator import (
            CommunicationMode, Container, EvaluationStatus, InterviewPlatformError,
            InvalidStateTransitionError, SessionConfig, SessionStatus,
        )
        manager = Container().session_manager()
        config = SessionConfig(enabled_modes=[CommunicationMode.TEXT], ai_provider="offline",
                               resume_data={"user_id": "u1", "skills": ["redis"]},
                               duration_minutes=30, template="system_design")
        session = manager.create_session(config)
        manager.start_session(session.id)
        reply = manager.send_message(session.id, "I would shard the database and add a cache.")
        try:
            manager.start_session(session.id)
        except InvalidStateTransitionError as exc:
            assert isinstance(exc, InterviewPlatformError)
        report = manager.end_session(session.id)
        assert manager.get_session(session.id).status is SessionStatus.COMPLETED
        assert report.status in (EvaluationStatus.READY, EvaluationStatus.NO_EVIDENCE)
        print("OK", report.status.value, len(manager.get_transcript(session.id)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("INTERVIEW_")},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK ready 3")


@pytest.mark.parametrize(
    "args", [["--help"], ["demo", "--help"], ["db", "--help"], ["db", "upgrade", "--help"]]
)
def test_every_command_has_help(tmp_path: Path, args: list[str]) -> None:
    result = run(args, tmp_path)
    assert result.returncode == 0 and "Usage" in result.stdout


def test_the_help_at_80_columns_names_values_and_lists_sessions_commands_in_order(
    tmp_path: Path,
) -> None:
    result = run(["sessions", "--help"], tmp_path, COLUMNS="80")
    listing = run(["sessions", "list", "--help"], tmp_path, COLUMNS="80")
    assert result.returncode == 0 and listing.returncode == 0, result.stderr
    for text in (result.stdout, listing.stdout):
        assert "<bool>" not in text and "<str>" not in text
        assert max(len(line) for line in text.splitlines()) <= 80
    names = ["list", "show", "transcript", "evaluation", "end", "export", "import", "purge"]
    starts = [result.stdout.index(f"│ {name} ") for name in names]
    assert starts == sorted(starts)


def test_an_unreachable_database_is_one_line_without_log_lines(tmp_path: Path) -> None:
    url = "postgresql://nobody@127.0.0.1:1/interviews"
    result = run(["sessions", "list", "--database-url", url], tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: could not list")


def test_a_read_only_command_in_a_directory_without_a_database_creates_none(
    tmp_path: Path,
) -> None:
    result = run(["sessions", "list"], tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: no database at {str(tmp_path / 'var' / 'interviews.db')!r}: give "
        "--database-url (or set INTERVIEW_DATABASE_URL) to read another one\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_piped_listing_takes_the_width_from_columns(tmp_path: Path) -> None:
    assert run(["demo"], tmp_path).returncode == 0
    url = f"sqlite:///{tmp_path / 'var' / 'interviews.db'}"
    result = run(["sessions", "list", "--database-url", url], tmp_path, COLUMNS="80")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in result.stdout
    short_id = lines[2].split()[0]
    shown = run(["sessions", "show", short_id, "--format", "json", "--database-url", url], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert '"id": "' + short_id in shown.stdout

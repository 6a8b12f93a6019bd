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

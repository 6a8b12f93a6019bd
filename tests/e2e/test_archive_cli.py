"""Export, retention, erasure and import through the installed command line, in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.planted import PLANTED_MESSAGE, planted_resume, record_log_lines

from interview_orchestrator import CommunicationMode, Container, SessionConfig

EXE = shutil.which("interview-orchestrator", path=str(Path(sys.executable).parent))


def run(args: list[str], cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    assert EXE, "the interview-orchestrator console script is not installed"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    result = subprocess.run(
        [EXE, "--database-url", url, *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    record_log_lines(result.stderr.splitlines(), "e2e archive command line")
    return result


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A SQLite database holding three interviews made through the library: completed,
    paused and never started."""
    database = f"sqlite:///{tmp_path / 'interviews.db'}"
    container = Container()
    container.config.database.url.from_value(database)
    container.config.logging.enabled.from_value(False)
    manager = container.session_manager()
    try:
        config = SessionConfig(
            enabled_modes=[CommunicationMode.TEXT, CommunicationMode.AUDIO],
            resume_data=planted_resume(),
        )
        done = manager.create_session(config, user_id="e2e-a")
        manager.start_session(done.id)
        manager.send_message(done.id, "I would shard by key and cache hot reads in Redis.")
        manager.send_message(done.id, "Replicas fail over per shard.", CommunicationMode.AUDIO)
        manager.end_session(done.id)
        paused = manager.create_session(config, user_id="e2e-b")
        manager.start_session(paused.id)
        manager.send_message(paused.id, PLANTED_MESSAGE)
        manager.pause_session(paused.id)
        manager.create_session(config, user_id="e2e-c")
    finally:
        container.shutdown_resources()
    return database


def test_export_purge_forget_import_restores_identical_data(tmp_path: Path, url: str) -> None:
    exported = run(["sessions", "export", "--output", "before.jsonl"], tmp_path, url)
    assert exported.returncode == 0, exported.stderr
    before = (tmp_path / "before.jsonl").read_bytes()
    assert len(before.splitlines()) == 3

    purged = run(["sessions", "purge", "--older-than", "0d"], tmp_path, url)
    assert purged.returncode == 0, purged.stderr
    assert "deleted 2 session(s)" in purged.stdout and "kept 1" in purged.stdout
    forgot = run(["users", "forget", "e2e-b"], tmp_path, url)
    assert forgot.returncode == 0 and "deleted 1 session(s)" in forgot.stdout

    imported = run(["sessions", "import", "before.jsonl"], tmp_path, url)
    assert imported.returncode == 0, imported.stderr
    assert "3 imported, 0 already present" in imported.stdout  # the database was empty

    after = run(["sessions", "export"], tmp_path, url)
    assert after.returncode == 0 and after.stdout.encode() == before


def test_one_tenant_is_exported_forgotten_and_imported_under_a_new_name(
    tmp_path: Path, url: str
) -> None:
    container = Container()
    container.config.database.url.from_value(url)
    container.config.logging.enabled.from_value(False)
    try:
        manager = container.session_manager().for_tenant("acme")
        session = manager.create_session(SessionConfig(), user_id="e2e-a")  # e2e-a of acme
        manager.start_session(session.id)
        manager.send_message(session.id, "A queue in front of the writers.")
    finally:
        container.shutdown_resources()
    default_tenant = run(["sessions", "export", "--tenant", "default"], tmp_path, url).stdout

    exported = run(["sessions", "export", "--tenant", "acme", "-o", "acme.jsonl"], tmp_path, url)
    assert exported.returncode == 0, exported.stderr
    forgot = run(["users", "forget", "e2e-a", "--tenant", "acme"], tmp_path, url)
    assert forgot.returncode == 0 and "deleted 1 session(s) of tenant acme" in forgot.stdout
    imported = run(
        ["sessions", "import", "acme.jsonl", "--tenant-map", "acme=acme-staging"], tmp_path, url
    )
    assert imported.returncode == 0 and "1 imported" in imported.stdout, imported.stderr

    listed = run(
        ["sessions", "list", "--tenant", "acme-staging", "--format", "json"], tmp_path, url
    )
    assert [s["id"] for s in json.loads(listed.stdout)["sessions"]] == [session.id]
    assert (
        run(["sessions", "export", "--tenant", "default"], tmp_path, url).stdout == default_tenant
    )


@pytest.mark.parametrize(
    "args",
    [
        ["sessions", "export", "3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d", "--status", "paused"],
        ["sessions", "purge", "--older-than", "1 year"],
    ],
    ids=["id-and-filter", "bad-age"],
)
def test_usage_errors_exit_two(tmp_path: Path, url: str, args: list[str]) -> None:
    result = run(args, tmp_path, url)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreadable_import_file_exits_one_with_one_line(tmp_path: Path, url: str) -> None:
    result = run(["sessions", "import", "nowhere.jsonl"], tmp_path, url)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot read 'nowhere.jsonl'")
    assert len(result.stderr.strip().splitlines()) == 1

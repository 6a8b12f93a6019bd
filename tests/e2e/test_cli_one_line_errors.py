"""Refusals of the installed command line that used to end in a traceback, several lines or a
silent success: each is one line ``error: …`` on stderr and exit code 1 (the JSON log lines,
ERROR level by default, are the log's, not the message's, and join the scan for planted
secrets). A bad configuration file, an export target that cannot take the export, a
PostgreSQL server that cannot be reached, an import file that holds nothing.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest
from tests.planted import record_log_lines

from interview_orchestrator import Container, SessionConfig

EXE = shutil.which("interview-orchestrator", path=str(Path(sys.executable).parent))
#: Nothing listens on port 1: the connection is refused at once.
UNREACHABLE_POSTGRES = "postgresql://nobody@127.0.0.1:1/interviews"


def run(
    args: list[str], cwd: Path, *, stdout: int | IO[Any] = subprocess.PIPE, **env: str
) -> subprocess.CompletedProcess[str]:
    assert EXE, "the interview-orchestrator console script is not installed"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    return subprocess.run(
        [EXE, *args],
        cwd=cwd,
        env={**environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a refusal prints, after checking that it is the only one and that
    the process exited 1 without a traceback."""
    lines = result.stderr.splitlines()
    log_lines = record_log_lines(lines, "e2e one-line errors")
    others = [line for line in lines if line not in log_lines]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, result.stderr[-3000:]
    assert len(others) == 1, others
    assert others[0].startswith("error: "), others
    return others[0]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'interviews.db'}"


@pytest.fixture
def one_session(sqlite_url: str) -> str:
    """The id of a started session with one answer, in the SQLite database ``sqlite_url``."""
    container = Container()
    container.config.database.url.from_value(sqlite_url)
    container.config.logging.enabled.from_value(False)
    try:
        manager = container.session_manager()
        session = manager.create_session(SessionConfig(), user_id="e2e-one-line")
        manager.start_session(session.id)
        manager.send_message(session.id, "I would put a queue in front of the writers.")
    finally:
        container.shutdown_resources()
    return session.id


# ---------------------------------------------------------------------- --config FILE

CONFIG_FILES = {
    "tab-indented": (b"database:\n\turl: sqlite:///other.db\n", "tabs"),
    "python-tag": (
        b"database: !!python/object/apply:os.system ['touch executed']\n",
        "'!!python/object/apply:os.system' is not allowed",
    ),
    "top-level-list": (b"- database\n- logging\n", "must be a mapping of sections"),
    "empty": (b"", "sets nothing"),
    "comments-only": (b"# database:\n#   url: sqlite:///other.db\n", "sets nothing"),
    "not-utf8": (b"database:\n  url: sqlite:///caf\xe9.db\n", "is not UTF-8 text"),
    "nested-too-deeply": (b"logging: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
}


@pytest.mark.parametrize("name", list(CONFIG_FILES))
def test_a_bad_configuration_file_is_refused_in_one_line(
    tmp_path: Path, sqlite_url: str, name: str
) -> None:
    content, fragment = CONFIG_FILES[name]
    (tmp_path / "config.yaml").write_bytes(content)
    result = run(
        ["--database-url", sqlite_url, "--config", "config.yaml", "sessions", "list"], tmp_path
    )
    line = one_error_line(result)
    assert "configuration file config.yaml" in line and fragment in line, line
    assert not (tmp_path / "executed").exists()  # a tag is refused, never run
    assert not (tmp_path / "interviews.db").exists()  # refused before the database is opened


def test_a_placeholder_that_breaks_the_yaml_is_refused_in_one_line(
    tmp_path: Path, sqlite_url: str
) -> None:
    (tmp_path / "config.yaml").write_text("database:\n  auto_migrate: ${E2E_MIGRATE}\n")
    result = run(
        ["--database-url", sqlite_url, "--config", "config.yaml", "sessions", "list"],
        tmp_path,
        E2E_MIGRATE="[never",
    )
    line = one_error_line(result)
    assert "placeholders" in line and "[never" not in line, line  # values may be secrets


# ---------------------------------------------------------------------- sessions export -o


def test_export_to_an_existing_directory_is_refused_in_one_line(
    tmp_path: Path, sqlite_url: str, one_session: str
) -> None:
    (tmp_path / "backups").mkdir()
    result = run(["--database-url", sqlite_url, "sessions", "export", "-o", "backups"], tmp_path)
    assert "is a directory" in one_error_line(result)
    assert list((tmp_path / "backups").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_export_under_a_file_is_refused_in_one_line(
    tmp_path: Path, sqlite_url: str, one_session: str
) -> None:
    (tmp_path / "plain").write_text("a file, not a directory\n")
    result = run(
        ["--database-url", sqlite_url, "sessions", "export", "-o", "plain/all.jsonl"], tmp_path
    )
    assert "cannot write 'plain/all.jsonl'" in one_error_line(result)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_export_to_a_named_pipe_writes_into_the_pipe_and_leaves_it_in_place(
    tmp_path: Path, sqlite_url: str, one_session: str
) -> None:
    # The same holds for /dev/stdout or /dev/null: a device or pipe given to -o is written
    # to, never replaced by a regular file (as root, replacing /dev/null breaks the system).
    pipe = tmp_path / "backup.pipe"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # the export's open does not block
    try:
        fcntl.fcntl(reader, fcntl.F_SETPIPE_SZ, 1 << 20)  # the whole export fits: no reader
        result = run(  # needed while it runs
            ["--database-url", sqlite_url, "sessions", "export", "-o", str(pipe)], tmp_path
        )
        assert result.returncode == 0, result.stderr[-3000:]
        received = b""
        while chunk := os.read(reader, 1 << 16):
            received += chunk
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert [json.loads(line)["session"]["id"] for line in received.splitlines()] == [one_session]


@pytest.mark.skipif(
    not (os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode)),
    reason="needs /dev/full",
)
@pytest.mark.parametrize(
    "args", [["sessions", "export"], ["sessions", "list"]], ids=["export", "list"]
)
def test_a_full_disk_on_stdout_is_refused_in_one_line(
    tmp_path: Path, sqlite_url: str, one_session: str, args: list[str]
) -> None:
    with open("/dev/full", "wb") as full:
        result = run(["--database-url", sqlite_url, *args], tmp_path, stdout=full)
    assert "No space left on device" in one_error_line(result)


# ---------------------------------------------------------------------- PostgreSQL


@pytest.mark.parametrize(
    "args",
    [["db", "current"], ["db", "upgrade"], ["db", "check"], ["sessions", "list"]],
    ids=["db-current", "db-upgrade", "db-check", "sessions-list"],
)
def test_an_unreachable_postgresql_server_is_one_line_naming_what_to_check(
    tmp_path: Path, args: list[str]
) -> None:
    result = run(["--database-url", UNREACHABLE_POSTGRES, *args], tmp_path)
    line = one_error_line(result)
    assert "could not connect to the database: check that it is running and the URL" in line
    assert "sqlalche.me" not in line


# ---------------------------------------------------------------------- messages


def test_an_error_that_quotes_markup_prints_it_as_typed(tmp_path: Path, sqlite_url: str) -> None:
    result = run(["--database-url", sqlite_url, "sessions", "show", "[/bold]"], tmp_path)
    assert "malformed session id '[/bold]'" in one_error_line(result)


# ---------------------------------------------------------------------- sessions import


def test_importing_an_empty_file_says_it_held_no_sessions(tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    result = run(["--database-url", sqlite_url, "sessions", "import", "empty.jsonl"], tmp_path)
    assert "'empty.jsonl' holds no sessions: nothing was imported" in one_error_line(result)
    assert result.stdout == ""

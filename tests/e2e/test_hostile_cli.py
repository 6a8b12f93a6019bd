"""Hostile input through the installed command line, in a subprocess. The whole catalogue runs
through Typer's runner in ``tests/integration/reliability/test_cli_hostile_input.py``; here a few
cases (files, a SQL id, a usage error) show what only a real process shows: the exit code,
stderr as a person sees it, no traceback, and the JSON log lines at DEBUG level, which join
the suite-wide scan for planted secrets.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.planted import PLANTED_MESSAGE, planted_in, planted_resume, record_log_lines

from interview_orchestrator import Container, SessionConfig
from interview_orchestrator.archive import export_sessions
from interview_orchestrator.ports import SessionFilter

EXE = shutil.which("interview-orchestrator", path=str(Path(sys.executable).parent))


def _write(name: str, content: bytes) -> Callable[[Path], str]:
    def make(directory: Path) -> str:
        (directory / name).write_bytes(content)
        return name

    return make


def _bad_import(directory: Path) -> str:
    """A real export whose session status is one this release does not know."""
    container = _container(f"sqlite:///{directory / 'scratch.db'}")
    try:
        manager = container.session_manager()
        session = manager.create_session(SessionConfig(resume_data=planted_resume()))
        manager.start_session(session.id)
        manager.send_message(session.id, PLANTED_MESSAGE)
        out = io.BytesIO()
        export_sessions(container.session_archive(), SessionFilter(session_id=session.id), out)
    finally:
        container.shutdown_resources()
    record = json.loads(out.getvalue())
    record["session"]["status"] = "archived"
    (directory / "import.jsonl").write_bytes(json.dumps(record).encode() + b"\n")
    return "import.jsonl"


def _container(url: str) -> Any:
    container = Container()
    container.config.database.url.from_value(url)
    container.config.logging.enabled.from_value(False)
    return container


@dataclass(frozen=True)
class Case:
    args: list[str]
    make_file: Callable[[Path], str] | None
    code: int
    fragment: str


CASES = {
    "resume-invalid-utf8": Case(
        ["interview", "--resume", "{file}"],
        _write("resume.json", json.dumps(planted_resume()).encode("latin-1", "replace") + b"\xff"),
        1,
        "is not UTF-8 text",
    ),
    "resume-10000-levels": Case(
        ["interview", "--resume", "{file}"],
        _write("resume.json", b'{"a": ' * 10_000 + b"1" + b"}" * 10_000),
        1,
        "nested too deeply",
    ),
    "import-unknown-status": Case(
        ["sessions", "import", "{file}"], _bad_import, 1, "session.status: Input should be"
    ),
    "show-sql-id": Case(["sessions", "show", "' OR '1'='1"], None, 1, "malformed session id"),
    "list-limit--1": Case(["sessions", "list", "--limit", "-1"], None, 2, "--limit"),
}


@dataclass(frozen=True)
class Ran:
    result: subprocess.CompletedProcess[str]
    url: str
    log_lines: list[str]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    """Every case in its own directory and database, the processes run concurrently (each
    costs a couple of seconds of interpreter start-up)."""
    assert EXE, "the interview-orchestrator console script is not installed"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}

    def prepare(name: str, case: Case) -> tuple[Path, list[str]]:  # in turn: mktemp is not
        directory = tmp_path_factory.mktemp(name)  # thread-safe
        file = case.make_file(directory) if case.make_file is not None else ""
        return directory, [a.format(file=file) for a in case.args]

    prepared = {name: prepare(name, case) for name, case in CASES.items()}

    def run(name: str) -> Ran:
        directory, args = prepared[name]
        url = f"sqlite:///{directory / 'interviews.db'}"
        result = subprocess.run(
            [EXE, "--database-url", url, "--log-level", "DEBUG", *args],
            cwd=directory,
            env=environ,
            input="",
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = record_log_lines(result.stderr.splitlines(), f"e2e hostile input {name}")
        return Ran(result, url, lines)

    with ThreadPoolExecutor(max_workers=len(CASES)) as pool:
        futures = {name: pool.submit(run, name) for name in CASES}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_the_installed_command_refuses_hostile_input_cleanly(
    ran: dict[str, Ran], name: str
) -> None:
    case, outcome = CASES[name], ran[name]
    result = outcome.result
    assert result.returncode == case.code, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert case.fragment in result.stderr
    if case.code == 1:
        others = [line for line in result.stderr.splitlines() if line not in outcome.log_lines]
        assert len(others) == 1 and others[0].startswith("error:"), others
    assert planted_in(result.stdout + result.stderr) == []
    assert all(json.loads(line)["level"] for line in outcome.log_lines)  # JSON lines
    container = _container(outcome.url)
    try:
        assert container.session_manager().list_sessions() == []  # nothing was written
    finally:
        container.shutdown_resources()

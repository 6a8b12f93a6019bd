"""``sessions import`` of a file that holds nothing and ``sessions export`` to a target that
cannot take the export, through Typer's runner on the real container and both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from interview_orchestrator import SessionConfig, SessionManager
from interview_orchestrator.cli import app


def invoke(container: Any, *args: str, stdin: bytes = b"") -> Any:
    return CliRunner().invoke(app, list(args), obj=container, input=stdin)


def error_line(result: Any) -> str:
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    line: str = lines[0]
    return line


@pytest.mark.parametrize(
    "content", [b"", b"\n\n  \n", b"\xef\xbb\xbf\n"], ids=["empty", "blank-lines", "bom-only"]
)
@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_a_file_without_records_is_refused_as_nothing_to_import(
    container: Any, manager: SessionManager, tmp_path: Path, content: bytes, dry_run: bool
) -> None:
    (tmp_path / "none.jsonl").write_bytes(content)
    args = ["sessions", "import", str(tmp_path / "none.jsonl")] + (["--dry-run"] if dry_run else [])
    line = error_line(invoke(container, *args))
    assert line.endswith("none.jsonl' holds no sessions: nothing was imported"), line
    assert manager.list_sessions() == []


def test_empty_stdin_is_refused_as_nothing_to_import(container: Any) -> None:
    result = invoke(container, "sessions", "import", "-")
    assert error_line(result) == "error: stdin holds no sessions: nothing was imported"
    assert result.stdout == ""


def test_with_format_json_the_refusal_is_a_json_object_on_stderr(container: Any) -> None:
    result = invoke(container, "sessions", "import", "-", "--format", "json")
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(result.stderr) == {
        "error": {
            "type": "InvalidInputError",
            "message": "stdin holds no sessions: nothing was imported",
        }
    }


def test_a_file_with_records_still_imports_and_exits_zero(
    container: Any, manager: SessionManager, tmp_path: Path
) -> None:
    session = manager.create_session(SessionConfig(), user_id="cand-import")
    exported = invoke(container, "sessions", "export", "-o", str(tmp_path / "one.jsonl"))
    assert exported.exit_code == 0, exported.output
    assert invoke(container, "users", "forget", "cand-import").exit_code == 0
    result = invoke(container, "sessions", "import", str(tmp_path / "one.jsonl"))
    assert result.exit_code == 0, result.output
    assert "1 imported" in result.stdout
    assert [s.id for s in manager.list_sessions()] == [session.id]


def test_export_to_an_existing_directory_is_refused_and_leaves_it_alone(
    container: Any, manager: SessionManager, tmp_path: Path
) -> None:
    manager.create_session(SessionConfig(), user_id="cand-export")
    target = tmp_path / "out" / "backups"
    target.mkdir(parents=True)
    line = error_line(invoke(container, "sessions", "export", "-o", str(target)))
    assert f"cannot write {str(target)!r}: it is a directory" in line, line
    assert list(target.iterdir()) == []
    assert [p.name for p in target.parent.iterdir()] == ["backups"]  # no partial file left


def test_export_to_a_file_replaces_it_only_once_complete(
    container: Any, manager: SessionManager, tmp_path: Path
) -> None:
    session = manager.create_session(SessionConfig(), user_id="cand-export")
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "all.jsonl"
    target.write_text("yesterday's backup\n")
    result = invoke(container, "sessions", "export", "-o", str(target))
    assert result.exit_code == 0, result.output
    lines = target.read_bytes().splitlines()
    assert [json.loads(line)["session"]["id"] for line in lines] == [session.id]
    assert [p.name for p in target.parent.iterdir()] == ["all.jsonl"]

"""The export, import, purge and forget commands through Typer's runner, on both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from interview_orchestrator.cli import app
from interview_orchestrator.models import new_id


def owned_by(snapshot: dict[str, list[tuple[Any, ...]]], session_ids: set[str]) -> Any:
    """The rows of ``snapshot`` that belong to the given sessions, table by table."""
    return {
        table: [row for row in found if row[0] in session_ids]  # id or session_id
        for table, found in snapshot.items()
    }


@pytest.fixture
def cli(container: Any) -> Any:
    """cli("sessions", "export") -> the runner's result, against the test's container."""
    runner = CliRunner()

    def invoke(*args: str, stdin: bytes | None = None) -> Any:
        return runner.invoke(app, list(args), obj=container, input=stdin)

    return invoke


def test_export_purge_forget_import_round_trip(
    cli: Any, dataset: Any, tmp_path: Path, rows: Any
) -> None:
    before = rows()
    target = tmp_path / "all.jsonl"
    exported = cli("sessions", "export", "--output", str(target))
    assert exported.exit_code == 0, exported.output
    assert "exported 6 session(s)" in exported.stderr
    assert not list(tmp_path.glob(".*.partial"))

    dry = cli("sessions", "purge", "--older-than", "365d", "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["dry_run"] and report["deleted"]["sessions"] == 2 and report["kept"] == 2
    assert rows() == before

    purged = cli("sessions", "purge", "--older-than", "0d")
    assert purged.exit_code == 0, purged.output
    assert "deleted 3 session(s)" in purged.stdout and "kept 3" in purged.stdout
    for user in ("ada", "bob", "cyd"):
        assert cli("users", "forget", user).exit_code == 0
    assert not any(rows().values())

    imported = cli("sessions", "import", str(target), "--format", "json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["counts"]["imported"] == 6
    assert rows() == before

    again = cli("sessions", "import", str(target))
    assert again.exit_code == 0 and "0 imported, 6 already present" in again.stdout
    assert cli("sessions", "export").stdout_bytes == target.read_bytes()


def test_import_reads_stdin_and_maps_users(cli: Any, dataset: Any) -> None:
    exported = cli("sessions", "export", "--user-id", "cyd").stdout_bytes
    assert cli("users", "forget", "cyd", "--dry-run").stdout.startswith("would delete 1 session")
    cli("users", "forget", "cyd")

    result = cli("sessions", "import", "-", "--map-user", "cyd=cyd-2", stdin=exported)

    assert result.exit_code == 0, result.output
    assert "cyd-2" in result.stdout and "1 imported" in result.stdout
    listed = cli("sessions", "export", "--user-id", "cyd-2").stdout_bytes
    assert json.loads(listed)["session"]["resume_data"]["user_id"] == "cyd-2"


def test_an_export_of_one_session_and_of_a_date_range(cli: Any, dataset: Any) -> None:
    one = cli("sessions", "export", dataset.bob_old_paused)
    assert one.exit_code == 0
    assert json.loads(one.stdout_bytes)["session"]["status"] == "paused"

    recent = cli("sessions", "export", "--since", dataset.recent.date().isoformat())
    assert len(recent.stdout_bytes.splitlines()) == 2
    old = cli("sessions", "export", "--until", dataset.recent.isoformat(), "--status", "active")
    assert len(old.stdout_bytes.splitlines()) == 1


def test_export_purge_and_forget_take_a_tenant(
    cli: Any, dataset: Any, other_tenant: Any, rows: Any
) -> None:
    exported = cli("sessions", "export", "--tenant", "globex")
    assert exported.exit_code == 0, exported.output
    assert [json.loads(line)["session"]["id"] for line in exported.stdout_bytes.splitlines()] == (
        other_tenant.ids
    )
    defaults = owned_by(rows(), set(dataset.ids))

    purged = cli(
        "sessions", "purge", "--older-than", "365d", "--tenant", "globex", "--format", "json"
    )
    assert purged.exit_code == 0, purged.output
    report = json.loads(purged.stdout)
    assert report["tenant_id"] == "globex" and report["deleted"]["sessions"] == 1
    assert report["deleted"]["events"] > 0 and report["kept"] == 0
    assert owned_by(rows(), set(dataset.ids)) == defaults

    forgot = cli("users", "forget", "ada", "--tenant", "default")
    assert forgot.exit_code == 0, forgot.output
    assert forgot.stdout.startswith("deleted 2 session(s) of tenant default")
    assert "event(s)" in forgot.stdout
    remaining = cli("sessions", "export", "--user-id", "ada").stdout_bytes.splitlines()
    assert [json.loads(line)["session"]["tenant_id"] for line in remaining] == ["globex"]


def test_import_maps_tenants_or_puts_everything_in_one(
    cli: Any, other_tenant: Any, tmp_path: Path
) -> None:
    target = tmp_path / "globex.jsonl"
    assert cli("sessions", "export", "--tenant", "globex", "-o", str(target)).exit_code == 0
    for user in ("ada", "cyd"):
        cli("users", "forget", user, "--tenant", "globex")

    mapped = cli("sessions", "import", str(target), "--tenant-map", "globex=initech")
    assert mapped.exit_code == 0, mapped.output
    assert "tenant" in mapped.stdout and "initech" in mapped.stdout
    assert "3 imported" in mapped.stdout
    listed = cli("sessions", "list", "--tenant", "initech", "--format", "json")
    assert len(json.loads(listed.stdout)["sessions"]) == 3

    into = cli("sessions", "import", str(target), "--into-tenant", "umbrella", "--dry-run")
    assert into.exit_code == 0, into.output
    report = json.loads(
        cli(
            "sessions", "import", str(target), "--into-tenant", "umbrella", "--format", "json"
        ).stdout
    )
    # The ids are taken (by initech's copies): the target tenant shows in the report all the same.
    assert {entry["tenant_id"] for entry in report["sessions"]} == {"umbrella"}
    assert report["counts"]["conflict"] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sessions", "export", "--tenant", "acme corp"), "malformed tenant id"),
        (("sessions", "purge", "--older-than", "1d", "--tenant", "-x"), "malformed tenant id"),
        (("users", "forget", "ada", "--tenant", ""), "malformed tenant id"),
        (("sessions", "import", "x.jsonl", "--tenant-map", "globex"), "OLD=NEW"),
        (("sessions", "import", "x.jsonl", "--tenant-map", "a=acme corp"), "malformed tenant"),
        (("sessions", "import", "x.jsonl", "--tenant-map", "a=b", "--tenant-map", "a=c"), "twice"),
        (("sessions", "import", "x.jsonl", "--into-tenant", "a b"), "malformed tenant id"),
        (
            ("sessions", "import", "x.jsonl", "--tenant-map", "a=b", "--into-tenant", "c"),
            "not both",
        ),
    ],
)
def test_tenant_usage_errors_exit_two(cli: Any, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.replace("│", " ").split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sessions", "export", new_id(), "--user-id", "ada"), "not both"),
        (("sessions", "export", "--since", "2026-02-01", "--until", "2026-01-01"), "before"),
        (("sessions", "export", "--since", "last tuesday"), "not a date"),
        (("sessions", "export", "--status", "finished"), "finished"),
        (("sessions", "import", "x.jsonl", "--map-user", "ada"), "OLD=NEW"),
        (("sessions", "import", "x.jsonl", "--map-user", "a=b", "--map-user", "a=c"), "twice"),
        (("sessions", "import", "x.jsonl", "--format", "csv"), "csv"),
        (("sessions", "purge", "--older-than", "5m"), "not an age"),
        (("sessions", "purge", "--older-than", "99999999999999999d"), "too long"),
        (("sessions", "purge"), "--older-than"),
        (("users", "forget"), "USER_ID"),
    ],
)
def test_usage_errors_exit_two(cli: Any, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.replace("│", " ").split())


def test_platform_errors_exit_one_with_one_line(cli: Any, tmp_path: Path) -> None:
    missing = cli("sessions", "import", str(tmp_path / "missing.jsonl"))
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: cannot read") and missing.stderr.count("\n") == 1

    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"format": "interview-orchestrator/session", "version": 7}\n')
    invalid = cli("sessions", "import", str(bad))
    assert invalid.exit_code == 1 and "line 1: record version 7" in invalid.stderr

    target = tmp_path / "one.jsonl"
    unknown = cli("sessions", "export", new_id(), "-o", str(target))
    assert unknown.exit_code == 1 and "does not exist" in unknown.stderr
    assert not target.exists() and not list(tmp_path.glob(".*.partial"))


@pytest.mark.parametrize(
    "command",
    [("sessions", "export"), ("sessions", "import"), ("sessions", "purge"), ("users", "forget")],
)
def test_every_archive_command_has_help(cli: Any, command: tuple[str, ...]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0 and "Usage" in result.stdout

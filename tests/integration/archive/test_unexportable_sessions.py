"""A stored session the export cannot write never blocks the others or ends in a traceback,
on SQLite and PostgreSQL. Bad rows are planted with raw SQL, as data written around the
library (or before its checks) would be.

The rule: a session whose record cannot be written (text that is not valid Unicode in its
event log, say) is reported with its id and why, and skipped; the others are exported, and
the command exits 1 so that a scheduled backup notices. A session the database itself cannot
read (its config fails the domain's checks) stops the export with one line naming it: the
store reads a page at a time and cannot step over a row it cannot decode.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from interview_orchestrator import DataStoreError
from interview_orchestrator.archive import export_sessions
from interview_orchestrator.archive.record import UnexportableSessionError
from interview_orchestrator.cli import app
from interview_orchestrator.ports import SessionFilter
from interview_orchestrator.store.archive import SqlAlchemyArchive

EVERYTHING = SessionFilter()


def plant_json(engine: Engine, sql: str, **values: Any) -> None:
    """Run an UPDATE whose ``:json`` parameter is a JSON document, on either database (JSON
    text escapes a lone surrogate as ``\\ud800``, which both databases store)."""
    placeholder = "CAST(:json AS json)" if engine.dialect.name == "postgresql" else ":json"
    with engine.begin() as conn:
        conn.execute(text(sql.replace(":json", placeholder)), values)


def plant_unwritable_event(engine: Engine, session_id: str) -> None:
    """The session's first event holds text that is not valid Unicode: the store reads it,
    no export line can carry it."""
    plant_json(
        engine,
        "UPDATE events SET data = :json WHERE session_id = :id AND seq = 1",
        json=json.dumps({"note": "\ud800"}),
        id=session_id,
    )


def plant_unreadable_config(engine: Engine, session_id: str) -> None:
    """The session's config names a model that is not valid Unicode (what the library
    accepted before it checked): the store refuses to read the row."""
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT config FROM sessions WHERE id = :id"), {"id": session_id}
        ).scalar_one()
    config = json.loads(stored) if isinstance(stored, str) else dict(stored)
    plant_json(
        engine,
        "UPDATE sessions SET config = :json WHERE id = :id",
        json=json.dumps({**config, "ai_model": "\ud800"}),
        id=session_id,
    )


@pytest.fixture
def cli(container: Any) -> Any:
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), obj=container)


def exported_ids(data: bytes) -> list[str]:
    return [json.loads(line)["session"]["id"] for line in data.splitlines()]


# ---------------------------------------------------------------------- the library


def test_a_session_whose_record_cannot_be_written_is_reported_skipped_and_the_rest_exported(
    archive: SqlAlchemyArchive, dataset: Any, engine: Engine
) -> None:
    bad = dataset.bob_old_paused
    plant_unwritable_event(engine, bad)
    out, skipped = io.BytesIO(), []

    written = export_sessions(archive, EVERYTHING, out, page_size=2, skipped=skipped.append)

    assert written == 5
    assert exported_ids(out.getvalue()) == [sid for sid in dataset.ids if sid != bad]
    assert [problem.session_id for problem in skipped] == [bad]
    assert (
        skipped[0].reason == "events[0].data is not valid Unicode text (it holds a lone surrogate)"
    )


def test_without_a_skip_handler_an_unwritable_session_stops_the_export_naming_it(
    archive: SqlAlchemyArchive, dataset: Any, engine: Engine
) -> None:
    plant_unwritable_event(engine, dataset.bob_old_paused)

    with pytest.raises(UnexportableSessionError) as caught:
        export_sessions(archive, EVERYTHING, io.BytesIO())

    assert isinstance(caught.value, DataStoreError)
    assert str(caught.value) == (
        f"session {dataset.bob_old_paused!r} cannot be exported: events[0].data is not valid "
        "Unicode text (it holds a lone surrogate)"
    )


def test_one_unwritable_session_asked_for_by_id_is_skipped_not_reported_missing(
    archive: SqlAlchemyArchive, dataset: Any, engine: Engine
) -> None:
    plant_unwritable_event(engine, dataset.cyd_recent_active)
    skipped: list[UnexportableSessionError] = []

    written = export_sessions(
        archive,
        SessionFilter(session_id=dataset.cyd_recent_active),
        io.BytesIO(),
        skipped=skipped.append,
    )

    assert written == 0
    assert [problem.session_id for problem in skipped] == [dataset.cyd_recent_active]


def test_a_session_the_store_cannot_read_stops_the_export_saying_which_and_how_far(
    archive: SqlAlchemyArchive, dataset: Any, engine: Engine
) -> None:
    plant_unreadable_config(engine, dataset.bob_old_paused)

    with pytest.raises(DataStoreError) as caught:
        export_sessions(archive, EVERYTHING, io.BytesIO(), page_size=2, skipped=lambda _: None)

    message = str(caught.value)
    assert message.startswith("export stopped after 2 session(s)")
    assert dataset.bob_old_paused in message and "ai_model" in message
    assert "\n" not in message


# ---------------------------------------------------------------------- the command line


def test_the_export_command_lists_a_skipped_session_keeps_the_others_and_exits_1(
    cli: Any, dataset: Any, engine: Engine, tmp_path: Path
) -> None:
    bad = dataset.ada_old_active
    plant_unwritable_event(engine, bad)
    target = tmp_path / "backup.jsonl"

    result = cli("sessions", "export", "--output", str(target))

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines() == [
        f"skipped: session {bad!r} cannot be exported: events[0].data is not valid Unicode "
        "text (it holds a lone surrogate)",
        f"exported 5 session(s) to {target}",
        "error: 1 session(s) could not be exported and are not in the export (listed above)",
    ]
    assert exported_ids(target.read_bytes()) == [sid for sid in dataset.ids if sid != bad]
    assert not list(tmp_path.glob(".*.partial"))


def test_the_export_command_stops_with_one_line_on_a_session_the_store_cannot_read(
    cli: Any, dataset: Any, engine: Engine, tmp_path: Path
) -> None:
    plant_unreadable_config(engine, dataset.bob_recent_completed)
    target = tmp_path / "backup.jsonl"

    result = cli("sessions", "export", "--output", str(target))

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    # The store reads a page (100 sessions) at once: the page holding the row is not read.
    assert result.stderr.splitlines() == [
        f"error: export stopped after 0 session(s): stored data of session "
        f"{dataset.bob_recent_completed!r} cannot be read: ai_model is not valid Unicode text: "
        "found U+D800"
    ]
    assert not target.exists() and not list(tmp_path.glob(".*.partial"))

"""Export and import on SQLite and PostgreSQL: exact round trips, idempotence, validation."""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert

from interview_orchestrator import (
    InvalidInputError,
    SessionManager,
    SessionNotFoundError,
    SessionStatus,
)
from interview_orchestrator.archive import (
    ImportStatus,
    JsonLinesFile,
    export_sessions,
    forget_user,
    import_sessions,
    purge_sessions,
)
from interview_orchestrator.models import Session, SessionConfig, new_id
from interview_orchestrator.ports import SessionFilter
from interview_orchestrator.store.archive import SqlAlchemyArchive
from interview_orchestrator.store.codecs import SessionCodec
from interview_orchestrator.store.schema import SESSIONS

EVERYTHING = SessionFilter()


def export_bytes(archive: SqlAlchemyArchive, selection: SessionFilter = EVERYTHING) -> bytes:
    out = io.BytesIO()
    export_sessions(archive, selection, out)
    return out.getvalue()


def empty(archive: SqlAlchemyArchive) -> None:
    """Delete everything through the archive's own deletion (retention, then erasure)."""
    purge_sessions(archive, timedelta(0))
    for user in ("ada", "bob", "cyd"):
        forget_user(archive, user)


def records(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines()]


def lines_of(items: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(item, ensure_ascii=False).encode() + b"\n" for item in items]


# ---------------------------------------------------------------------- round trip


def test_export_purge_import_restores_every_row_exactly(
    archive: SqlAlchemyArchive, dataset: Any, rows: Callable[[], Any]
) -> None:
    before = rows()
    assert len(before["sessions"]) == 6 and before["messages"] and before["interviewer_notes"]
    exported = export_bytes(archive)
    assert len(exported.splitlines()) == 6

    empty(archive)
    assert all(not found for found in rows().values())

    report = import_sessions(archive, exported.splitlines(keepends=True))
    assert report.count(ImportStatus.IMPORTED) == 6
    assert rows() == before
    assert export_bytes(archive) == exported


def test_the_record_holds_every_stored_field_in_utc(
    archive: SqlAlchemyArchive, dataset: Any, manager: SessionManager
) -> None:
    selection = SessionFilter(session_id=dataset.ada_old_completed)
    (record,) = records(export_bytes(archive, selection))
    assert record["format"] == "interview-orchestrator/session" and record["version"] == 2
    session = manager.get_session(dataset.ada_old_completed)
    fields = record["session"]
    assert fields["id"] == session.id and fields["user_id"] == "ada"
    assert fields["version"] == session.version and fields["message_count"] == 7
    assert fields["resume_data"]["user_id"] == "ada" and "resume_data" not in fields["config"]
    assert fields["interviewer_state"] == dict(session.interviewer_state)
    assert fields["created_at"].endswith("Z") and fields["ended_at"].endswith("Z")
    assert [m["seq"] for m in record["messages"]] == list(range(1, 8))
    assert [t["to_status"] for t in record["transitions"]] == [
        "active",
        "paused",
        "active",
        "completed",
    ]
    assert record["evaluation"]["status"] == "ready" and record["evaluation"]["attempts"] == 1
    assert record["notes"] and all(n["message_seq"] >= 1 for n in record["notes"])


def test_importing_the_same_file_twice_changes_nothing(
    archive: SqlAlchemyArchive, dataset: Any, rows: Callable[[], Any]
) -> None:
    exported = export_bytes(archive)
    empty(archive)
    lines = exported.splitlines(keepends=True)
    import_sessions(archive, lines)
    once = rows()

    again = import_sessions(archive, lines)

    assert again.count(ImportStatus.ALREADY_PRESENT) == 6
    assert all(entry.reason is None for entry in again.entries)
    assert rows() == once


def test_a_dry_run_import_reports_what_would_happen_and_writes_nothing(
    archive: SqlAlchemyArchive, dataset: Any, rows: Callable[[], Any]
) -> None:
    exported = export_bytes(archive)
    forget_user(archive, "bob")
    before = rows()

    report = import_sessions(archive, exported.splitlines(), dry_run=True)

    assert report.dry_run and rows() == before
    by_id = {entry.session_id: entry.status for entry in report.entries}
    assert by_id[dataset.bob_old_paused] is ImportStatus.IMPORTED
    assert by_id[dataset.ada_old_completed] is ImportStatus.ALREADY_PRESENT
    assert report.to_dict()["counts"] == {
        "imported": 3,
        "already_present": 3,
        "conflict": 0,
        "skipped": 0,
    }


def test_map_user_rewrites_the_owner_and_the_resume_user_id(
    archive: SqlAlchemyArchive, dataset: Any, manager: SessionManager
) -> None:
    exported = export_bytes(archive, SessionFilter(user_id="ada"))
    forget_user(archive, "ada")

    report = import_sessions(archive, exported.splitlines(), user_map={"ada": "ada-staging"})

    assert {e.user_id for e in report.entries} == {"ada-staging"}
    session = manager.get_session(dataset.ada_old_completed)
    assert session.user_id == "ada-staging"
    assert session.config.resume_data is not None
    assert session.config.resume_data["user_id"] == "ada-staging"
    assert manager.get_session(dataset.bob_old_paused).user_id == "bob"
    assert manager.list_sessions(user_id="ada") == []


def test_a_session_stored_with_other_content_is_a_conflict_and_is_not_overwritten(
    archive: SqlAlchemyArchive, dataset: Any, rows: Callable[[], Any]
) -> None:
    items = records(export_bytes(archive, SessionFilter(session_id=dataset.bob_recent_completed)))
    items[0]["messages"][1]["content"] = "Something the candidate never said."
    items[0]["session"]["overall_score"] = 99.0
    before = rows()

    report = import_sessions(archive, lines_of(items))

    (entry,) = report.entries
    assert entry.status is ImportStatus.CONFLICT
    assert entry.reason is not None
    assert "overall_score" in entry.reason and "messages" in entry.reason
    assert rows() == before


def test_an_active_session_is_skipped_when_its_user_already_has_another(
    archive: SqlAlchemyArchive, dataset: Any, manager: SessionManager, rows: Callable[[], Any]
) -> None:
    exported = export_bytes(archive, SessionFilter(session_id=dataset.cyd_recent_active))
    forget_user(archive, "cyd")
    other = manager.create_session(SessionConfig(), user_id="cyd")
    manager.start_session(other.id)
    before = rows()

    for dry_run in (True, False):
        report = import_sessions(archive, exported.splitlines(), dry_run=dry_run)
        (entry,) = report.entries
        assert entry.status is ImportStatus.SKIPPED
        assert entry.reason is not None and other.id in entry.reason
    assert rows() == before


def test_a_file_with_two_active_sessions_of_one_user_imports_the_first_only(
    archive: SqlAlchemyArchive, dataset: Any
) -> None:
    items = records(export_bytes(archive, SessionFilter(session_id=dataset.cyd_recent_active)))
    twin = json.loads(json.dumps(items[0]))
    twin["session"]["id"] = new_id()
    forget_user(archive, "cyd")

    dry = import_sessions(archive, lines_of([items[0], twin, items[0]]), dry_run=True)
    real = import_sessions(archive, lines_of([items[0], twin, items[0]]))

    expected = [ImportStatus.IMPORTED, ImportStatus.SKIPPED, ImportStatus.ALREADY_PRESENT]
    assert [e.status for e in dry.entries] == expected
    assert [e.status for e in real.entries] == expected
    assert dry.entries[2].reason == "same session as line 1"


# ---------------------------------------------------------------------- validation


@pytest.fixture
def good_lines(bob_export: list[bytes]) -> list[bytes]:
    """Three valid records of sessions that are not stored; the second is complete
    (transcript, transitions, evaluation, notes)."""
    created, paused, completed = bob_export
    return [paused, completed, created]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split(".")

    def change(item: dict[str, Any]) -> None:
        node: Any = item
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return change


_DELETE = object()
BAD_RECORDS = {
    "unknown status": (_set("session.status", "finished"), "session.status"),
    "unknown role": (_set("messages.0.role", "robot"), "messages[0].role"),
    "unknown evaluation status": (_set("evaluation.status", "great"), "evaluation.status"),
    "bad timestamp": (_set("session.created_at", "2026-13-45T99:00:00Z"), "session.created_at"),
    "naive timestamp": (_set("messages.0.created_at", "2026-01-01T10:00:00"), "timezone"),
    "unknown version": (_set("version", 3), "record version 3 is not supported"),
    "version as a string": (_set("version", "2"), "record version '2' is not supported"),
    "wrong format": (_set("format", "someone-else/v1"), "not a session export record"),
    "missing field": (_set("session.user_id", _DELETE), "session.user_id: required field"),
    "unknown field": (_set("session.colour", "blue"), "session.colour: unknown field"),
    "string for a number": (_set("session.version", "4"), "session.version"),
    "count mismatch": (_set("session.message_count", 99), "message_count is 99"),
    "not a uuid": (_set("session.id", "not-a-uuid"), "malformed session id"),
    "malformed tenant": (_set("session.tenant_id", "acme corp"), "malformed tenant id"),
    "missing event log": (_set("events", _DELETE), "events: required field missing"),
    "event count mismatch": (_set("session.event_count", 99), "event_count is 99"),
    "event ids with a gap": (_set("events.1.id", 7), "events: ids must run 1, 2, 3"),
    "unknown event type": (_set("events.0.type", "session.exploded"), "events[0].type"),
    "message text in its event": (
        _set("events.1.data.message", {"content": "copied"}),
        "events[1].data.message: the message is restored from messages",
    ),
    "message.created without its message": (
        _set("events.1.message_seq", None),
        "events[1].message_seq: a message.created event names its message",
    ),
    "an event naming a missing message": (
        _set("events.1.message_seq", 99),
        "names message 99, which the record does not have",
    ),
    "another event naming a message": (
        _set("events.0.message_seq", 1),
        "events[0].message_seq: only a message.created event",
    ),
    "repeated client message id": (
        _set("messages.3.client_message_id", "answer-1"),
        "messages[3].client_message_id: an earlier message has the same one",
    ),
    "malformed client message id": (
        _set("messages.1.client_message_id", "has spaces"),
        "messages[1].client_message_id: malformed",
    ),
    "reply to a later message": (
        _set("messages.2.reply_to", 5),
        "messages[2].reply_to: names message 5, which is not an earlier message",
    ),
    "a turn in progress": (_set("session.turn_seq", 2), "session.turn_seq: unknown field"),
    "NUL in event data": (
        _set("events.0.data.reason", "a\x00b"),
        "events[0].data: the value must not contain NUL characters",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_a_bad_record_among_good_ones_names_its_line_and_nothing_is_written(
    archive: SqlAlchemyArchive, good_lines: list[bytes], rows: Callable[[], Any], case: str
) -> None:
    change, expected = BAD_RECORDS[case]
    items = [json.loads(line) for line in good_lines]
    change(items[1])
    before = rows()

    with pytest.raises(InvalidInputError) as caught:
        import_sessions(archive, lines_of(items))

    message = str(caught.value)
    assert "line 2:" in message and expected in message, message
    assert "nothing was imported" in message
    assert "line 1" not in message and "line 3" not in message
    assert rows() == before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"format": "interview-orchestrator/session", "version": 1,\n', "malformed JSON"),
        (b'{"format": "interview-orchestrator/\xff\xfesession"}\n', "not valid UTF-8 (byte 0xff"),
        (b"[1, 2, 3]\n", "Input should be an object"),
    ],
    ids=["malformed-json", "invalid-utf8", "not-an-object"],
)
def test_unreadable_lines_name_their_line_and_nothing_is_written(
    archive: SqlAlchemyArchive,
    good_lines: list[bytes],
    rows: Callable[[], Any],
    raw: bytes,
    expected: str,
) -> None:
    before = rows()
    with pytest.raises(InvalidInputError) as caught:
        import_sessions(archive, [good_lines[0], good_lines[1], raw, good_lines[2]])
    message = str(caught.value)
    assert "line 3:" in message and expected in message, message
    assert rows() == before


def test_many_bad_lines_are_listed_up_to_five_then_counted(
    archive: SqlAlchemyArchive, good_lines: list[bytes]
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        import_sessions(archive, [b"{oops\n"] * 8)
    message = str(caught.value)
    assert "line 5:" in message and "line 6:" not in message
    assert "and 3 more invalid line(s)" in message


def test_a_file_is_read_twice_not_held_and_an_unreadable_one_is_a_clear_error(
    archive: SqlAlchemyArchive, good_lines: list[bytes], tmp_path: Any
) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(good_lines) + b"\n\n")
    report = import_sessions(archive, JsonLinesFile(path))
    assert report.count(ImportStatus.IMPORTED) == 3

    with pytest.raises(InvalidInputError, match=r"cannot read .*missing\.jsonl"):
        import_sessions(archive, JsonLinesFile(tmp_path / "missing.jsonl"))
    with pytest.raises(InvalidInputError, match="cannot read"):
        import_sessions(archive, JsonLinesFile(tmp_path))


def test_a_user_mapping_to_an_invalid_id_is_refused(
    archive: SqlAlchemyArchive, good_lines: list[bytes]
) -> None:
    with pytest.raises(InvalidInputError, match="user mapping"):
        import_sessions(archive, good_lines, user_map={"bob": "  "})


# ---------------------------------------------------------------------- export selection


def test_export_filters_by_user_status_and_creation_time(
    archive: SqlAlchemyArchive, dataset: Any
) -> None:
    def ids(**criteria: Any) -> list[str]:
        return [
            r["session"]["id"] for r in records(export_bytes(archive, SessionFilter(**criteria)))
        ]

    assert ids() == dataset.ids  # oldest first
    assert ids(user_id="bob") == [
        dataset.bob_old_created,
        dataset.bob_old_paused,
        dataset.bob_recent_completed,
    ]
    assert ids(status=SessionStatus.ACTIVE) == [dataset.ada_old_active, dataset.cyd_recent_active]
    recent = dataset.recent
    assert ids(since=recent) == [dataset.bob_recent_completed, dataset.cyd_recent_active]
    assert ids(until=recent, user_id="ada") == [dataset.ada_old_completed, dataset.ada_old_active]


def test_exporting_an_unknown_session_writes_nothing_and_says_so(
    archive: SqlAlchemyArchive, dataset: Any
) -> None:
    out = io.BytesIO()
    missing = new_id()
    with pytest.raises(SessionNotFoundError, match=missing):
        export_sessions(archive, SessionFilter(session_id=missing), out)
    assert out.getvalue() == b""
    with pytest.raises(InvalidInputError, match="cannot be combined"):
        export_sessions(archive, SessionFilter(session_id=missing, user_id="ada"), out)


def test_export_streams_in_pages(
    container: Any, archive: SqlAlchemyArchive, engine: Engine
) -> None:
    """250 sessions with a page size of 100: three keyset page reads, each of at most 100
    sessions, and lines are written as each page arrives, not at the end."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(SESSIONS),
            [
                SessionCodec.encode(
                    _bare_session(f"user-{n % 7}", start + timedelta(seconds=n // 2))  # ties too
                )
                for n in range(250)
            ],
        )
    page_reads: list[str] = []

    @event.listens_for(container.engine(), "before_cursor_execute")
    def count_pages(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().startswith("SELECT sessions.id, sessions.tenant_id"):
            page_reads.append(statement)

    class Out:
        lines = 0
        reads_at_first_line = 0

        def write(self, data: bytes) -> None:
            if not self.lines:
                self.reads_at_first_line = len(page_reads)
            self.lines += data.count(b"\n")

    out = Out()
    written = export_sessions(archive, EVERYTHING, out, page_size=100)

    assert written == out.lines == 250
    assert out.reads_at_first_line == 1
    assert len(page_reads) == 3 and all("LIMIT" in s for s in page_reads)
    exported = records(export_bytes(archive))
    keys = [(r["session"]["created_at"], r["session"]["id"]) for r in exported]
    assert keys == sorted(keys) and len(set(keys)) == 250


def _bare_session(user: str, created_at: datetime) -> Session:
    return Session(
        id=new_id(),
        user_id=user,
        status=SessionStatus.CREATED,
        config=SessionConfig(),
        created_at=created_at,
    )


def test_a_pipe_is_read_once_and_kept(
    archive: SqlAlchemyArchive, good_lines: list[bytes], tmp_path: Any
) -> None:
    fifo = tmp_path / "export.pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(b"".join(good_lines),))
    writer.start()
    report = import_sessions(archive, JsonLinesFile(fifo))
    writer.join(timeout=10)
    assert report.count(ImportStatus.IMPORTED) == 3


def test_a_file_that_shrinks_between_the_two_readings_is_reported(
    archive: SqlAlchemyArchive, good_lines: list[bytes]
) -> None:
    class Shrinking:
        readings = 0

        def __iter__(self) -> Iterator[bytes]:
            self.readings += 1
            return iter(good_lines if self.readings == 1 else good_lines[:1])

    with pytest.raises(InvalidInputError, match="changed while it was being imported"):
        import_sessions(archive, Shrinking())

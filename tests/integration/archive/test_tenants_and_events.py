"""Format version 2 on SQLite and PostgreSQL: tenants and event logs exported and imported
exactly, version 1 still read, tenant mapping, and export, purge and forget kept to one tenant
without touching another's rows."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update

from interview_orchestrator import InvalidInputError, SessionManager, SessionNotFoundError
from interview_orchestrator.archive import (
    ImportStatus,
    decode,
    encode,
    export_sessions,
    forget_user,
    import_sessions,
    purge_sessions,
)
from interview_orchestrator.models import DEFAULT_TENANT
from interview_orchestrator.ports import SessionFilter
from interview_orchestrator.store.archive import SqlAlchemyArchive
from interview_orchestrator.store.schema import SESSIONS

YEAR = timedelta(days=365)
EVERYTHING = SessionFilter()


def export_bytes(archive: SqlAlchemyArchive, selection: SessionFilter = EVERYTHING) -> bytes:
    out = io.BytesIO()
    export_sessions(archive, selection, out)
    return out.getvalue()


def records(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines()]


def lines_of(items: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(item, ensure_ascii=False).encode() + b"\n" for item in items]


def as_version_1(item: dict[str, Any]) -> dict[str, Any]:
    """A version 2 record as release 1 wrote it: no tenant, event log, phase or message
    idempotency keys."""
    old = json.loads(json.dumps(item))
    old["version"] = 1
    for name in ("tenant_id", "event_count", "phase", "turn_count"):
        del old["session"][name]
    for message in old["messages"]:
        del message["client_message_id"], message["reply_to"]
    del old["events"]
    return old


def owned_by(snapshot: dict[str, list[tuple[Any, ...]]], session_ids: set[str]) -> Any:
    """The rows of ``snapshot`` that belong to the given sessions, table by table."""
    return {
        table: [row for row in found if row[0] in session_ids]  # id or session_id
        for table, found in snapshot.items()
    }


def whole_log(manager: SessionManager, session_id: str) -> list[Any]:
    return manager.events(session_id, limit=1000)


# ---------------------------------------------------------------------- the record


def test_the_record_carries_the_tenant_and_the_event_log_once(
    archive: SqlAlchemyArchive, other_tenant: Any, manager: SessionManager
) -> None:
    (record,) = records(
        export_bytes(archive, SessionFilter(session_id=other_tenant.ada_old_completed))
    )
    session = manager.get_session(other_tenant.ada_old_completed)
    fields = record["session"]
    assert record["version"] == 2 and fields["tenant_id"] == "globex"
    assert fields["event_count"] == session.event_count == len(record["events"])
    assert fields["phase"] == session.phase is not None
    assert "turn_seq" not in fields and "turn_expires_at" not in fields
    assert [e["id"] for e in record["events"]] == list(range(1, session.event_count + 1))
    created = [e for e in record["events"] if e["type"] == "message.created"]
    assert [e["message_seq"] for e in created] == [m["seq"] for m in record["messages"]]
    assert all("message" not in e["data"] for e in created)  # the text is in messages only
    answers = [m for m in record["messages"] if m["role"] == "candidate"]
    assert [m["client_message_id"] for m in answers[:2]] == ["answer-1", "answer-2"]
    replies = [m["reply_to"] for m in record["messages"] if m["reply_to"] is not None]
    assert replies and all(seq in {m["seq"] for m in answers} for seq in replies)


def test_decoding_an_exported_line_gives_back_exactly_what_was_read(
    archive: SqlAlchemyArchive, other_tenant: Any
) -> None:
    read = archive.read_page(EVERYTHING, after=None, limit=100)
    assert len(read) == 9
    assert sum(bool(archived.events) for archived in read) == 8  # all but one never started
    assert [decode(encode(archived)) for archived in read] == read


# ---------------------------------------------------------------------- round trips


def test_a_round_trip_restores_every_tenant_and_event_log_exactly(
    archive: SqlAlchemyArchive,
    dataset: Any,
    other_tenant: Any,
    manager: SessionManager,
    rows: Callable[[], Any],
) -> None:
    every_id = dataset.ids + other_tenant.ids
    before = rows()
    logs = {session_id: whole_log(manager, session_id) for session_id in every_id}
    exported = export_bytes(archive)
    purge_sessions(archive, timedelta(0))
    for user in ("ada", "bob", "cyd"):
        forget_user(archive, user)
    assert not any(rows().values())

    report = import_sessions(archive, exported.splitlines(keepends=True))

    assert report.count(ImportStatus.IMPORTED) == 9
    assert {e.tenant_id for e in report.entries} == {DEFAULT_TENANT, "globex"}
    assert rows() == before
    assert {session_id: whole_log(manager, session_id) for session_id in every_id} == logs
    assert export_bytes(archive) == exported


def test_a_version_1_record_imports_into_the_default_tenant_with_no_event_log(
    archive: SqlAlchemyArchive, other_tenant: Any, manager: SessionManager
) -> None:
    session_id = other_tenant.ada_old_completed
    original = manager.get_session(session_id)
    transcript = manager.get_transcript(session_id)
    items = records(export_bytes(archive, SessionFilter(session_id=session_id)))
    forget_user(archive, "ada", tenant_id="globex")

    report = import_sessions(archive, lines_of([as_version_1(items[0])]))

    assert [(e.status, e.tenant_id) for e in report.entries] == [
        (ImportStatus.IMPORTED, DEFAULT_TENANT)
    ]
    assert manager.get_session(session_id) == original.with_changes(
        tenant_id=DEFAULT_TENANT, event_count=0, phase=None, turn_count=0
    )
    assert manager.get_transcript(session_id) == [
        replace(m, client_message_id=None, reply_to=None) for m in transcript
    ]
    assert whole_log(manager, session_id) == []
    assert manager.get_evaluation(session_id) is not None


def test_a_version_1_record_can_be_imported_into_a_named_tenant(
    archive: SqlAlchemyArchive, bob_export: list[bytes], manager: SessionManager
) -> None:
    old_lines = lines_of([as_version_1(json.loads(line)) for line in bob_export])

    report = import_sessions(archive, old_lines, tenant_map={DEFAULT_TENANT: "initech"})

    assert {(e.status, e.tenant_id) for e in report.entries} == {(ImportStatus.IMPORTED, "initech")}
    assert len(manager.list_sessions(tenant_id="initech")) == 3


def test_a_version_1_record_is_as_strict_as_ever(
    archive: SqlAlchemyArchive, bob_export: list[bytes], rows: Callable[[], Any]
) -> None:
    old = as_version_1(json.loads(bob_export[2]))
    old["session"]["tenant_id"] = "globex"  # a version 2 field
    before = rows()

    with pytest.raises(InvalidInputError, match=r"line 1: session\.tenant_id: unknown field"):
        import_sessions(archive, lines_of([old]))
    assert rows() == before


def test_a_stored_turn_in_progress_is_not_exported_and_not_a_difference(
    archive: SqlAlchemyArchive,
    dataset: Any,
    manager: SessionManager,
    engine: Engine,
) -> None:
    session_id = dataset.cyd_recent_active
    session = manager.get_session(session_id)
    with engine.begin() as conn:
        conn.execute(
            update(SESSIONS)
            .where(SESSIONS.c.id == session_id)
            .values(
                turn_seq=session.message_count,
                turn_expires_at=datetime.now(UTC) + timedelta(minutes=5),
            )
        )
    exported = export_bytes(archive, SessionFilter(session_id=session_id))

    (again,) = import_sessions(archive, [exported]).entries
    assert again.status is ImportStatus.ALREADY_PRESENT

    forget_user(archive, "cyd")
    import_sessions(archive, [exported])
    restored = manager.get_session(session_id)
    assert restored.turn_seq is None and restored.turn_expires_at is None
    assert restored == session


# ---------------------------------------------------------------------- tenant mapping


def test_a_tenant_map_moves_sessions_and_their_events_to_the_new_tenant(
    archive: SqlAlchemyArchive,
    dataset: Any,
    other_tenant: Any,
    manager: SessionManager,
    rows: Callable[[], Any],
) -> None:
    exported = export_bytes(archive, SessionFilter(tenant_id="globex"))
    for user in ("ada", "cyd"):
        forget_user(archive, user, tenant_id="globex")
    defaults = owned_by(rows(), set(dataset.ids))

    report = import_sessions(archive, exported.splitlines(), tenant_map={"globex": "initech"})

    assert [(e.status, e.tenant_id) for e in report.entries] == [
        (ImportStatus.IMPORTED, "initech")
    ] * 3
    assert [s.id for s in manager.list_sessions(tenant_id="initech")][::-1] == other_tenant.ids
    assert manager.list_sessions(tenant_id="globex") == []
    assert {e.tenant_id for s in other_tenant.ids for e in whole_log(manager, s)} == {"initech"}
    assert owned_by(rows(), set(dataset.ids)) == defaults


def test_into_tenant_puts_every_session_in_that_tenant(
    archive: SqlAlchemyArchive, bob_export: list[bytes], manager: SessionManager
) -> None:
    report = import_sessions(archive, bob_export, into_tenant="initech", dry_run=True)
    assert {e.tenant_id for e in report.entries} == {"initech"}
    assert manager.list_sessions() == []

    import_sessions(archive, bob_export, into_tenant="initech")

    assert {s.tenant_id for s in manager.list_sessions()} == {"initech"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tenant_map": {"a": "b"}, "into_tenant": "c"}, "not both"),
        ({"tenant_map": {"globex": "acme corp"}}, "tenant mapping: malformed tenant id"),
        ({"into_tenant": ""}, "tenant mapping: malformed tenant id"),
    ],
    ids=["map-and-target", "bad-mapped-tenant", "bad-target"],
)
def test_a_bad_tenant_mapping_is_refused_before_anything_is_read(
    archive: SqlAlchemyArchive, bob_export: list[bytes], options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        import_sessions(archive, bob_export, **options)


# ---------------------------------------------------------------------- one active session


def test_an_active_session_is_imported_when_its_user_is_active_only_in_another_tenant(
    archive: SqlAlchemyArchive, dataset: Any, other_tenant: Any
) -> None:
    exported = export_bytes(archive, SessionFilter(session_id=dataset.cyd_recent_active))
    forget_user(archive, "cyd", tenant_id=DEFAULT_TENANT)

    (entry,) = import_sessions(archive, exported.splitlines()).entries

    assert entry.status is ImportStatus.IMPORTED  # cyd is active in globex too


def test_an_active_session_is_skipped_when_its_user_is_active_in_its_tenant(
    archive: SqlAlchemyArchive, dataset: Any, other_tenant: Any
) -> None:
    exported = export_bytes(archive, SessionFilter(session_id=other_tenant.cyd_recent_active))
    forget_user(archive, "cyd", tenant_id="globex")

    (entry,) = import_sessions(
        archive, exported.splitlines(), tenant_map={"globex": DEFAULT_TENANT}
    ).entries

    assert entry.status is ImportStatus.SKIPPED
    assert entry.reason is not None and dataset.cyd_recent_active in entry.reason
    assert "tenant 'default'" in entry.reason


def test_one_file_may_hold_active_sessions_of_one_user_in_two_tenants(
    archive: SqlAlchemyArchive, dataset: Any, other_tenant: Any
) -> None:
    exported = export_bytes(archive, SessionFilter(user_id="cyd"))
    forget_user(archive, "cyd")

    for dry_run in (True, False):
        report = import_sessions(archive, exported.splitlines(), dry_run=dry_run)
        assert report.count(ImportStatus.IMPORTED) == 2, report.entries


# ---------------------------------------------------------------------- one tenant's data


def test_export_by_tenant_reads_only_that_tenants_sessions(
    archive: SqlAlchemyArchive, dataset: Any, other_tenant: Any
) -> None:
    def ids(**criteria: Any) -> list[str]:
        return [
            r["session"]["id"] for r in records(export_bytes(archive, SessionFilter(**criteria)))
        ]

    assert ids(tenant_id="globex") == other_tenant.ids
    assert ids(tenant_id=DEFAULT_TENANT) == dataset.ids
    assert ids(tenant_id="globex", user_id="ada") == other_tenant.ids[:2]
    assert ids(tenant_id="initech") == []
    assert ids(session_id=dataset.ada_old_completed, tenant_id=DEFAULT_TENANT) == [
        dataset.ada_old_completed
    ]
    with pytest.raises(SessionNotFoundError):
        export_bytes(
            archive, SessionFilter(session_id=dataset.ada_old_completed, tenant_id="globex")
        )


def test_purge_of_one_tenant_leaves_every_other_tenants_rows_alone(
    archive: SqlAlchemyArchive,
    dataset: Any,
    other_tenant: Any,
    manager: SessionManager,
    rows: Callable[[], Any],
) -> None:
    defaults = owned_by(rows(), set(dataset.ids))
    events = len(whole_log(manager, other_tenant.ada_old_completed))

    report = purge_sessions(archive, YEAR, tenant_id="globex")

    assert report.deleted.sessions == 1 and report.deleted.events == events > 0
    assert report.kept == 0 and report.tenant_id == "globex"
    assert report.to_dict()["deleted"]["events"] == events
    assert [s.id for s in manager.list_sessions(tenant_id="globex")][::-1] == other_tenant.ids[1:]
    assert owned_by(rows(), set(dataset.ids)) == defaults


def test_forget_in_one_tenant_leaves_the_same_user_id_of_another_tenant_alone(
    archive: SqlAlchemyArchive,
    dataset: Any,
    other_tenant: Any,
    manager: SessionManager,
    rows: Callable[[], Any],
) -> None:
    globex = owned_by(rows(), set(other_tenant.ids))

    dry = forget_user(archive, "ada", tenant_id=DEFAULT_TENANT, dry_run=True)
    report = forget_user(archive, "ada", tenant_id=DEFAULT_TENANT)

    assert report.deleted == dry.deleted and report.deleted.sessions == 2
    assert manager.list_sessions(user_id="ada", tenant_id=DEFAULT_TENANT) == []
    assert owned_by(rows(), set(other_tenant.ids)) == globex
    assert manager.get_active_session("ada", tenant_id="globex") is not None


def test_forget_without_a_tenant_takes_the_user_id_in_every_tenant(
    archive: SqlAlchemyArchive, other_tenant: Any, manager: SessionManager
) -> None:
    report = forget_user(archive, "ada")

    assert report.deleted.sessions == 4 and report.tenant_id is None
    assert manager.list_sessions(user_id="ada") == []
    assert {s.user_id for s in manager.list_sessions()} == {"bob", "cyd"}

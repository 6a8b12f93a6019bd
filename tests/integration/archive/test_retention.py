"""Retention (purge) and erasure (forget) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from interview_orchestrator import InvalidInputError, SessionManager, SessionNotFoundError
from interview_orchestrator.archive import forget_user, purge_sessions
from interview_orchestrator.ports import DeletionCounts
from interview_orchestrator.store.archive import SqlAlchemyArchive

YEAR = timedelta(days=365)


def owned_by(snapshot: dict[str, list[tuple[Any, ...]]], session_ids: set[str]) -> Any:
    """The rows of ``snapshot`` that belong to the given sessions, table by table."""
    return {
        table: [row for row in found if row[0] in session_ids]  # id or session_id
        for table, found in snapshot.items()
    }


def expected_counts(container: Any, session_ids: list[str]) -> DeletionCounts:
    """What deleting these sessions must remove, read through the data store."""
    store = container.data_store()
    manager = container.session_manager()
    return DeletionCounts(
        sessions=len(session_ids),
        messages=sum(len(store.get_transcript(s)) for s in session_ids),
        transitions=sum(len(store.list_transitions(s)) for s in session_ids),
        evaluations=sum(store.get_evaluation(s) is not None for s in session_ids),
        notes=sum(len(store.get_notes(s)) for s in session_ids),
        events=sum(len(manager.events(s, limit=1000)) for s in session_ids),
    )


def test_purge_deletes_old_finished_sessions_with_everything_attached(
    container: Any,
    archive: SqlAlchemyArchive,
    dataset: Any,
    rows: Callable[[], Any],
    clock: Any,
) -> None:
    doomed = [dataset.ada_old_completed, dataset.bob_old_created]
    expected = expected_counts(container, doomed)
    survivors = set(dataset.ids) - set(doomed)
    kept_rows = owned_by(rows(), survivors)

    report = purge_sessions(archive, YEAR, now=clock())

    assert report.deleted == expected and expected.messages and expected.notes and expected.events
    assert report.kept == 2  # ada's old ACTIVE and bob's old PAUSED session
    assert not report.dry_run and report.created_before == clock() - YEAR
    after = rows()
    assert owned_by(after, set(doomed)) == {table: [] for table in after}
    assert owned_by(after, survivors) == kept_rows
    for session_id in doomed:
        with pytest.raises(SessionNotFoundError):
            container.session_manager().get_session(session_id)


def test_purge_by_user_touches_no_one_else(
    archive: SqlAlchemyArchive, dataset: Any, rows: Callable[[], Any], clock: Any
) -> None:
    others = owned_by(rows(), set(dataset.ids) - {dataset.bob_old_created})

    report = purge_sessions(archive, YEAR, user_id="bob", now=clock())

    assert report.deleted.sessions == 1 and report.kept == 1 and report.user_id == "bob"
    assert owned_by(rows(), set(dataset.ids) - {dataset.bob_old_created}) == others


def test_purge_never_removes_active_or_paused_sessions_whatever_their_age(
    archive: SqlAlchemyArchive, dataset: Any, manager: SessionManager, clock: Any
) -> None:
    report = purge_sessions(archive, timedelta(0), now=clock() + timedelta(days=1))

    assert report.deleted.sessions == 3 and report.kept == 3
    remaining = {s.id for s in manager.list_sessions(limit=100)}
    assert remaining == {dataset.ada_old_active, dataset.bob_old_paused, dataset.cyd_recent_active}


def test_a_dry_run_purge_counts_exactly_what_the_purge_then_deletes(
    archive: SqlAlchemyArchive, dataset: Any, rows: Callable[[], Any], clock: Any
) -> None:
    before = rows()

    dry = purge_sessions(archive, YEAR, dry_run=True, now=clock())

    assert dry.dry_run and rows() == before
    real = purge_sessions(archive, YEAR, now=clock(), batch_size=1)
    assert real.deleted == dry.deleted and real.kept == dry.kept
    assert real.deleted.sessions == 2


def test_forget_removes_every_session_of_the_user_and_nothing_of_others(
    container: Any,
    archive: SqlAlchemyArchive,
    dataset: Any,
    manager: SessionManager,
    rows: Callable[[], Any],
) -> None:
    bobs = [dataset.bob_old_created, dataset.bob_old_paused, dataset.bob_recent_completed]
    expected = expected_counts(container, bobs)
    others = owned_by(rows(), set(dataset.ids) - set(bobs))

    dry = forget_user(archive, "bob", dry_run=True)
    assert dry.deleted == expected and manager.list_sessions(user_id="bob")

    report = forget_user(archive, "bob", batch_size=2)

    assert report.deleted == expected and report.user_id == "bob"
    assert manager.list_sessions(user_id="bob") == []
    after = rows()
    assert owned_by(after, set(bobs)) == {table: [] for table in after}
    assert owned_by(after, set(dataset.ids) - set(bobs)) == others


def test_forget_takes_an_active_session_too_and_an_unknown_user_is_no_error(
    archive: SqlAlchemyArchive, dataset: Any, manager: SessionManager
) -> None:
    assert forget_user(archive, "cyd").deleted.sessions == 1
    assert manager.get_active_session("cyd") is None
    assert forget_user(archive, "nobody").deleted == DeletionCounts()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a: purge_sessions(a, -YEAR), "must not be negative"),
        (lambda a: purge_sessions(a, timedelta(days=999_999)), "before year 1"),
        (lambda a: purge_sessions(a, YEAR, user_id=" "), "user id"),
        (lambda a: forget_user(a, ""), "user id"),
    ],
    ids=["negative-age", "too-old", "blank-user", "forget-blank-user"],
)
def test_bad_retention_arguments_are_refused(
    archive: SqlAlchemyArchive, call: Callable[[Any], Any], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call(archive)

"""Statements run on the driver (``store/driver.py``) behave as SQLAlchemy's own: the same
stored values, the same errors, the same listeners, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, bindparam, event, insert, select
from sqlalchemy.exc import IntegrityError

from interview_orchestrator.store.driver import DriverStatement
from interview_orchestrator.store.schema import TRANSITIONS
from interview_orchestrator.store.transactions import Transactions

if TYPE_CHECKING:
    from conftest import Driver

COLUMNS = ("session_id", "from_status", "to_status", "operation", "reason", "at")
INSERT = DriverStatement(insert(TRANSITIONS).inline(), column_keys=COLUMNS)
READ = DriverStatement(
    select(TRANSITIONS.c.at, TRANSITIONS.c.reason)
    .where(TRANSITIONS.c.session_id == bindparam("b_id"))
    .order_by(TRANSITIONS.c.id)
)


def row(session_id: str, at: datetime, reason: str | None = "because") -> dict[str, Any]:
    return {
        "session_id": session_id,
        "from_status": "created",
        "to_status": "active",
        "operation": "start",
        "reason": reason,
        "at": at,
    }


def test_values_written_on_the_driver_are_stored_as_sqlalchemy_stores_them(
    engine: Engine, driver: Driver
) -> None:
    session = driver.created()
    # An offset other than UTC: the column type converts it, on the driver path too.
    at = datetime(2026, 5, 1, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    tx = Transactions(engine)
    tx.write("write", lambda conn: INSERT.run_many(conn, [row(session.id, at)]))
    tx.write("write", lambda conn: conn.execute(insert(TRANSITIONS).values(**row(session.id, at))))
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT at FROM transitions ORDER BY id").scalars().all()
        through_core = conn.execute(select(TRANSITIONS.c.at).order_by(TRANSITIONS.c.id)).all()
    assert stored[0] == stored[1]  # byte for byte what SQLAlchemy writes
    assert [r.at for r in through_core] == [at.astimezone(UTC)] * 2


def test_rows_read_on_the_driver_come_back_processed_by_their_column_types(
    engine: Engine, driver: Driver
) -> None:
    session = driver.created()
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    tx = Transactions(engine)
    tx.write("write", lambda conn: INSERT.run_many(conn, [row(session.id, at, None)]))
    found = tx.read("read", lambda conn: READ.rows(conn, {"b_id": session.id}))
    assert found == [{"at": at, "reason": None}]
    assert found[0]["at"].tzinfo is not None


def test_a_constraint_violated_on_the_driver_is_sqlalchemys_integrity_error(
    engine: Engine,
) -> None:
    tx = Transactions(engine)
    missing = "00000000-0000-4000-8000-000000000000"  # no such session: the foreign key fails
    with pytest.raises(IntegrityError):
        tx.write(
            "write",
            lambda conn: INSERT.run_many(conn, [row(missing, datetime.now(UTC))]),
            pass_integrity=True,
        )
    with engine.connect() as conn:  # nothing half-written
        assert conn.exec_driver_sql("SELECT count(*) FROM transitions").scalar_one() == 0


def test_listeners_of_before_cursor_execute_see_driver_statements(
    engine: Engine, driver: Driver
) -> None:
    session = driver.created()
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        Transactions(engine).read("read", lambda conn: READ.rows(conn, {"b_id": session.id}))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert any("FROM transitions" in statement for statement in seen)

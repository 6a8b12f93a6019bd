"""A user's and a tenant's sessions are listed from an index, never by scanning the table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event, text

from interview_orchestrator.store.sqlalchemy_store import SqlAlchemyDataStore

INDEX = "ix_sessions_user_id_created_at_id"


def captured_sql(engine: Engine, call: Any) -> tuple[str, Any]:
    """The SQL statement and parameters that ``call`` sends (the last SELECT on sessions)."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM sessions" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen[-1]


def plan(engine: Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = off")  # tiny tables: show which index serves it
        cursor.execute(f"EXPLAIN {statement}", parameters)
        rows = "\n".join(str(row[0]) for row in cursor.fetchall())
        conn.execute(text("RESET enable_seqscan"))
        return rows


def test_a_users_page_of_sessions_is_served_by_the_user_index(
    engine: Engine, store: SqlAlchemyDataStore
) -> None:
    statement, parameters = captured_sql(
        engine, lambda: store.list_sessions(user_id="u-1", status=None, limit=50, offset=0)
    )
    explained = plan(engine, statement, parameters)
    assert INDEX in explained, explained
    assert "SCAN sessions" not in explained and "Seq Scan" not in explained, explained
    assert "TEMP B-TREE" not in explained and "Sort" not in explained.split("Index")[0], explained


def test_a_users_next_page_by_cursor_is_served_by_the_user_index(
    engine: Engine, store: SqlAlchemyDataStore
) -> None:
    from datetime import UTC, datetime

    from interview_orchestrator.models import Session, SessionConfig, SessionStatus

    cursor = store.add_session(
        Session(
            id="0f6f1a2e-3b4c-4d5e-8f90-112233445566",
            user_id="u-1",
            status=SessionStatus.CREATED,
            config=SessionConfig(),
            created_at=datetime.now(UTC),
        )
    )
    statement, parameters = captured_sql(
        engine,
        lambda: store.list_sessions(
            user_id="u-1", status=None, limit=50, offset=0, after=cursor.id
        ),
    )
    explained = plan(engine, statement, parameters)
    assert INDEX in explained, explained
    assert "SCAN sessions" not in explained and "Seq Scan" not in explained, explained


def test_a_tenants_user_page_is_served_by_the_tenant_user_index(
    engine: Engine, store: SqlAlchemyDataStore
) -> None:
    statement, parameters = captured_sql(
        engine,
        lambda: store.list_sessions(
            user_id="u-1", status=None, limit=50, offset=0, tenant_id="acme"
        ),
    )
    explained = plan(engine, statement, parameters)
    # SQLite takes the (tenant, user) index; PostgreSQL's planner may prefer the tenant's
    # index on a near-empty table: either serves the page in order without a scan.
    assert "ix_sessions_tenant_id_" in explained, explained
    assert "SCAN sessions" not in explained and "Seq Scan" not in explained, explained
    assert "TEMP B-TREE" not in explained and "Sort" not in explained.split("Index")[0], explained


def test_a_tenants_page_is_served_by_the_tenant_index(
    engine: Engine, store: SqlAlchemyDataStore
) -> None:
    statement, parameters = captured_sql(
        engine,
        lambda: store.list_sessions(
            user_id=None, status=None, limit=50, offset=0, tenant_id="acme"
        ),
    )
    explained = plan(engine, statement, parameters)
    assert "ix_sessions_tenant_id_created_at_id" in explained, explained
    assert "SCAN sessions" not in explained and "Seq Scan" not in explained, explained
    assert "TEMP B-TREE" not in explained and "Sort" not in explained.split("Index")[0], explained

"""The packaged migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

from interview_orchestrator.errors import DataStoreError
from interview_orchestrator.store import check, create_engine_for, current, head_revision, upgrade
from interview_orchestrator.store.migrate import downgrade

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_upgrade_then_check_is_clean(blank_database_url: str) -> None:
    engine = create_engine_for(blank_database_url)
    try:
        assert current(engine) is None
        upgrade(engine)
        assert current(engine) == head_revision()
        check(engine)
    finally:
        engine.dispose()


def test_upgrade_twice_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    assert current(engine) == head_revision()
    check(engine)


def test_check_reports_drift(blank_database_url: str) -> None:
    engine = create_engine_for(blank_database_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_sessions_created_at_id"))
        with pytest.raises(DataStoreError, match="differs from the models"):
            check(engine)
    finally:
        engine.dispose()


def test_check_refuses_an_unmigrated_database(blank_database_url: str) -> None:
    engine = create_engine_for(blank_database_url)
    try:
        with pytest.raises(DataStoreError, match="not up to date"):
            check(engine)
    finally:
        engine.dispose()


def test_migrated_schema_has_the_partial_unique_index(engine: Engine) -> None:
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("sessions")}
    one_active = indexes["uq_sessions_tenant_id_user_id_active"]
    assert one_active["unique"]
    assert one_active["column_names"] == ["tenant_id", "user_id"]
    dialect_options = one_active.get("dialect_options", {})
    where = dialect_options.get(f"{engine.dialect.name}_where")
    assert "active" in str(where)


def test_downgrade_to_base_and_back(blank_database_url: str) -> None:
    engine = create_engine_for(blank_database_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert current(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        check(engine)
    finally:
        engine.dispose()


def test_alembic_command_line_from_the_repository_root(blank_database_url: str) -> None:
    env = {**os.environ, "INTERVIEW_DATABASE_URL": blank_database_url}
    alembic = [sys.executable, "-m", "alembic"]
    for args in (["upgrade", "head"], ["check"], ["current"]):
        done = subprocess.run(
            [*alembic, *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert (
        "No new upgrade operations detected"
        in subprocess.run(
            [*alembic, "check"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )


def test_upgrade_from_0002_puts_existing_sessions_in_the_default_tenant(
    blank_database_url: str,
) -> None:
    engine = create_engine_for(blank_database_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sessions (id, user_id, status, template, ai_provider, config, "
                    "interviewer_state, created_at, active_seconds, message_count, version) "
                    "VALUES ('3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d', 'cand-1', 'active', "
                    "'system_design', 'offline', '{\"enabled_modes\": [\"text\"]}', '{}', "
                    "'2026-11-20 09:00:00+00:00', 0, 0, 1)"
                )
            )
        upgrade(engine)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT tenant_id, event_count, turn_seq FROM sessions")).one()
        assert tuple(row) == ("default", 0, None)
        check(engine)
    finally:
        engine.dispose()


def test_a_store_on_an_unmigrated_database_says_to_run_db_upgrade(
    blank_database_url: str,
) -> None:
    from interview_orchestrator.store import SqlAlchemyDataStore

    engine = create_engine_for(blank_database_url)
    try:
        with pytest.raises(DataStoreError, match="interview-orchestrator db upgrade"):
            SqlAlchemyDataStore(engine).get_session("3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d")
    finally:
        engine.dispose()


def _insert_session(conn: Any, session_id: str, user_id: str, status: str) -> None:
    conn.execute(
        text(
            "INSERT INTO sessions (id, user_id, status, template, ai_provider, config, "
            "interviewer_state, created_at, active_seconds, message_count, version) "
            "VALUES (:id, :user_id, :status, 'system_design', 'offline', "
            "'{\"enabled_modes\": [\"text\"]}', '{}', '2026-11-20 09:00:00+00:00', 0, 0, 1)"
        ),
        {"id": session_id, "user_id": user_id, "status": status},
    )


def test_upgrade_to_0005_stores_user_ids_in_normal_form_c(blank_database_url: str) -> None:
    engine = create_engine_for(blank_database_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as conn:
            _insert_session(conn, "3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d", "jose\u0301", "active")
            _insert_session(conn, "4f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d", "jos\u00e9", "completed")
            _insert_session(conn, "5f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d", "cand-1", "active")
        upgrade(engine)
        with engine.connect() as conn:
            users = conn.execute(text("SELECT user_id FROM sessions ORDER BY id")).scalars().all()
        assert users == ["jos\u00e9", "jos\u00e9", "cand-1"]
    finally:
        engine.dispose()


def test_upgrade_to_0005_refuses_two_active_spellings_of_one_user_and_changes_nothing(
    blank_database_url: str,
) -> None:
    engine = create_engine_for(blank_database_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as conn:
            _insert_session(conn, "3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d", "jose\u0301", "active")
            _insert_session(conn, "4f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d", "jos\u00e9", "active")

        with pytest.raises(DataStoreError, match=r"3f2b8c1e.*4f2b8c1e.*end one of each pair"):
            upgrade(engine)

        assert current(engine) == "0004"
        with engine.connect() as conn:
            users = conn.execute(text("SELECT user_id FROM sessions ORDER BY id")).scalars().all()
        assert users == ["jose\u0301", "jos\u00e9"]
    finally:
        engine.dispose()

"""A database that cannot be reached is a DataStoreError an operator can act on."""

from __future__ import annotations

import pytest

from interview_orchestrator import DataStoreError
from interview_orchestrator.store import SqlAlchemyDataStore, create_engine_for


def test_an_unreachable_postgresql_server_says_it_could_not_connect() -> None:
    engine = create_engine_for("postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=2")
    try:
        with pytest.raises(DataStoreError, match="could not connect to the database"):
            SqlAlchemyDataStore(engine).list_sessions(user_id=None, status=None, limit=1, offset=0)
    finally:
        engine.dispose()

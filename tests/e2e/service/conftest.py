"""The service as an operator runs it, on SQLite and PostgreSQL (``service_support``).

``database_url`` is parametrized: a SQLite file of the test's own (``serve`` migrates it), and
a new PostgreSQL database, migrated (with ``TEST_POSTGRES_URL``; the scratch databases come
from ``tests/integration/conftest.py``, whose fixtures are not visible from here otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from service_support import Processes, migrated
from tests.integration.conftest import (  # noqa: F401  (fixtures used below)
    new_postgres_database,
    postgres_server,
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    yield started
    started.finish()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of the test's own: a SQLite file or a new migrated PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return migrated(request.getfixturevalue("new_postgres_database")())


@pytest.fixture
def postgres_database(new_postgres_database: Callable[[], str]) -> str:  # noqa: F811
    """A new migrated PostgreSQL database (skipped without TEST_POSTGRES_URL)."""
    return migrated(new_postgres_database())

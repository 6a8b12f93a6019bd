"""Alembic environment of the interview store.

The database comes from, in order: a Connection passed programmatically in
``config.attributes["connection"]`` (what ``interview_orchestrator.store.migrate`` does), the
``sqlalchemy.url`` option, or the ``INTERVIEW_DATABASE_URL`` environment variable.
"""

from __future__ import annotations

import logging.config
import os
from collections.abc import Iterable
from typing import Any, Final, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text

from interview_orchestrator.errors import DataStoreError, InvalidInputError
from interview_orchestrator.store.engine import create_engine_for, normalize_url
from interview_orchestrator.store.schema import UtcDateTime, metadata

URL_VARIABLE: Final = "INTERVIEW_DATABASE_URL"
#: pg_advisory_xact_lock key: two processes migrating at once run one after the other.
_PG_MIGRATION_LOCK: Final = 0x1A7E_0001

config = context.config

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(URL_VARIABLE)
    if not url:
        raise InvalidInputError(
            f"no database to migrate: set {URL_VARIABLE} or sqlalchemy.url in alembic.ini"
        )
    return url


def _skip_empty_revisions(
    _context: MigrationContext, _revision: Any, directives: list[MigrationScript]
) -> None:
    """``alembic revision --autogenerate`` with no change writes no file."""
    cmd_opts = config.cmd_opts
    if not getattr(cmd_opts, "autogenerate", False) or not directives:
        return
    script = directives[0]
    if all(ops.is_empty() for ops in script.upgrade_ops_list):
        directives[:] = []


def _render_item(type_: str, obj: Any, _autogen_context: AutogenContext) -> str | Literal[False]:
    """Migrations must not import the application: render our column type as its impl."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**options: Any) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=True,
        render_item=_render_item,
        process_revision_directives=_skip_empty_revisions,
        **options,
    )


def _sqlite_pragma(connection: Connection, statement: str) -> list[Any]:
    """Run a PRAGMA on the DBAPI connection itself, outside any transaction."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
        rows: Iterable[Any] = cursor.fetchall()
        return list(rows)
    finally:
        cursor.close()


def run_migrations_offline() -> None:
    url = normalize_url(_database_url())
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    # SQLite: batch migrations copy and drop tables, which with foreign keys on would cascade
    # deletes; SQLite's own procedure turns them off around the change and checks after.
    fk_off = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if fk_off:
        _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        # transactional_ddl: the store's engines emit BEGIN themselves, so on SQLite too the
        # whole upgrade is one transaction and a failure leaves the schema as it was.
        _configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            context.run_migrations()
            if fk_off:
                broken = _sqlite_pragma(connection, "PRAGMA foreign_key_check")
                if broken:
                    raise DataStoreError(f"migration broke foreign keys: {broken[:5]}")
    finally:
        if fk_off:
            _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_engine_for(_database_url())
    try:
        with engine.connect() as conn:
            _run_on(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

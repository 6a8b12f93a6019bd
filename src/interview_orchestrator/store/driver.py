"""Statements of the hot path, run on the driver's connection.

A turn is a handful of small statements, and through SQLAlchemy's execution path each cost
several times what the database spends on it (compiled-cache lookup, parameter construction,
events, result set-up). A ``DriverStatement`` is still written in SQLAlchemy Core, compiled
once per dialect with its column types' own bind and result processors (so encryption, UTC
timestamps and JSON behave exactly as everywhere else), then executed on the DBAPI connection
of the caller's SQLAlchemy transaction: same transaction, same connection, same locks.

Listeners of ``before_cursor_execute`` (tracing) are told of each statement; SQLAlchemy's
``echo`` does not show them. A driver error is raised as SQLAlchemy's ``DBAPIError`` subclass
for it (after invalidating the connection if it was lost), so that the transaction runner
retries and translates it like any other.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: Whether the driver takes the parameters as a tuple (positional styles: SQLite's ``?``)
    #: rather than a dict by name (PostgreSQL's ``%(name)s``).
    positional: bool
    #: Each parameter in the driver's order: its name, the value it takes when not given (a
    #: constant of the statement, else None) and its type's bind processor.
    parameters: tuple[tuple[str, Any, Processor], ...]
    keys: tuple[str, ...]
    #: The columns' result processors, known once a cursor has described the result (they
    #: depend on the type the driver reports, e.g. PostgreSQL's numeric kinds); then kept.
    results: list[tuple[tuple[str, Callable[[Any], Any]], ...]]


class DriverStatement:
    """A Core statement executed on the driver connection of a SQLAlchemy transaction.

    Parameters are given by their bind names (``bindparam("b_id")`` → ``"b_id"``; an insert's
    by column name); rows come back as dicts of the selected or returned columns, each value
    processed by its column type.
    """

    def __init__(self, statement: ClauseElement, *, column_keys: Sequence[str] | None = None):
        self._statement = statement
        self._column_keys = None if column_keys is None else list(column_keys)
        self._by_dialect: weakref.WeakKeyDictionary[Dialect, _Compiled] = (
            weakref.WeakKeyDictionary()
        )

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect)
        if found is None:
            found = self._by_dialect[dialect] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled: Any = self._statement.compile(dialect=dialect, column_keys=self._column_keys)
        # Keyed by the names the SQL renders (an anonymous bind, such as the 1 of
        # ``count + 1``, gets one at compile time and keeps its value as a constant).
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        positions = compiled.positiontup
        parameters = tuple(
            (
                name,
                None if bind.required or bind.callable is not None else bind.value,
                bind.type.dialect_impl(dialect).bind_processor(dialect),
            )
            for name, bind in ((name, by_name[name]) for name in (positions or list(by_name)))
        )
        columns = list(getattr(self._statement, "exported_columns", ()))
        return _Compiled(
            sql=compiled.string,
            positional=positions is not None,
            parameters=parameters,
            keys=tuple(column.key for column in columns),
            results=[],
        )

    def _result_processors(
        self, compiled: _Compiled, dialect: Dialect, cursor: Any
    ) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
        """The columns that have a result processor, with it (the others are taken as the
        driver returns them)."""
        if not compiled.results:
            columns = list(getattr(self._statement, "exported_columns", ()))
            processors = (
                (column.key, column.type.dialect_impl(dialect).result_processor(dialect, kind[1]))
                for column, kind in zip(columns, cursor.description, strict=True)
            )
            compiled.results.append(
                tuple((key, process) for key, process in processors if process is not None)
            )
        return compiled.results[0]

    @staticmethod
    def _arguments(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
        values = tuple(
            value if process is None else process(value)
            for value, process in (
                (params.get(name, default), process)
                for name, default, process in compiled.parameters
            )
        )
        if compiled.positional:
            return values
        return dict(zip((name for name, _, _ in compiled.parameters), values, strict=True))

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run the statement with ``params``; its rows (for a SELECT or a RETURNING)."""
        compiled = self._compiled(conn.dialect)
        arguments = self._arguments(compiled, params)
        cursor = self._run(
            conn, compiled, arguments, lambda c: c.execute(compiled.sql, arguments), many=False
        )
        if not compiled.keys:
            return []
        keys = compiled.keys
        processed = self._result_processors(compiled, conn.dialect, cursor)
        found = []
        for row in cursor.fetchall():
            values = dict(zip(keys, row, strict=True))
            for key, process in processed:
                values[key] = process(values[key])
            found.append(values)
        return found

    def first(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self.rows(conn, params)
        return found[0] if found else None

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per parameter set (an insert of several rows)."""
        if not rows:
            return
        compiled = self._compiled(conn.dialect)
        arguments = [self._arguments(compiled, row) for row in rows]
        self._run(
            conn, compiled, arguments, lambda c: c.executemany(compiled.sql, arguments), many=True
        )

    @staticmethod
    def _run(
        conn: Connection,
        compiled: _Compiled,
        arguments: Any,
        call: Callable[[Any], Any],
        *,
        many: bool,
    ) -> Any:
        dialect = conn.dialect
        dbapi_connection = conn.connection.dbapi_connection
        cursor = dbapi_connection.cursor()  # type: ignore[union-attr]
        if conn.dispatch.before_cursor_execute:
            # Listeners (tracing, tests) see these statements as they see every other one.
            conn.dispatch.before_cursor_execute(conn, cursor, compiled.sql, arguments, None, many)
        try:
            call(cursor)
        except dialect.loaded_dbapi.Error as exc:
            lost = dialect.is_disconnect(exc, dbapi_connection, cursor)
            if lost:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                compiled.sql,
                None,
                exc,
                dialect.loaded_dbapi.Error,
                hide_parameters=True,
                connection_invalidated=lost,
                dialect=dialect,
            ) from exc
        return cursor

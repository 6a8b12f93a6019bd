"""The ``DataStore`` on SQLAlchemy Core: SQLite files and PostgreSQL.

A thin front over the store's modules, one per aggregate, sharing one transaction runner:
``sessions`` (status changes), ``transcript`` (messages, turns, notes, events),
``evaluations`` (claims and leases) and ``reporting`` (statistics, sweeps). Every method is one
short transaction; nothing is held between calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ..ports import DataStore
from .evaluations import EvaluationRepository
from .reporting import ReportingQueries
from .sessions import SessionRepository
from .transactions import EventsCommitted, Transactions
from .transcript import TranscriptRepository


class SqlAlchemyDataStore(
    SessionRepository, TranscriptRepository, EvaluationRepository, ReportingQueries
):
    """``DataStore`` on an engine from ``create_engine_for`` (SQLite or PostgreSQL).

    ``max_attempts`` bounds the retries of a transaction that met lock contention (SQLite
    "database is locked", PostgreSQL serialization failure or deadlock). ``on_events`` is
    told ``(session_id, first, last)`` after each commit that added events to a session's log
    (the container passes the communication manager's ``notify``).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_attempts: int = 5,
        retry_delay: float = 0.02,
        on_events: EventsCommitted | None = None,
    ):
        tx = Transactions(
            engine, max_attempts=max_attempts, retry_delay=retry_delay, on_events=on_events
        )
        # Every repository keeps the runner as ``_tx``; one runner serves them all.
        TranscriptRepository.__init__(self, tx)

    @property
    def engine(self) -> Engine:
        return self._tx.engine

    @property
    def transactions(self) -> Transactions:
        return self._tx


if TYPE_CHECKING:

    def _implements_the_port(store: SqlAlchemyDataStore) -> DataStore:
        """mypy checks here that the class satisfies the ``DataStore`` protocol."""
        return store

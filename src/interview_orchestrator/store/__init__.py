"""Persistence: the SQLAlchemy ``DataStore``, its engines and its migrations."""

from .engine import create_engine_for
from .migrate import check, current, head_revision, upgrade
from .sqlalchemy_store import SqlAlchemyDataStore

__all__ = [
    "SqlAlchemyDataStore",
    "check",
    "create_engine_for",
    "current",
    "head_revision",
    "upgrade",
]

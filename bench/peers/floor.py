"""The floor, peer-style: plain ``sqlite3`` on a minimal schema, one commit per message.

Not ``bench/floor.py`` (which repeats the library's own statements on the library's schema):
this floor is the least a session store can do for each operation of the peer comparison.
Append: one message row inserted, committed. Read: a session's messages in order. End: the
session row updated and a transition row inserted, one commit. List: a page of 50 of a user's
sessions, newest first. WAL, ``synchronous`` FULL, foreign keys on, ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from typing import Any, Final

from ..plan import peak_rss_kib
from .common import Clock, Sizes, check, message, pragmas, result

_SCHEMA: Final = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id, created_at DESC, id DESC);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX messages_by_session ON messages (session_id, id);
CREATE TABLE transitions (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    to_status TEXT NOT NULL,
    at REAL NOT NULL
);
"""
_CREATE: Final = (
    "INSERT INTO sessions (id, user_id, status, created_at, updated_at) "
    "VALUES (?, ?, 'active', ?, ?)"
)
_APPEND: Final = "INSERT INTO messages (session_id, role, content, created_at) VALUES (?, ?, ?, ?)"
_READ: Final = "SELECT role, content, created_at FROM messages WHERE session_id = ? ORDER BY id"
_END: Final = "UPDATE sessions SET status = 'ended', updated_at = ? WHERE id = ?"
_TRANSITION: Final = "INSERT INTO transitions (session_id, to_status, at) VALUES (?, 'ended', ?)"
_LIST: Final = (
    "SELECT id, user_id, status, created_at, updated_at FROM sessions WHERE user_id = ? "
    "ORDER BY created_at DESC, id DESC LIMIT 50"
)


def run(path: str, sessions: int, messages: int, synchronous: str = "FULL") -> dict[str, Any]:
    """The workload on a new SQLite file at ``path``."""
    rss_after_import = peak_rss_kib()
    sizes = Sizes(sessions, messages)
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    db.executescript(_SCHEMA)
    settings = pragmas(db)
    clock = Clock()
    began = time.perf_counter()
    try:
        _drive(db, clock, sizes)
    finally:
        db.close()
    total = time.perf_counter() - began
    return result(clock, total=total, rss_after_import_kib=rss_after_import, settings=settings)


def _write(db: sqlite3.Connection, *statements: tuple[str, tuple[Any, ...]]) -> None:
    db.execute("BEGIN IMMEDIATE")
    for sql, params in statements:
        db.execute(sql, params)
    db.execute("COMMIT")


def _drive(db: sqlite3.Connection, clock: Clock, sizes: Sizes) -> None:
    ids: list[str] = []
    for index in range(sizes.sessions):
        with clock.step("create"):
            sid = str(uuid.uuid4())
            now = time.time()
            _write(db, (_CREATE, (sid, sizes.user_id(index), now, now)))
        ids.append(sid)
    for sid in ids:
        for index in range(sizes.messages):
            role, text = message(index)
            with clock.step("append", messages=1):
                _write(db, (_APPEND, (sid, role, text, time.time())))
    for sid in ids:
        with clock.step("read"):
            rows = db.execute(_READ, (sid,)).fetchall()
        check(len(rows) == sizes.messages, f"{sid} has {len(rows)} messages")
    for sid in ids:
        with clock.step("end"):
            now = time.time()
            _write(db, (_END, (now, sid)), (_TRANSITION, (sid, now)))
    for call in range(sizes.list_calls):
        owner = sizes.user_id(call)
        with clock.step("list"):
            page = db.execute(_LIST, (owner,)).fetchall()
        check(bool(page) and all(row[1] == owner for row in page), f"listing of {owner}")

"""The OpenAI Agents SDK's ``SQLiteSession`` (package ``openai-agents``), in the peers' venv.

One ``SQLiteSession`` per conversation, all on one file; its API is async (each call runs its
``sqlite3`` work in a worker thread, ``asyncio.to_thread``). Append is ``add_items`` with one
item, so one commit per message (the call also does ``INSERT OR IGNORE`` of the session row and
updates its ``updated_at``); read is ``get_items()``. It has no create (the first ``add_items``
creates the session row), no end and no listing. The session objects are built, connected and
closed outside the clock: their constructor runs the schema's ``CREATE ... IF NOT EXISTS``, and
with the event loop's executor reduced to one thread each object has one connection, opened
before its first timed call (in the SDK's default pool of several threads, an object opens a
connection in each thread it lands on).
The journal mode and ``synchronous`` are the SDK's own: it sets WAL and leaves ``synchronous``
at SQLite's default.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any

from agents import SQLiteSession

from ..plan import peak_rss_kib
from .common import Clock, Sizes, check, message, pragmas, result

_RSS_AFTER_IMPORT = peak_rss_kib()
_ROLES = {"candidate": "user", "interviewer": "assistant"}


def run(path: str, sessions: int, messages: int) -> dict[str, Any]:
    """The workload on a new SQLite file at ``path``."""
    clock = Clock()
    began = time.perf_counter()
    settings = asyncio.run(_drive(path, clock, Sizes(sessions, messages)))
    total = time.perf_counter() - began
    return result(
        clock,
        total=total,
        rss_after_import_kib=_RSS_AFTER_IMPORT,
        settings=settings,
        version=metadata.version("openai-agents"),
    )


def _settings(session: SQLiteSession) -> dict[str, str]:
    """The pragmas of the connection the session uses in the worker thread."""
    return pragmas(session._get_connection())


async def _connected(sid: str, path: str) -> SQLiteSession:
    """A session whose worker-thread connection is open."""
    session = SQLiteSession(sid, path)
    await asyncio.to_thread(session._get_connection)
    return session


async def _drive(path: str, clock: Clock, sizes: Sizes) -> dict[str, str]:
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=1))
    ids = [f"session-{index:06d}" for index in range(sizes.sessions)]
    settings: dict[str, str] = {}
    for sid in ids:
        session = await _connected(sid, path)
        try:
            for index in range(sizes.messages):
                role, text = message(index)
                item: Any = {"role": _ROLES[role], "content": text}
                with clock.step("append", messages=1):
                    await session.add_items([item])
            if not settings:
                settings = await asyncio.to_thread(_settings, session)
        finally:
            session.close()
    for sid in ids:
        session = await _connected(sid, path)
        try:
            with clock.step("read"):
                items = await session.get_items()
        finally:
            session.close()
        check(len(items) == sizes.messages, f"{sid} has {len(items)} items")
    return settings

"""Google ADK's ``SqliteSessionService`` (package ``google-adk``), in the peers' venv.

One service for the whole run, on one file; its API is async and every call opens its own
``aiosqlite`` connection (a thread of its own), as the service does. Create is
``create_session``; append is ``append_event`` with one ``Event`` per message (the event built
inside the clock, as a caller must build it; the service checks the session is not stale,
inserts the event and updates the session's time, one commit); read is ``get_session`` (every
event, parsed back into ``Event`` objects); end is ``append_event`` of an event whose
``state_delta`` marks the session ended (ADK has no end: this is the closest operation, one
commit that merges the state and inserts the event); list is ``list_sessions`` for the user
(ADK has no page size: it returns all of the user's sessions, oldest first). The journal mode
and ``synchronous`` are the service's own: it sets neither, so SQLite's defaults apply.

To keep the held ``Session`` objects small, each one's in-memory list of events is emptied
once its messages are stored; end is then given that session (no extra read inside the clock).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from importlib import metadata
from typing import Any

from google.adk.events import Event, EventActions
from google.adk.sessions.session import Session
from google.adk.sessions.sqlite_session_service import SqliteSessionService
from google.genai import types

from ..plan import peak_rss_kib
from .common import APP_NAME, Clock, Sizes, check, message, pragmas, result

_RSS_AFTER_IMPORT = peak_rss_kib()
_ROLES = {"candidate": "user", "interviewer": "model"}


def run(path: str, sessions: int, messages: int) -> dict[str, Any]:
    """The workload on a new SQLite file at ``path``."""
    clock = Clock()
    began = time.perf_counter()
    asyncio.run(_drive(SqliteSessionService(path), clock, Sizes(sessions, messages)))
    total = time.perf_counter() - began
    with sqlite3.connect(path) as connection:  # a connection as aiosqlite opens one
        settings = pragmas(connection)
    return result(
        clock,
        total=total,
        rss_after_import_kib=_RSS_AFTER_IMPORT,
        settings=settings,
        version=metadata.version("google-adk"),
    )


def _event(index: int, invocation: str) -> Event:
    role, text = message(index)
    return Event(
        author=role,
        invocation_id=invocation,
        content=types.Content(role=_ROLES[role], parts=[types.Part(text=text)]),
    )


async def _drive(service: SqliteSessionService, clock: Clock, sizes: Sizes) -> None:
    held: list[Session] = []
    for index in range(sizes.sessions):
        with clock.step("create"):
            created = await service.create_session(app_name=APP_NAME, user_id=sizes.user_id(index))
        held.append(created)
    for session in held:
        for index in range(sizes.messages):
            with clock.step("append", messages=1):
                await service.append_event(session, _event(index, f"turn-{index // 2}"))
        session.events.clear()
    for session in held:
        with clock.step("read"):
            stored = await service.get_session(
                app_name=APP_NAME, user_id=session.user_id, session_id=session.id
            )
        check(stored is not None and len(stored.events) == sizes.messages, f"{session.id}")
    for session in held:
        with clock.step("end"):
            ended = Event(
                author="system",
                invocation_id="end",
                actions=EventActions(state_delta={"status": "ended"}),
            )
            await service.append_event(session, ended)
        check(session.state.get("status") == "ended", f"{session.id} not ended")
    for call in range(sizes.list_calls):
        owner = sizes.user_id(call)
        with clock.step("list"):
            page = await service.list_sessions(app_name=APP_NAME, user_id=owner)
        check(bool(page.sessions), f"listing of {owner}")
    await service.close()

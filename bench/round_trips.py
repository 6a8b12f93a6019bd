"""Round trips per turn on PostgreSQL, counted from libpq's protocol trace.

Each message the client sends is in the trace; a round trip ends with a ``Sync`` (an extended
query: a statement with parameters) or is a ``Query`` (a simple query: ``BEGIN``, ``COMMIT``,
a pre-ping's ``;``). Counted for the library's turn (``send_message``, the connections of its
pool traced from checkout) and for the floor's turn (its one connection), after a warm-up.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from .floor import FloorConnection, _create, _start, _turn
from .plan import ANSWER
from .workload import build_container, session_config


def _sent(trace_file: str) -> Counter[str]:
    """The messages the client sent, by kind, and the simple queries by text."""
    sent: Counter[str] = Counter()
    with open(trace_file, encoding="utf-8", errors="replace") as trace:
        for line in trace:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 4 and fields[1] == "F":
                kind = fields[3].split()[0]
                sent[kind] += 1
                if kind == "Query" and len(fields) >= 5:
                    sent[f"Query {fields[4].strip()[:40]}"] += 1
    return sent


def _per_turn(sent: Counter[str], turns: int) -> dict[str, Any]:
    return {
        "round_trips": (sent["Sync"] + sent["Query"]) / turns,
        "statements": sent["Sync"] / turns,
        "simple_queries": {
            kind[len("Query ") :]: count / turns
            for kind, count in sent.items()
            if kind.startswith("Query ")
        },
    }


def round_trips_per_turn(library_url: str, floor_conninfo: str, turns: int) -> dict[str, Any]:
    """Round trips of one turn, the library's and the floor's (each on its own database)."""
    return {
        "turns": turns,
        "library": _traced(lambda fd: _library_turns(library_url, fd, turns), turns),
        "floor": _traced(lambda fd: _floor_turns(floor_conninfo, fd, turns), turns),
    }


def _traced(run: Callable[[int], None], turns: int) -> dict[str, Any]:
    """``run`` given a file descriptor to trace into; the trace counted once it is done (the
    connections closed, so that libpq has written everything)."""
    descriptor, trace_file = tempfile.mkstemp(suffix=".trace")
    try:
        run(descriptor)
        return _per_turn(_sent(trace_file), turns)
    finally:
        with contextlib.suppress(OSError):
            os.close(descriptor)
        os.unlink(trace_file)


def _library_turns(url: str, descriptor: int, turns: int) -> None:
    container = build_container(url)
    try:
        manager = container.session_manager()
        sid = manager.create_session(session_config("trace"), user_id="trace").id
        manager.start_session(sid)
        for _ in range(3):
            manager.send_message(sid, ANSWER)

        @event.listens_for(container.engine(), "checkout")
        def _trace(dbapi_connection: Any, *_: Any) -> None:
            dbapi_connection.pgconn.trace(descriptor)

        for _ in range(turns):
            manager.send_message(sid, ANSWER)
    finally:
        container.shutdown_resources()


def _floor_turns(conninfo: str, descriptor: int, turns: int) -> None:
    db = FloorConnection(sqlite_file=None, conninfo=conninfo, synchronous="FULL")
    try:
        sid = _create(db, "trace")
        _start(db, sid)
        db.trace(descriptor)
        for turn in range(1, turns + 1):
            _turn(db, sid, turn)
    finally:
        db.close()

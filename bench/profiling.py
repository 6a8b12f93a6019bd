"""A statistical profile of the append path (``send_message``), attributed to cost centres.

pyinstrument samples the stack every 100 µs. Each sample's time goes to one cost centre: the
database call at the leaf (SQLite's COMMIT and statement execution, PostgreSQL round trips),
else the first call from the library's own code into a dependency (SQLAlchemy statement
building, execution, transactions, result rows; JSON; logging ...), else the library's own
Python code. pyinstrument is optional: ``pip install pyinstrument`` to get this section.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .plan import ANSWER
from .workload import build_container, session_config

INTERVAL: Final = 0.0001
WARM_UP_TURNS: Final = 20
#: Turns sent to one session: below the default turn budget, after which a session ends.
TURNS_PER_SESSION: Final = 150
_OWN: Final = ("/interview_orchestrator/", "/bench/")
_SQLITE_WORK: Final = frozenset(
    {
        "Cursor.execute",
        "Cursor.executemany",
        "Cursor.fetchone",
        "Cursor.fetchall",
        "Cursor.fetchmany",
        "Connection.execute",
        "Cursor.close",
        "Connection.cursor",
    }
)
COMMIT: Final = "COMMIT (the database makes the transaction durable)"
SQLITE_STATEMENTS: Final = "SQLite running the statements"
POSTGRES_ROUND_TRIPS: Final = "PostgreSQL round trips (server work and loopback)"
BUILD: Final = "SQLAlchemy: building statements on every call"
TYPES: Final = "SQLAlchemy: column types converting values (JSON, timestamps, encryption)"
EXECUTE: Final = "SQLAlchemy: executing statements (cache key, binding, cursor, result set-up)"
TRANSACTION: Final = "SQLAlchemy: transaction scope (pool checkout, BEGIN, commit call, return)"
ROWS: Final = "SQLAlchemy: fetching result rows"
OWN: Final = "the library's own Python code (validation, rows to domain objects, orchestration)"
JSON: Final = "JSON encoding and decoding"
#: The database's own work, which the floor pays as well.
DATABASE_CENTRES: Final = frozenset({COMMIT, SQLITE_STATEMENTS})
LOGGING: Final = "logging calls (structlog processors)"
#: What each cost centre is made of now, and what could still be done about it (the profile
#: names the largest ones).
REMEDIES: Final = {
    COMMIT: (
        "The durability itself: two commits per turn, because the candidate's message is made "
        "durable before the AI is asked, and the floor pays exactly the same. Only fewer or "
        "cheaper commits reduce it: `synchronous=NORMAL` (not the default, see below) or, on a "
        "busy server, one commit shared by concurrent turns (group commit)."
    ),
    SQLITE_STATEMENTS: (
        "SQLite's own work on the statements the floor runs too (the claim, the message and "
        "event inserts with their indexes, the recent messages); the library adds the read of "
        "the session in the turn's first transaction."
    ),
    POSTGRES_ROUND_TRIPS: (
        "The round trips of the floor's statements, and the library's read of the session in "
        "the turn's first transaction. No pre-ping at checkout any more (a connection found "
        "dead before the commit is retried on a new one) and no BEGIN/COMMIT around reads."
    ),
    BUILD: (
        "Statements built per call: none left on the turn's path (all are prebuilt "
        "`DriverStatement`s); what remains here is rare paths (a refused claim's diagnosis)."
    ),
    TYPES: (
        "The column types' conversions that every statement needs, on the driver path too: "
        "JSON encoding of the interviewer state and events, UTC timestamps, the encrypted "
        "text columns' check for a cipher."
    ),
    EXECUTE: (
        "SQLAlchemy's statement execution for what still goes through it on a turn: the "
        "`begin` and `commit` events' file check and the BEGIN (sent to the driver directly). "
        "The turn's statements run on the driver (`store/driver.py`)."
    ),
    TRANSACTION: (
        "Two transactions per turn (persist, then report), each a pool checkout, a `Connection`, "
        "the begin and commit events, a commit call and a pool return: about 50 µs of "
        "SQLAlchemy each. Running the turn's two transactions on a raw pooled DBAPI connection "
        "would remove most of it, at the price of a second transaction runner beside "
        "`Transactions` (its retries, error translation and event announcements)."
    ),
    ROWS: (
        "Rows fetched on the driver and processed by their column types (JSON, UTC timestamps "
        "parsed with `fromisoformat` on SQLite): the session and the 20 recent messages."
    ),
    OWN: (
        "The library's own Python: `DriverStatement` parameter and row processing, the session "
        "and 20 `Message`s built from rows (without re-validation: `stored_instance`), the "
        "manager's checks (`admit`), the interviewer router's state, the event rows."
    ),
    LOGGING: (
        "The `message.exchanged` line per turn (bound context, level filter first): dropped "
        "early when logging is off, as in this benchmark."
    ),
}


@dataclass(frozen=True)
class _Frame:
    function: str
    path: str
    cls: str

    @classmethod
    def parse(cls, info: str) -> _Frame:
        identifier, *attributes = info.split("\x01")
        function, path, _line = [*identifier.split("\x00"), "", ""][:3]
        owner = next((a[1:] for a in attributes if a.startswith("c")), "")
        return cls(function, path, owner)

    @property
    def own(self) -> bool:
        return any(marker in self.path for marker in _OWN)

    @property
    def package(self) -> str:
        if self.path == "<built-in>":
            return "built-in"
        if "site-packages/" in self.path:
            return self.path.split("site-packages/", 1)[1].split("/", 1)[0]
        if self.path.startswith("<"):
            return self.path.strip("<>").split()[0]
        return "stdlib:" + Path(self.path).stem

    @property
    def name(self) -> str:
        if self.cls and "." not in self.function:
            return f"{self.cls}.{self.function}"
        return self.function


def _database_centre(stack: Sequence[_Frame]) -> tuple[str, str] | None:
    """Time spent in the database driver: committing, running statements, round trips."""
    leaf = stack[-1]
    if leaf.package == "built-in" and leaf.function == "Connection.commit":
        return COMMIT, "sqlite3 Connection.commit"
    driver = [f for f in stack if f.package.startswith("psycopg")]
    if driver:
        if any(f.function == "commit" for f in driver):
            return COMMIT, "psycopg Connection.commit"
        cause = next((f.function for f in stack if f.function in _POSTGRES_CAUSES), "statement")
        return POSTGRES_ROUND_TRIPS, _POSTGRES_CAUSES.get(cause, cause)
    if leaf.package == "built-in" and leaf.function in _SQLITE_WORK:
        return SQLITE_STATEMENTS, f"sqlite3 {leaf.function}"
    return None


_POSTGRES_CAUSES: Final = {
    "do_ping": "pre-ping at pool checkout",
    "_connection_begin_impl": "BEGIN",
    "do_begin": "BEGIN",
    "do_rollback": "ROLLBACK (reset on return)",
    "_execute_context": "statement",
}

_TRANSACTION_CALLS: Final = frozenset({"begin", "connect", "exec_driver_sql"})
_INTERPRETER: Final = frozenset({"built-in", "string", "frozen"})
#: Where a call from the library's code into a dependency lands, first match wins.
_DEPENDENCY_RULES: Final[tuple[tuple[Callable[[_Frame], bool], str], ...]] = (
    # The column types' bind and result processors (``process``), which driver statements call.
    (lambda f: f.package == "sqlalchemy" and f.function == "process", TYPES),
    (lambda f: f.package == "sqlalchemy" and ("/sql/" in f.path or "generated" in f.path), BUILD),
    (lambda f: f.package == "sqlalchemy" and "/engine/result.py" in f.path, ROWS),
    (lambda f: f.package == "sqlalchemy" and f.function in _TRANSACTION_CALLS, TRANSACTION),
    (lambda f: f.package == "sqlalchemy" and f.function in ("execute", "scalar"), EXECUTE),
    (lambda f: f.package == "sqlalchemy", "SQLAlchemy: other"),
    (lambda f: f.package == "structlog", LOGGING),
    (lambda f: "/json/" in f.path, JSON),
    # The library's own code calling into the standard library or a built-in.
    (lambda f: f.package in _INTERPRETER or f.package.startswith("stdlib:"), OWN),
)


def cost_centre(stack: Sequence[_Frame]) -> tuple[str, str]:
    """The cost centre of one sample and a finer label (the call that leads there)."""
    database = _database_centre(stack)
    if database is not None:
        return database
    own = [index for index, frame in enumerate(stack) if frame.own]
    if not own:
        return "other", stack[-1].name
    if own[-1] == len(stack) - 1:
        here = stack[-1]
        return OWN, f"{Path(here.path).stem}.{here.name}"
    boundary = stack[own[-1] + 1]
    if boundary.package == "stdlib:contextlib" and own[-1] + 2 < len(stack):
        boundary = stack[own[-1] + 2]  # `with engine.begin()`: the generator it enters
    label = f"{boundary.package}: {boundary.name}"
    centre = next((c for matches, c in _DEPENDENCY_RULES if matches(boundary)), boundary.package)
    return centre, label


def profile_turns(
    url: str, synchronous: str, turns: int, text_file: str | None = None
) -> dict[str, Any]:
    """Profile ``turns`` calls of ``send_message`` (warmed up first), over as many sessions
    as the turn budget asks for."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return {
            "available": False,
            "reason": "pyinstrument is not installed: `.venv/bin/pip install pyinstrument`",
        }
    container = build_container(url, synchronous=synchronous)
    try:
        manager = container.session_manager()
        # A session ends by itself at its turn budget (200 by default): the turns are spread
        # over sessions started beforehand, each given fewer turns than that.
        needed = -(-(WARM_UP_TURNS + 2 * turns) // TURNS_PER_SESSION)
        sessions = []
        for index in range(needed):
            owner = f"profiled-{index}"
            session = manager.create_session(session_config(owner), user_id=owner)
            manager.start_session(session.id)
            sessions.append(session.id)
        targets = iter([sid for sid in sessions for _ in range(TURNS_PER_SESSION)])
        for _ in range(WARM_UP_TURNS):
            manager.send_message(next(targets), ANSWER)
        began = time.perf_counter()
        for _ in range(turns):
            manager.send_message(next(targets), ANSWER)
        unprofiled = (time.perf_counter() - began) / turns
        profiler = Profiler(interval=INTERVAL)
        profiler.start()
        for _ in range(turns):
            manager.send_message(next(targets), ANSWER)
        profiler.stop()
    finally:
        container.shutdown_resources()
    recorded = profiler.last_session
    assert recorded is not None
    if text_file is not None:
        Path(text_file).write_text(profiler.output_text(unicode=False, color=False))
    centres: dict[str, float] = defaultdict(float)
    labels: dict[tuple[str, str], float] = defaultdict(float)
    total = 0.0
    for stack_infos, seconds in recorded.frame_records:
        stack = [_Frame.parse(info) for info in stack_infos]
        if not any(f.function == "send_message" for f in stack):
            continue
        centre, label = cost_centre(stack)
        centres[centre] += seconds
        labels[(centre, label)] += seconds
        total += seconds
    return {
        "available": True,
        "turns": turns,
        "turn_seconds_unprofiled": unprofiled,
        "turn_seconds_profiled": total / turns,
        "centres": sorted(
            (
                {"centre": c, "share": s / total, "seconds_per_turn": s / turns}
                for c, s in centres.items()
            ),
            key=_by_share,
        ),
        "calls": sorted(
            ({"centre": c, "call": label, "share": s / total} for (c, label), s in labels.items()),
            key=_by_share,
        )[:15],
    }


def _by_share(row: dict[str, Any]) -> float:
    return -float(row["share"])

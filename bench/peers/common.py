"""What every system's run shares: the workload's sizes and texts, a clock, the result.

Standard library and ``bench.plan`` only: this module is imported in the peers' interpreter too.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from ..plan import ANSWER, QUESTIONS, Workload, peak_rss_kib

#: The steps every system is timed on (a system without an operation leaves its step empty).
STEPS: Final = ("create", "start", "append", "read", "end", "list", "pause")
#: ADK's application name, and the users' ids come from ``Workload.user_id``.
APP_NAME: Final = "interview-bench"


@dataclass(frozen=True)
class Sizes:
    """``sessions`` sessions of ``messages`` stored messages each, for ``sessions / 10`` users;
    ``list_calls`` pages of a user's sessions (the main benchmark's rule)."""

    sessions: int
    messages: int

    @property
    def workload(self) -> Workload:
        return Workload(self.sessions, self.messages)

    @property
    def list_calls(self) -> int:
        return self.workload.list_calls

    def user_id(self, index: int) -> str:
        return self.workload.user_id(index)


def message(index: int) -> tuple[str, str]:
    """The ``index``-th message of a session (from 0): ``("candidate", ANSWER)`` at even
    indexes, ``("interviewer", question)`` at odd ones, as the library stores a turn."""
    if index % 2 == 0:
        return "candidate", ANSWER
    return "interviewer", QUESTIONS[(index // 2 + 1) % len(QUESTIONS)]


class Clock:
    """Seconds and operation (and message) counts per step."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STEPS, 0.0)
        self.ops = dict.fromkeys(STEPS, 0)
        self.messages = dict.fromkeys(STEPS, 0)

    @contextmanager
    def step(self, name: str, *, messages: int = 0) -> Iterator[None]:
        """Time the block as one operation of ``name`` that stores ``messages`` messages."""
        started = time.perf_counter()
        yield
        self.seconds[name] += time.perf_counter() - started
        self.ops[name] += 1
        self.messages[name] += messages

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {
            s: {"ops": self.ops[s], "messages": self.messages[s], "seconds": self.seconds[s]}
            for s in STEPS
            if self.ops[s]
        }


def result(
    clock: Clock, *, total: float, rss_after_import_kib: int, **extra: Any
) -> dict[str, Any]:
    """What a child prints: the steps, the process's peak RSS, and ``extra``."""
    return {
        "steps": clock.as_dict(),
        "total_seconds": total,
        "peak_rss_kib": peak_rss_kib(),
        "rss_after_import_kib": rss_after_import_kib,
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        **extra,
    }


def pragmas(connection: sqlite3.Connection) -> dict[str, str]:
    """The journal mode and ``synchronous`` level a connection runs with."""
    levels = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
    (journal,) = connection.execute("PRAGMA journal_mode").fetchone()
    (synchronous,) = connection.execute("PRAGMA synchronous").fetchone()
    return {"journal_mode": str(journal).upper(), "synchronous": levels.get(synchronous, "?")}


def check(condition: bool, problem: str) -> None:
    """Stop the run when the system did not do what it was asked."""
    if not condition:
        raise RuntimeError(problem)

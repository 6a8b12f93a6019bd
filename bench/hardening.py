"""What two safeguards cost: scrubbing a hostile megabyte, and checking on every SQLite write
transaction that the database file is still the one the connection opened.

    python -m bench.hardening [--turns 3000] [--repeats 5]

Prints a JSON object; the figures go to bench/RESULTS.md ("Hardening") by hand. The file check
is timed by running the same turns with ``OpenedFile.require_in_place`` replaced by a no-op,
interleaved with the real one, best of ``--repeats``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from interview_orchestrator.logging import scrub_text
from interview_orchestrator.store.engine import OpenedFile

from .workload import build_container, session_config

MEGABYTE = 1_000_000
#: Turns per session (the workload's 40 messages: 20 turns).
TURNS_PER_SESSION = 20
#: The shapes the scrubber's patterns are most exposed to, one megabyte each.
SHAPES: dict[str, Callable[[int], str]] = {
    "word characters": lambda n: "a" * n,
    "repeated a@": lambda n: "a@" * (n // 2),
    "digits with spaces": lambda n: "1 " * (n // 2),
    "digits with dots": lambda n: "1." * (n // 2),
    "many dots": lambda n: "a." * (n // 2),
    "key prefixes": lambda n: "sk-" * (n // 3),
    "phone-like runs": lambda n: "+1 (555) 123-4567 " * (n // 18),
    "prose": lambda n: "The quick brown fox jumps over the lazy dog. " * (n // 45),
}


def scrub_times(repeats: int) -> dict[str, float]:
    """Seconds of CPU to scrub one megabyte of each shape, best of ``repeats``."""
    times = {}
    for name, make in SHAPES.items():
        text = make(MEGABYTE)
        best = float("inf")
        for _ in range(repeats):
            started = time.process_time()
            scrub_text(text)
            best = min(best, time.process_time() - started)
        times[name] = round(best, 4)
    return times


@contextmanager
def file_check(enabled: bool) -> Iterator[None]:
    original = OpenedFile.require_in_place
    if not enabled:
        OpenedFile.require_in_place = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        OpenedFile.require_in_place = original  # type: ignore[method-assign]


def turn_ms(directory: Path, turns: int, *, checked: bool, label: str) -> float:
    """Milliseconds per ``send_message`` on a fresh SQLite file (synchronous FULL)."""
    url = f"sqlite:///{directory / f'{label}.db'}"
    container = build_container(url)
    try:
        manager = container.session_manager()
        with file_check(checked):
            sessions = []
            for number in range(turns // TURNS_PER_SESSION):
                session = manager.create_session(session_config(f"bench-user-{number}"))
                manager.start_session(session.id)
                sessions.append(session.id)
            started = time.perf_counter()
            for session_id in sessions:
                for number in range(TURNS_PER_SESSION):
                    manager.send_message(session_id, f"answer {number}: shard by user id.")
            return (time.perf_counter() - started) * 1000 / (len(sessions) * TURNS_PER_SESSION)
    finally:
        container.shutdown_resources()


def stat_us(calls: int = 100_000) -> float:
    """Microseconds of one ``require_in_place`` (one ``os.stat``) on a real file."""
    with tempfile.NamedTemporaryFile() as handle:
        opened = OpenedFile.at(handle.name)
        started = time.perf_counter()
        for _ in range(calls):
            opened.require_in_place()
        return (time.perf_counter() - started) * 1e6 / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        with_check: list[float] = []
        without: list[float] = []
        for repeat in range(args.repeats):
            without.append(turn_ms(directory, args.turns, checked=False, label=f"off{repeat}"))
            with_check.append(turn_ms(directory, args.turns, checked=True, label=f"on{repeat}"))
    result: dict[str, Any] = {
        "scrub_one_megabyte_cpu_seconds": scrub_times(args.repeats),
        "file_check": {
            "stat_microseconds": round(stat_us(), 2),
            "turn_ms_without": [round(v, 4) for v in without],
            "turn_ms_with": [round(v, 4) for v in with_check],
            "median_without": round(statistics.median(without), 4),
            "median_with": round(statistics.median(with_check), 4),
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

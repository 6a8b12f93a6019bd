"""Runs every measurement of the benchmark and gathers the figures (medians of repetitions)."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from .databases import Backend, libpq_url, migrate, sqlite_path
from .environment import describe, load_average
from .isolated import REPOSITORY, run_isolated
from .plan import STEP_OPERATIONS, STEPS

_ONE_MIGRATION_AT_A_TIME: Final = threading.Lock()
#: The library's default durability first: the targets are measured there.
SQLITE_SYNCHRONOUS: Final = ("FULL", "NORMAL")
SERVER_DEFAULTS: Final = "server"


@dataclass(frozen=True)
class Options:
    """What to measure (the command line's flags)."""

    sessions: int
    messages: int
    repeat: int
    database_urls: tuple[str, ...]
    lengths: tuple[int, ...]
    length_rounds: int
    list_sizes: tuple[int, ...]
    list_calls: int
    memory_sizes: tuple[int, ...]
    profile_turns: int
    quick: bool
    command: str


def progress(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def measure(options: Options) -> dict[str, Any]:
    """Every figure of the benchmark, as the JSON the results are rendered from."""
    backends = [Backend.parse(url) for url in options.database_urls]
    sqlite_dir = next(
        (Path(str(b.url.database)).parent for b in backends if b.kind == "sqlite"), None
    )
    if sqlite_dir is not None:
        sqlite_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "options": asdict(options),
        "environment": describe(sqlite_dir),
        "steps": {step: STEP_OPERATIONS[step] for step in STEPS},
        "backends": [],
    }
    for backend in backends:
        results["backends"].append(_measure_backend(backend, options))
    sqlite = next((b for b in backends if b.kind == "sqlite"), backends[0])
    results["memory"] = _memory(sqlite, options)
    results["help"] = help_cpu(HELP_RUNS)
    results["environment"]["load_average_end"] = load_average()
    return results


#: Runs of ``interview-orchestrator --help`` whose CPU time is measured.
HELP_RUNS: Final = 10


def help_cpu(runs: int) -> dict[str, Any]:
    """The CPU time (user + system) of ``interview-orchestrator --help``, each run a fresh
    process: the cost of starting the command line before it does anything."""
    progress(f"CPU time of `interview-orchestrator --help`, {runs} runs")
    command = [str(Path(sys.executable).with_name("interview-orchestrator")), "--help"]
    samples = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, capture_output=True, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        samples.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return {"runs": runs, "cpu_seconds": samples, "median_cpu_seconds": statistics.median(samples)}


def _measure_backend(backend: Backend, options: Options) -> dict[str, Any]:
    settings = SQLITE_SYNCHRONOUS if backend.kind == "sqlite" else (SERVER_DEFAULTS,)
    default = settings[0]
    entry: dict[str, Any] = {
        "kind": backend.kind,
        "label": backend.label,
        "server_settings": backend.server_settings(),
        "workloads": [_workload(backend, sync, options) for sync in settings],
    }
    progress(f"{backend.label}: one turn against the transcript's length")
    with backend.fresh("turns") as url:
        series = run_isolated(
            "turn-series",
            url=url,
            synchronous=_sync(default),
            lengths=list(options.lengths),
            rounds=options.length_rounds,
        )
    entry["turn_series"] = {
        "rounds": options.length_rounds,
        "median_seconds": {
            length: statistics.median(values) for length, values in series["samples"].items()
        },
        "samples": series["samples"],
    }
    entry["list_series"] = []
    for size in options.list_sizes:
        progress(f"{backend.label}: bulk-loading {size:,} sessions, then timing a user's page")
        with backend.fresh(f"list{size}") as url:
            page = run_isolated(
                "list-page", url=url, size=size, calls=options.list_calls, repeats=options.repeat
            )
        page["median_seconds"] = statistics.median(page["per_call_seconds"])
        entry["list_series"].append(page)
    entry["profile"] = _profile(backend, default, options)
    if backend.kind == "postgresql":
        entry["round_trips"] = _round_trips(backend)
    return entry


#: Turns whose PostgreSQL round trips are counted (libpq's trace).
ROUND_TRIP_TURNS: Final = 50


def _round_trips(backend: Backend) -> dict[str, Any]:
    progress(f"{backend.label}: round trips of a turn (libpq's protocol trace)")
    with backend.fresh("trips") as library_url, backend.fresh("tripsfloor") as floor_url:
        migrate(floor_url)
        return run_isolated(
            "round-trips",
            library_url=library_url,
            floor_conninfo=libpq_url(floor_url),
            turns=ROUND_TRIP_TURNS,
        )


def _sync(setting: str) -> str:
    return "FULL" if setting == SERVER_DEFAULTS else setting


def _workload(backend: Backend, setting: str, options: Options) -> dict[str, Any]:
    """The workload through the library and on the floor, back to back in each repetition,
    each on a fresh database."""
    runs: list[dict[str, Any]] = []
    for repetition in range(1, options.repeat + 1):
        progress(
            f"{backend.label} ({setting}): workload {options.sessions} sessions x "
            f"{options.messages} messages, repetition {repetition}/{options.repeat}"
        )
        # Back to back, the order alternating, so that drift on a shared machine (other
        # processes' I/O) falls on both sides alike.
        if repetition % 2:
            floor = _floor_run(backend, setting, options)
            library = _library_run(backend, setting, options)
        else:
            library = _library_run(backend, setting, options)
            floor = _floor_run(backend, setting, options)
        runs.append({"floor": floor, "library": library})
    return {"setting": setting, "runs": runs, "summary": summarize(runs)}


def _floor_run(backend: Backend, setting: str, options: Options) -> dict[str, Any]:
    with backend.fresh("floor") as url:
        migrate(url)
        target = (
            {"sqlite_file": sqlite_path(url), "conninfo": None}
            if backend.kind == "sqlite"
            else {"sqlite_file": None, "conninfo": libpq_url(url)}
        )
        return run_isolated(
            "floor",
            **target,
            synchronous=_sync(setting),
            sessions=options.sessions,
            messages=options.messages,
        )


def _library_run(backend: Backend, setting: str, options: Options) -> dict[str, Any]:
    with backend.fresh("library") as url:
        return run_isolated(
            "library",
            url=url,
            synchronous=_sync(setting),
            sessions=options.sessions,
            messages=options.messages,
        )


def summarize(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the repetitions: each step's rates, the ratio library / floor (the median
    of the ratios of runs made back to back), total time and peak RSS."""

    def rate(run: dict[str, Any], step: str) -> float:
        figures = run["steps"][step]
        return float(figures["ops"] / figures["seconds"]) if figures["seconds"] else 0.0

    steps: dict[str, Any] = {}
    for step in STEPS:
        library = [rate(r["library"], step) for r in runs]
        floor = [rate(r["floor"], step) for r in runs]
        steps[step] = {
            "ops": runs[0]["library"]["steps"][step]["ops"],
            "library_per_second": statistics.median(library),
            "floor_per_second": statistics.median(floor),
            "ratio": statistics.median(lib / fl for lib, fl in zip(library, floor, strict=True)),
        }
    return {
        "steps": steps,
        "library_total_seconds": statistics.median(r["library"]["total_seconds"] for r in runs),
        "floor_total_seconds": statistics.median(r["floor"]["total_seconds"] for r in runs),
        "library_peak_rss_kib": statistics.median(r["library"]["peak_rss_kib"] for r in runs),
        "floor_peak_rss_kib": statistics.median(r["floor"]["peak_rss_kib"] for r in runs),
    }


def _memory(backend: Backend, options: Options) -> dict[str, Any]:
    """Peak RSS after each number of sessions handled, read at checkpoints of one process per
    repetition; the repetitions run side by side, since only memory is measured. SQLite with
    synchronous NORMAL: durability does not change what a process keeps in memory."""
    sizes = sorted(options.memory_sizes)
    progress(f"peak RSS after {', '.join(f'{n:,}' for n in sizes)} sessions handled")

    def one(_: int) -> dict[str, Any]:
        with backend.fresh("memory") as url:
            with _ONE_MIGRATION_AT_A_TIME:  # Alembic's command API is not thread-safe
                migrate(url)  # as `db upgrade` before a deployment: no Alembic in the process
            return run_isolated("memory", url=url, synchronous="NORMAL", checkpoints=sizes)

    with ThreadPoolExecutor(max_workers=options.repeat) as pool:
        runs = list(pool.map(one, range(options.repeat)))
    return {
        "backend": backend.label,
        "synchronous": "NORMAL",
        "sizes": [
            {
                "sessions": size,
                "peak_rss_kib": statistics.median(
                    c["peak_rss_kib"]
                    for r in runs
                    for c in r["checkpoints"]
                    if c["sessions"] == size
                ),
                "gc_objects": statistics.median(
                    c["gc_objects"] for r in runs for c in r["checkpoints"] if c["sessions"] == size
                ),
                "seconds": statistics.median(
                    c["seconds"] for r in runs for c in r["checkpoints"] if c["sessions"] == size
                ),
            }
            for size in sizes
        ],
        "runs": runs,
    }


def _profile(backend: Backend, setting: str, options: Options) -> dict[str, Any]:
    if options.profile_turns <= 0:
        return {"available": False, "reason": "not requested (--profile-turns 0)"}
    progress(f"{backend.label}: profiling {options.profile_turns} turns of send_message")
    suffix = "-quick" if options.quick else ""
    text_file = REPOSITORY / "bench" / "out" / f"profile-{backend.kind}{suffix}.txt"
    text_file.parent.mkdir(parents=True, exist_ok=True)
    with backend.fresh("profile") as url:
        profile = run_isolated(
            "profile",
            url=url,
            synchronous=_sync(setting),
            turns=options.profile_turns,
            text_file=str(text_file),
        )
    if profile.get("available"):
        profile["text_file"] = str(text_file.relative_to(REPOSITORY))
    return profile

"""Runs one measurement in a fresh interpreter and prints its result as JSON.

Each run of the workload, each floor and each memory measurement gets a process of its own, so
caches, allocator state and peak RSS never carry over from one to the next.
``python -m bench.isolated TASK '{"param": ...}'``; the parent calls ``run_isolated``.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

REPOSITORY: Final = Path(__file__).resolve().parents[1]


def run_isolated(task: str, **params: Any) -> dict[str, Any]:
    """Run ``task`` with ``params`` in a child interpreter; its JSON result."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.isolated", task, json.dumps(params)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"benchmark task {task!r} failed (exit {completed.returncode}):\n{completed.stderr}"
        )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


#: Each task: the module and function that run it, imported only in the child that needs it
#: (the floor's process never imports the library).
TASKS: Final = {
    "library": ("bench.workload", "run_library"),
    "floor": ("bench.floor", "run_floor"),
    "memory": ("bench.memory", "memory_after_sessions"),
    "turn-series": ("bench.scaling", "turn_time_series"),
    "list-page": ("bench.scaling", "list_page_series"),
    "profile": ("bench.profiling", "profile_turns"),
    "round-trips": ("bench.round_trips", "round_trips_per_turn"),
}


def main(argv: list[str]) -> None:
    task, params = argv[0], json.loads(argv[1])
    module, function = TASKS[task]
    run: Callable[..., dict[str, Any]] = getattr(importlib.import_module(module), function)
    result = run(**params)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])

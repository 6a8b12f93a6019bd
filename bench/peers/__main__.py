"""``python -m bench.peers``: the library beside two peer session stores, same workload.

Runs every system in a fresh child process per repetition (interleaved: each repetition runs
every system once), each on a new SQLite file; writes the raw figures to ``bench/out/peers.json``
and, with ``--write``, the "Peers" section of ``bench/RESULTS.md``. The library and the floor
run with this interpreter (the project's venv); the peers with ``--peers-python`` (the venv
that ``make bench-peers`` creates).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ..environment import describe, load_average
from ..isolated import REPOSITORY
from .report import medians, render, write_section

DEFAULT_PEERS_PYTHON: Final = REPOSITORY / "bench" / ".peers-venv" / "bin" / "python"
DEFAULT_JSON: Final = REPOSITORY / "bench" / "out" / "peers.json"
DEFAULT_DB_DIR: Final = REPOSITORY / "bench" / "out" / "peers"


@dataclass(frozen=True)
class System:
    """One row of the comparison: which module runs it, with which interpreter, how."""

    key: str
    label: str
    module: str
    peer: bool
    params: dict[str, Any] = field(default_factory=dict)


SYSTEMS: Final = (
    System("floor", "plain `sqlite3` floor", "floor", False, {"synchronous": "FULL"}),
    System(
        "library-full",
        "interview-orchestrator, `synchronous` FULL (default)",
        "library",
        False,
        {"synchronous": "FULL"},
    ),
    System(
        "library-normal",
        "interview-orchestrator, `synchronous` NORMAL",
        "library",
        False,
        {"synchronous": "NORMAL"},
    ),
    System("agents-sdk", "OpenAI Agents SDK `SQLiteSession`", "agents-sdk", True),
    System("adk", "Google ADK `SqliteSessionService`", "adk", True),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.peers",
        description=(
            "Measure the library beside the OpenAI Agents SDK's SQLiteSession and Google "
            "ADK's SqliteSessionService on one workload; write bench/out/peers.json and, with "
            "--write, the Peers section of bench/RESULTS.md."
        ),
    )
    add = parser.add_argument
    add("--sessions", type=int, default=500, help="sessions per run (default 500)")
    add(
        "--messages",
        type=int,
        default=40,
        help="messages stored per session, even (default 40; the library stores 2 a call)",
    )
    add("--repeat", type=int, default=3, help="interleaved repetitions (default 3)")
    add(
        "--peers-python",
        type=Path,
        default=DEFAULT_PEERS_PYTHON,
        help="the interpreter with openai-agents and google-adk (default bench/.peers-venv)",
    )
    add("--json", type=Path, default=DEFAULT_JSON, help="raw figures (bench/out/peers.json)")
    add("--db-dir", type=Path, default=DEFAULT_DB_DIR, help="where the SQLite files go")
    add("--write", type=Path, help="replace the Peers section of this Markdown file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.sessions < 1 or args.messages < 2 or args.messages % 2 or args.repeat < 1:
        print("sessions ≥ 1, messages an even number ≥ 2, repeat ≥ 1", file=sys.stderr)
        return 2
    if not args.peers_python.exists():
        print(
            f"{args.peers_python} is missing: `make bench-peers` creates the peers' venv",
            file=sys.stderr,
        )
        return 2
    args.db_dir.mkdir(parents=True, exist_ok=True)
    command = "python -m bench.peers " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    began = time.perf_counter()
    machine = describe(args.db_dir)
    runs: dict[str, list[dict[str, Any]]] = {s.key: [] for s in SYSTEMS}
    for repetition in range(1, args.repeat + 1):
        for system in SYSTEMS:
            python = args.peers_python if system.peer else Path(sys.executable)
            started = time.perf_counter()
            source = library_source() if system.module == "library" else None
            outcome = _run_child(python, system, args.db_dir, args.sessions, args.messages)
            if source is not None:
                outcome["library_source"] = source
            runs[system.key].append(outcome)
            print(
                f"[{repetition}/{args.repeat}] {system.key}: {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    results = {
        "command": command,
        "sizes": {
            "sessions": args.sessions,
            "messages": args.messages,
            "repeat": args.repeat,
            "users": max(1, args.sessions // 10),
        },
        "machine": machine,
        "load_average_end": load_average(),
        "commit_end": describe(None)["commit"],
        "peers_python": str(args.peers_python),
        "wall_seconds": time.perf_counter() - began,
        "systems": {
            s.key: {
                "label": s.label,
                "interpreter": str(args.peers_python if s.peer else sys.executable),
                "median": medians(runs[s.key]),
                "runs": runs[s.key],
            }
            for s in SYSTEMS
        },
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}", file=sys.stderr)
    if args.write is not None:
        write_section(args.write, render(results))
        print(f"wrote the Peers section of {args.write}", file=sys.stderr)
    else:
        print(render(results))
    return 0


def _run_child(
    python: Path, system: System, directory: Path, sessions: int, messages: int
) -> dict[str, Any]:
    """One measurement of ``system`` in a fresh ``python`` on a new file, removed after."""
    path = directory / f"{system.key}-{uuid.uuid4().hex[:10]}.db"
    params = {"path": str(path), "sessions": sessions, "messages": messages, **system.params}
    try:
        completed = subprocess.run(
            [str(python), "-m", "bench.peers.child", system.module, json.dumps(params)],
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    if completed.returncode != 0:
        raise RuntimeError(
            f"{system.key} failed (exit {completed.returncode}):\n{completed.stderr}"
        )
    outcome: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return outcome


def library_source() -> str:
    """A digest of the library's source files as a run starts: edits during a benchmark show
    as more than one digest among the library's runs."""
    digest = hashlib.sha256()
    for path in sorted((REPOSITORY / "src").rglob("*.py")):
        digest.update(str(path.relative_to(REPOSITORY)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


if __name__ == "__main__":
    sys.exit(main())

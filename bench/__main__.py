"""``python -m bench``: run the benchmark and write ``bench/RESULTS.md`` and
``bench/results.json`` (``--quick``: a smoke run whose results go to ``bench/out/``)."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .databases import DEFAULT_SQLITE_URL
from .isolated import REPOSITORY
from .report import write_results
from .run import Options, measure, progress


def _sizes(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, got {text!r}"
        ) from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return values


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Measure the library against plain sqlite3/psycopg on the same workload and write "
            "bench/RESULTS.md (its performance section) and bench/results.json."
        ),
    )
    add = parser.add_argument
    add("--sessions", type=int, default=200, help="sessions in the workload (default 200)")
    add("--messages", type=int, default=20, help="candidate messages per session (default 20)")
    add("--repeat", type=int, default=3, help="repetitions per figure, at least 3 (default 3)")
    add(
        "--database-url",
        action="append",
        dest="database_urls",
        metavar="URL",
        help=(
            "a database to measure on, repeatable: sqlite:///DIR/NAME.db (fresh files are "
            "created next to it) or postgresql://USER@HOST:PORT/DB (scratch databases "
            f"bench_* are created on that server and dropped); default {DEFAULT_SQLITE_URL}"
        ),
    )
    add(
        "--lengths",
        type=_sizes,
        default=(10, 100, 400, 1000),
        help="transcript lengths of the turn series (default 10,100,400,1000)",
    )
    add("--length-rounds", type=int, default=21, help="turns timed per length (default 21)")
    add(
        "--list-sizes",
        type=_sizes,
        default=(10_000, 100_000, 1_000_000),
        help="sessions stored for the listing series (default 10000,100000,1000000)",
    )
    add(
        "--list-calls",
        type=int,
        default=200,
        help="list_sessions calls per repetition (default 200)",
    )
    add(
        "--memory-sizes",
        type=_sizes,
        default=(1_000, 10_000),
        help="sessions handled at each RSS reading (default 1000,10000)",
    )
    add("--profile-turns", type=int, default=1000, help="turns profiled; 0 skips the profile")
    add(
        "--quick",
        action="store_true",
        help="a smoke run of seconds (tiny sizes); results go to bench/out/ unless --output-dir",
    )
    add("--output-dir", type=Path, help="where RESULTS.md and results.json go (default bench/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.repeat < 3:
        _parser().error("--repeat must be at least 3: every figure is a median of 3 or more")
    if args.quick:
        args.sessions, args.messages = min(args.sessions, 20), min(args.messages, 5)
        args.length_rounds, args.list_calls = 5, 20
        args.list_sizes, args.memory_sizes = (1_000, 5_000), (50, 200)
        args.profile_turns = min(args.profile_turns, 100)
    output = args.output_dir or REPOSITORY / "bench" / ("out" if args.quick else "")
    given = list(argv) if argv is not None else sys.argv[1:]
    options = Options(
        sessions=args.sessions,
        messages=args.messages,
        repeat=args.repeat,
        database_urls=tuple(args.database_urls or [DEFAULT_SQLITE_URL]),
        lengths=args.lengths,
        length_rounds=args.length_rounds,
        list_sizes=args.list_sizes,
        list_calls=args.list_calls,
        memory_sizes=args.memory_sizes,
        profile_turns=args.profile_turns,
        quick=args.quick,
        command=shlex.join(["python", "-m", "bench", *given]),
    )
    began = time.perf_counter()
    results = measure(options)
    results["wall_seconds"] = time.perf_counter() - began
    markdown, data = write_results(results, output)
    progress(f"done in {results['wall_seconds']:.0f} s: {markdown} and {data}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

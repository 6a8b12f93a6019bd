"""The service under load: concurrent interviews through ``interview-orchestrator serve`` on
PostgreSQL, each followed live by a WebSocket.

    python -m bench.service_load --database-url postgresql://postgres@127.0.0.1:5432/test

A scripted OpenAI-compatible server (the library's testing kit, in this process) answers every
interviewer and evaluator request after ``--ai-delay`` seconds, so what is measured beyond that
delay is the service's own cost. ``serve`` runs with ``--serve-workers`` uvicorn workers and
``--eval-workers`` ``interview-orchestrator worker`` processes beside it, on a scratch database
of the server named by the URL. Each interview: create, a candidate link, a WebSocket on its
events, start, ``--turns`` messages one after another, end; then every event of the session must
have reached its WebSocket (ids 1..n, no gap, no duplicate) up to the evaluation's READY.

Results go to the "Service under load" section of bench/RESULTS.md (between its markers) and
to bench/service_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import websockets
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from interview_orchestrator.testing import ScriptedOpenAIServer, plausible_responder

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "RESULTS.md"
START_MARK, END_MARK = "<!-- service-load:start -->", "<!-- service-load:end -->"
ANSWER = (
    "I would put a load balancer in front of stateless API servers, keep sessions in "
    "PostgreSQL, cache hot reads in Redis and move slow work to a queue with retries."
)


@dataclass
class Interview:
    """What one simulated candidate saw."""

    turn_seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    expected_events: int = 0
    ready: bool = False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"bench_service_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(BIN / "interview-orchestrator"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def wait_ready(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/api/v1/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("the service did not become ready")


def peak_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in map(int, children):
        found.append(child)
        found.extend(descendants(child))
    return found


async def interview(
    client: httpx.AsyncClient, ws_base: str, key: str, turns: int, result: Interview
) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    try:
        created = await client.post(
            "/api/v1/sessions",
            json={"config": {"ai_provider": "openai", "enabled_modes": ["text"]}},
            headers=auth,
        )
        created.raise_for_status()
        sid = created.json()["id"]
        link = await client.post(
            f"/api/v1/sessions/{sid}/links",
            json={"kind": "candidate", "expires_in_minutes": 60},
            headers=auth,
        )
        link.raise_for_status()
        token = link.json()["token"]
    except httpx.HTTPError as exc:
        result.errors.append(f"setup: {exc}")
        return
    candidate = {"Authorization": f"Bearer {token}"}
    url = f"{ws_base}/api/v1/sessions/{sid}/events?token={token}"
    async with websockets.connect(url, open_timeout=30, max_queue=None) as socket_:
        listener = asyncio.create_task(listen(socket_, result))
        try:
            (await client.post(f"/api/v1/sessions/{sid}/start", headers=candidate)).raise_for_status()
            for turn in range(turns):
                started = time.perf_counter()
                sent = await client.post(
                    f"/api/v1/sessions/{sid}/messages",
                    json={"content": f"{ANSWER} ({turn})", "client_message_id": f"t{turn}"},
                    headers=candidate,
                )
                if sent.status_code != 201:
                    result.errors.append(f"turn {turn}: {sent.status_code} {sent.text[:200]}")
                    continue
                result.turn_seconds.append(time.perf_counter() - started)
            ended = await client.post(f"/api/v1/sessions/{sid}/end", headers=candidate)
            if ended.status_code != 202:
                result.errors.append(f"end: {ended.status_code} {ended.text[:200]}")
            await asyncio.wait_for(listener, timeout=300)
        except (httpx.HTTPError, TimeoutError) as exc:
            result.errors.append(f"{type(exc).__name__}: {exc}")
            listener.cancel()
        try:
            session = await client.get(f"/api/v1/sessions/{sid}", headers=auth)
            result.expected_events = int(session.json().get("event_count", 0))
        except httpx.HTTPError as exc:
            result.errors.append(f"final read: {type(exc).__name__}: {exc}")


async def listen(socket_: Any, result: Interview) -> None:
    async for frame in socket_:
        event = json.loads(frame)
        result.events.append(int(event["id"]))
        if event["type"] == "evaluation.updated" and event["data"].get("status") in (
            "ready",
            "no_evidence",
            "failed",
        ):
            result.ready = event["data"]["status"] == "ready"
            return


async def drive(base: str, key: str, interviews: int, turns: int) -> tuple[list[Interview], float]:
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends, so that no request
    # goes out on a connection the server is closing.
    limits = httpx.Limits(
        max_connections=interviews * 2, max_keepalive_connections=interviews, keepalive_expiry=3
    )
    ws_base = base.replace("http://", "ws://", 1)
    results = [Interview() for _ in range(interviews)]
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(
            *(interview(client, ws_base, key, turns, result) for result in results)
        )
        return results, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(int(round(fraction * (len(ordered) - 1))), len(ordered) - 1)
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server URL")
    parser.add_argument("--interviews", type=int, default=200)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--ai-delay", type=float, default=0.5)
    parser.add_argument("--serve-workers", type=int, default=4)
    parser.add_argument("--eval-workers", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    options = parser.parse_args()

    def slow(request: Any) -> Any:
        answer = plausible_responder(request)
        return None if answer is None else replace(answer, delay=options.ai_delay)

    with ScriptedOpenAIServer(handler=slow) as ai, scratch_database(options.database_url) as url:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "INTERVIEW_DATABASE_URL": url,
            "OPENAI_BASE_URL": ai.base_url,
            "OPENAI_API_KEY": "sk-bench",
            "INTERVIEW_EVALUATION_MODE": "background",
            "INTERVIEW_LOG_LEVEL": "ERROR",
        }
        cli("db", "upgrade", env=env)
        key = cli("keys", "create", "--name", "bench", "--role", "service", env=env).splitlines()[-1]
        serve = subprocess.Popen(
            [str(BIN / "interview-orchestrator"), "serve", "--port", str(port),
             "--workers", str(options.serve_workers)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        workers = [
            subprocess.Popen(
                [str(BIN / "interview-orchestrator"), "worker"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for _ in range(options.eval_workers)
        ]
        try:
            wait_ready(base, time.monotonic() + 60)
            results, seconds = asyncio.run(
                drive(base, key, options.interviews, options.turns)
            )
            rss = {
                "serve": [peak_rss_mib(serve.pid)]
                + [peak_rss_mib(pid) for pid in descendants(serve.pid)],
                "workers": [peak_rss_mib(w.pid) for w in workers],
            }
        finally:
            for process in (serve, *workers):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            for process in (serve, *workers):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=30)
    report = summarise(options, results, seconds, rss)
    print(json.dumps(report, indent=2))
    (ROOT / "bench" / "service_load.json").write_text(json.dumps(report, indent=2) + "\n")
    if options.write:
        write_section(report)


def summarise(
    options: argparse.Namespace, results: list[Interview], seconds: float, rss: dict[str, Any]
) -> dict[str, Any]:
    turns = [t for r in results for t in r.turn_seconds]
    added = [max(t - options.ai_delay, 0.0) * 1000 for t in turns]
    lost = sum(
        1
        for r in results
        if r.expected_events and r.events != list(range(1, len(r.events) + 1))
    )
    missing = sum(max(r.expected_events - len(r.events), 0) for r in results)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "interviews": options.interviews,
        "turns_per_interview": options.turns,
        "ai_delay_seconds": options.ai_delay,
        "serve_workers": options.serve_workers,
        "eval_workers": options.eval_workers,
        "wall_seconds": round(seconds, 2),
        "turns_completed": len(turns),
        "turns_per_second": round(len(turns) / seconds, 1) if seconds else 0,
        "added_latency_ms": {
            "p50": round(percentile(added, 0.50), 1),
            "p95": round(percentile(added, 0.95), 1),
            "p99": round(percentile(added, 0.99), 1),
            "mean": round(statistics.fmean(added), 1) if added else None,
        },
        "errors": sum(len(r.errors) for r in results),
        "error_samples": [e for r in results for e in r.errors][:10],
        "evaluations_ready": sum(r.ready for r in results),
        "websocket_sequences_broken": lost,
        "events_missing": missing,
        "events_received": sum(len(r.events) for r in results),
        "peak_rss_mib": {k: [round(v, 1) for v in vs] for k, vs in rss.items()},
        "load_average": list(os.getloadavg()),
    }


def write_section(report: dict[str, Any]) -> None:
    latency = report["added_latency_ms"]
    body = f"""{START_MARK}
## Service under load

`python -m bench.service_load --database-url postgresql://…` on {report["date"]}:
{report["interviews"]} concurrent interviews through `interview-orchestrator serve`
({report["serve_workers"]} uvicorn workers) and {report["eval_workers"]} `interview-orchestrator
worker` processes on PostgreSQL, on this 2-core machine; a scripted OpenAI-compatible server
answers every AI request after {int(report["ai_delay_seconds"] * 1000)} ms. Each interview:
create, a candidate link, a WebSocket on its events, start, {report["turns_per_interview"]}
messages one after another, end (evaluated in the background).

| figure | value |
| --- | ---: |
| turns completed | {report["turns_completed"]:,} in {report["wall_seconds"]} s ({report["turns_per_second"]} turns/s) |
| service's added latency per turn, p50 / p95 / p99 | {latency["p50"]} / {latency["p95"]} / {latency["p99"]} ms |
| errors | {report["errors"]} |
| evaluations READY | {report["evaluations_ready"]} of {report["interviews"]} |
| events received over WebSockets | {report["events_received"]:,}; missing {report["events_missing"]}, sequences broken {report["websocket_sequences_broken"]} |
| peak RSS, serve (master, workers) | {", ".join(f"{v} MiB" for v in report["peak_rss_mib"]["serve"])} |
| peak RSS, evaluation workers | {", ".join(f"{v} MiB" for v in report["peak_rss_mib"]["workers"])} |

The added latency is a turn's round trip as the client measured it minus the AI's
{int(report["ai_delay_seconds"] * 1000)} ms: the HTTP request, the turn's two transactions,
the interviewer's request and answer parsing, and queueing behind the other interviews.
Load average at the end: {", ".join(f"{v:.2f}" for v in report["load_average"])}.
{END_MARK}"""
    text_ = RESULTS.read_text()
    if START_MARK in text_:
        before, rest = text_.split(START_MARK, 1)
        after = rest.split(END_MARK, 1)[1]
        text_ = before + body + after
    else:
        text_ = text_.rstrip() + "\n\n" + body + "\n"
    RESULTS.write_text(text_)


if __name__ == "__main__":
    main()

"""``serve``: the HTTP and WebSocket service, on uvicorn.

Where the background work (evaluations, webhook deliveries) runs:

* **SQLite** — threads of the one server process (``create_app(background_work=True)``), woken
  at once by the process's own commits. ``--workers N`` is refused: SQLite serialises writes, and
  a process hears another's commits only when it polls, so more processes would add lock waits
  and delay live events without serving more interviews.
* **PostgreSQL** — ``interview-orchestrator worker`` processes beside any number of servers; or
  ``--with-worker``: ``serve`` starts one as its child (restarted if it dies, stopped with
  ``serve``).

``serve`` binds its socket itself before uvicorn starts, so that it can say where it listens
(``--port 0`` takes any free port) and the processes of ``--workers N`` share it. SIGTERM or
Ctrl-C stops it cleanly: requests in flight are given ``GRACEFUL_SECONDS``, WebSockets are
closed, the background work stops, and the command exits 0.

FastAPI, uvicorn and the app are imported when the command runs, not to print the help.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.markup import escape

from ..errors import DataStoreError
from .app import QUIET_LOGS, app, container_of, err_console

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy.engine import Engine

    from ..container import Container
    from ..settings import Settings

#: Seconds that requests in flight get to finish once a stop is asked for.
GRACEFUL_SECONDS: Final = 30
#: Seconds the worker child gets to finish the evaluation in hand before it is told to give it
#: back (a second SIGTERM), and then before it is killed.
WORKER_STOP_SECONDS: Final = 30
WORKER_GIVE_BACK_SECONDS: Final = 10
#: A worker child that died is started again after 1 s, then 2, 4 … up to this.
WORKER_RESTART_MAX_DELAY: Final = 60.0
FACTORY: Final = "interview_orchestrator.api.factory:app_from_environment"
#: Runs the command line in the child, with the interpreter and package of this process.
_COMMAND_LINE: Final = "from interview_orchestrator.cli import main; main()"

Host = Annotated[
    str,
    typer.Option(
        "--host",
        help="The address to listen on: 127.0.0.1 (this machine only) unless you mean to "
        "expose it, e.g. 0.0.0.0 behind a proxy that terminates TLS.",
    ),
]
Port = Annotated[int, typer.Option("--port", min=0, max=65535, help="0: any free port (printed).")]
Workers = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        max=64,
        help="Server processes sharing the port (PostgreSQL only; each has its own thread "
        "pool and connections).",
    ),
]
WithWorker = Annotated[
    bool,
    typer.Option(
        "--with-worker",
        help="PostgreSQL: also run an `interview-orchestrator worker` process for the "
        "evaluations (on SQLite they always run inside the server).",
    ),
]


@app.command()
def serve(
    ctx: typer.Context,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Workers = 1,
    with_worker: WithWorker = False,
) -> None:
    """Run the HTTP and WebSocket service (API under /api/v1, OpenAPI page at /docs) until
    SIGTERM or Ctrl-C. Refuses a database that is not migrated (SQLite files are migrated
    automatically). Keys for it: `interview-orchestrator keys create`."""
    from ..api.app import API_PREFIX

    container = container_of(ctx)
    _log_requests(container)
    settings = container.settings()
    engine: Engine = container.engine()  # a SQLite file is migrated here
    on_sqlite = engine.dialect.name == "sqlite"
    if on_sqlite and workers > 1:
        raise typer.BadParameter(
            "several server processes need PostgreSQL; on SQLite one process serves "
            "(its threads handle the requests, the evaluations and the webhooks)",
            param_hint="--workers",
        )
    _require_migrated(engine)
    listener = _listen(host, port)
    child = None
    if with_worker and on_sqlite:
        typer.echo("--with-worker: on SQLite the evaluations run in this process anyway", err=True)
    elif with_worker:
        config_file: Path | None = ctx.find_root().params.get("config")
        child = WorkerProcess(_worker_argv(config_file), _worker_environment(settings))
    base = _base_url(listener)
    typer.echo(f"listening on {base} (API {base}{API_PREFIX}, OpenAPI page {base}/docs)")
    typer.echo(f"background work: {_where_background_work_runs(on_sqlite, child is not None)}")
    try:
        if child is not None:
            child.start()
        if workers == 1:
            started = _serve_one(container, listener, background_work=on_sqlite)
        else:
            started = _serve_many(settings, listener, workers)
    finally:
        if child is not None:
            child.stop()
        listener.close()
    if not started:
        err_console.print("[bold red]error:[/] the service did not start (see above)")
        raise typer.Exit(code=1)
    typer.echo("stopped")


def _log_requests(container: Container) -> None:
    """A service's request lines are its output: ``serve`` logs at the configured level
    (INFO by default) rather than the quiet default of the other commands."""
    layers = container.config.file_layers
    if QUIET_LOGS in layers:
        layers.remove(QUIET_LOGS)


def _require_migrated(engine: Engine) -> None:
    """One line and exit 1, rather than a server that fails every request."""
    from ..store.migrate import current, head_revision

    try:
        at = current(engine)
    except DataStoreError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataStoreError(f"the database cannot be reached: {first_line}") from None
    head = head_revision()
    if at != head:
        raise DataStoreError(
            f"the database is at migration {at or 'none'}, this version needs {head}: run "
            "`interview-orchestrator db upgrade` against it first"
        )


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; one line and exit 1 if the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        err_console.print(
            f"[bold red]error:[/] cannot listen on {escape(host)}:{port}: {exc.strerror or exc}",
            highlight=False,
        )
        raise typer.Exit(code=1) from None
    sock.set_inheritable(True)
    return sock


def _base_url(sock: socket.socket) -> str:
    address, port = sock.getsockname()[:2]
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"


def _where_background_work_runs(on_sqlite: bool, child: bool) -> str:
    if on_sqlite:
        return "on threads of this process (SQLite)"
    if child:
        return "an `interview-orchestrator worker` process started by serve (--with-worker)"
    return (
        "none here: run `interview-orchestrator worker` beside the servers (or serve --with-worker)"
    )


def _uvicorn_config(
    app: FastAPI | str, sock: socket.socket, settings: Settings, *, workers: int = 1
) -> uvicorn.Config:
    """uvicorn's configuration: ``app`` is the app itself, or with several ``workers`` the
    import string of a factory (each process builds its own)."""
    import uvicorn

    address, port = sock.getsockname()[:2]
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        workers=workers,
        host=address,
        port=port,
        lifespan="on",
        # The app writes one JSON line per request (without tokens); uvicorn says only what
        # goes wrong.
        access_log=False,
        log_level="debug" if settings.logging.level == "DEBUG" else "warning",
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        # The WebSocket pings that keep idle sockets open through proxies are the server's.
        ws_ping_interval=settings.service.websocket_ping_seconds,
    )


def _serve_one(container: Container, sock: socket.socket, *, background_work: bool) -> bool:
    """One server process on the command's container; whether it started."""
    import uvicorn

    from ..api.app import create_app

    api = create_app(container, background_work=background_work)
    server = uvicorn.Server(_uvicorn_config(api, sock, container.settings()))

    def stop() -> None:
        server.should_exit = True

    # uvicorn installs its own handlers while it runs; ours cover the moments before and after
    # (it raises the signal again once it has shut down).
    with _stop_requests(stop):
        server.run(sockets=[sock])
    return server.started


def _serve_many(settings: Settings, sock: socket.socket, workers: int) -> bool:
    """``workers`` processes built by ``FACTORY`` from this command's settings, sharing the
    socket; uvicorn's supervisor restarts one that dies. Whether they ran."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from ..api.factory import settings_environment

    config = _uvicorn_config(FACTORY, sock, settings, workers=workers)
    with _stop_requests(lambda: None) as requested, _environment(settings_environment(settings)):
        supervisor = Multiprocess(config, sockets=[sock])  # from here its handlers take signals
        if requested.is_set():
            return True
        supervisor.run()
    # The supervisor gives up when a process fails before serving (a broken configuration).
    return all(process.exitcode != STARTUP_FAILURE for process in supervisor.processes)


@contextmanager
def _stop_requests(on_stop: Callable[[], None]) -> Iterator[threading.Event]:
    """SIGTERM and SIGINT call ``on_stop`` (and set the event) for the length of the block;
    the previous handlers are restored after it."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested  # signals reach only the main thread: whoever runs us handles them
        return

    def handle(_signum: int, _frame: FrameType | None) -> None:
        requested.set()
        on_stop()

    previous = {signum: signal.signal(signum, handle) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield requested
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in this process's environment (which children inherit) for the block."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --------------------------------------------------------------------------- --with-worker


def _worker_argv(config_file: Path | None) -> list[str]:
    config = ["--config", str(config_file.resolve())] if config_file is not None else []
    return [sys.executable, "-c", _COMMAND_LINE, *config, "worker"]


def _worker_environment(settings: Settings) -> dict[str, str]:
    """This environment, with the database and log level ``serve`` resolved (its
    ``--database-url`` and ``--log-level`` included): with the same ``--config`` file, the
    child's settings are the server's. Passed in the environment, never on a command line that
    ``ps`` shows, since a database URL may carry a password."""
    return {
        **os.environ,
        "INTERVIEW_DATABASE_URL": settings.database.url,
        "INTERVIEW_LOG_LEVEL": settings.logging.level,
    }


class WorkerProcess:
    """An ``interview-orchestrator worker`` child of ``serve``: restarted (with a growing
    delay) if it dies; on ``stop`` sent SIGTERM, so that it finishes the evaluation in hand,
    then a second SIGTERM (it gives the evaluation back for another worker), then SIGKILL.
    It stays in ``serve``'s process group, so that whoever kills the group kills it too; a
    signal to the whole group (Ctrl-C in a terminal) reaches it first, and then ``serve``'s
    SIGTERM, if it is still at work, is its second: the evaluation goes back to PENDING, for
    the next worker, rather than holding ``serve`` up."""

    def __init__(self, argv: list[str], env: Mapping[str, str]) -> None:
        self._argv = argv
        self._env = dict(env)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._watcher = threading.Thread(target=self._watch, name="worker-watch", daemon=True)

    def start(self) -> None:
        with self._lock:
            self._spawn()
        self._watcher.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            if not _exited(process, WORKER_STOP_SECONDS):
                process.send_signal(signal.SIGTERM)
                if not _exited(process, WORKER_GIVE_BACK_SECONDS):
                    process.kill()
                    process.wait()
        if self._watcher.is_alive():
            self._watcher.join()

    def _spawn(self) -> None:
        self._process = subprocess.Popen(self._argv, env=self._env, stdin=subprocess.DEVNULL)
        self._started_at = time.monotonic()
        typer.echo(f"worker process started (pid {self._process.pid})")

    def _watch(self) -> None:
        delay = 1.0
        while True:
            with self._lock:
                process = self._process
            assert process is not None
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - self._started_at >= WORKER_RESTART_MAX_DELAY:
                delay = 1.0
            typer.echo(
                f"worker process {process.pid} exited ({_exit_text(code)}); "
                f"starting another in {delay:g} s",
                err=True,
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()
            delay = min(delay * 2, WORKER_RESTART_MAX_DELAY)


def _exited(process: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def _exit_text(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"

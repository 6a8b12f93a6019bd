"""Processes of the command line for the service tests: ``serve`` on a free loopback port
(``--port 0``; the port is read from the line it prints), ``worker``, and ``keys create``.

Every wait has a deadline; every process runs in a process group of its own, so that it is
killed with its children, and its output is kept for the failure message.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, TypeVar

import httpx
import pytest

from interview_orchestrator.store import create_engine_for, upgrade

EXE = shutil.which("interview-orchestrator", path=str(Path(sys.executable).parent))
#: Bounds every wait: a hung process fails the test instead of hanging the suite.
DEADLINE = 30.0
_LISTENING = re.compile(r"^listening on (http://\S+) ")


def child_env(extra: Mapping[str, str] = MappingProxyType({})) -> dict[str, str]:
    """This environment without the developer's configuration, plus ``extra``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    return {**base, **extra}


def wait_until(condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    """Poll ``condition`` until it returns something true (returned) or fail after
    ``timeout`` naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.05)


class Spawned:
    """A command-line process in a group of its own: stdout lines are collected by a thread,
    stderr goes to a file (it may be long: the JSON log)."""

    def __init__(
        self, argv: list[str], env: dict[str, str], log_dir: Path, cwd: Path | None = None
    ) -> None:
        self.argv = argv
        self.stderr_path = log_dir / f"stderr-{time.monotonic_ns()}.log"
        self._stderr_file = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            text=True,
            bufsize=1,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        self._lines: list[str] = []
        self._ended = False
        self._grew = threading.Condition()
        assert self.process.stdout is not None
        threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            with self._grew:
                self._lines.append(line.rstrip("\n"))
                self._grew.notify_all()
        with self._grew:
            self._ended = True
            self._grew.notify_all()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def lines(self) -> list[str]:
        with self._grew:
            return list(self._lines)

    @property
    def stderr(self) -> str:
        self._stderr_file.flush()
        return self.stderr_path.read_text(errors="replace")

    def line_matching(self, pattern: str | re.Pattern[str], timeout: float = DEADLINE) -> str:
        """The first stdout line that ``pattern`` matches (searched), waiting for it."""
        regex = re.compile(pattern)

        def found() -> str | None:
            return next((line for line in self._lines if regex.search(line)), None)

        with self._grew:
            self._grew.wait_for(lambda: found() is not None or self._ended, timeout)
            line = found()
        if line is None:
            pytest.fail(f"{self.name} did not print a line matching {regex.pattern!r}\n{self}")
        return line

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = DEADLINE) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} did not exit within {timeout} s\n{self}")

    def kill_group(self) -> None:
        """SIGKILL to the process and everything it started."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=DEADLINE)

    @property
    def name(self) -> str:
        return " ".join(Path(self.argv[0]).name.split() + self.argv[1:])

    def __str__(self) -> str:
        code = self.process.poll()
        return (
            f"--- {self.name} (pid {self.pid}, exit {code})\n"
            + "\n".join(f"stdout| {line}" for line in self.lines)
            + "\n"
            + "\n".join(f"stderr| {line}" for line in self.stderr.splitlines()[-60:])
        )


class Server(Spawned):
    """An ``interview-orchestrator serve`` process; its first client waits until it is
    ready, so that a test can make its keys meanwhile."""

    _ready = False

    @property
    def base_url(self) -> str:
        match = _LISTENING.match(self.line_matching(_LISTENING))
        assert match is not None
        return match.group(1)

    def wait_ready(self, timeout: float = DEADLINE) -> Server:
        """Until ``/api/v1/readyz`` answers 200 (fails at once if the process ended)."""
        if self._ready:
            return self
        url = f"{self.base_url}/api/v1/readyz"

        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited before it was ready\n{self}")
            try:
                return httpx.get(url, timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, f"{self.name} answers {url} with 200\n{self}", timeout)
        self._ready = True
        return self

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client of the API (``/api/v1``), as the holder of ``token``."""
        self.wait_ready()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=f"{self.base_url}/api/v1", headers=headers, timeout=DEADLINE)

    def stop(self, timeout: float = DEADLINE) -> int:
        """SIGTERM, as a process manager stops it; its exit code."""
        self.signal(signal.SIGTERM)
        return self.wait(timeout)


S = TypeVar("S", bound=Spawned)


class Processes:
    """Starts the command line's processes for one test; kills them all at its end."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self.started: list[Spawned] = []

    def command(self, database_url: str, *args: str, config: Path | None = None) -> list[str]:
        assert EXE is not None, "the interview-orchestrator command is not installed"
        options = ["--config", str(config)] if config is not None else []
        return [EXE, "--database-url", database_url, *options, *args]

    def serve(
        self,
        database_url: str,
        *options: str,
        config: Path | None = None,
        env: Mapping[str, str] = MappingProxyType({}),
    ) -> Server:
        """``serve --port 0 OPTIONS`` on ``database_url``, starting (``wait_ready``)."""
        argv = self.command(database_url, "serve", "--port", "0", *options, config=config)
        return self.start(Server, argv, env=child_env(env))

    def worker(
        self,
        database_url: str,
        *options: str,
        config: Path | None = None,
        env: Mapping[str, str] = MappingProxyType({}),
    ) -> Spawned:
        argv = self.command(database_url, "worker", *options, config=config)
        return self.start(Spawned, argv, env=child_env(env))

    def start(
        self, kind: type[S], argv: list[str], *, env: dict[str, str], cwd: Path | None = None
    ) -> S:
        """Any command as a ``kind`` (``Spawned`` or ``Server``), killed at the test's end."""
        spawned = kind(argv, env, self._log_dir, cwd)
        self.started.append(spawned)
        return spawned

    def run(self, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
        """A command to its end."""
        return subprocess.run(
            self.command(database_url, *args),
            capture_output=True,
            text=True,
            env=child_env(),
            timeout=DEADLINE,
        )

    def key(self, database_url: str, role: str = "admin", tenant: str = "default") -> str:
        """A key made by ``keys create``: the last line of its stdout."""
        made = self.run(
            database_url, "keys", "create", "--name", f"e2e {role}", "--role", role,
            "--tenant", tenant,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert "shown once" in made.stderr
        token = made.stdout.splitlines()[-1]
        assert token.startswith("iok_"), made.stdout
        return token

    def finish(self) -> None:
        for spawned in self.started:
            if spawned.process.poll() is None:
                spawned.kill_group()
            print(spawned)


def migrated(url: str) -> str:
    """``url``, migrated as a deployment's ``db upgrade`` step would."""
    engine = create_engine_for(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


# --------------------------------------------------------------------------- the API

PROBLEM = "application/problem+json"


def on_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


def answer(response: httpx.Response, status: int) -> Any:
    """The JSON body of ``response``, which must have ``status``."""
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def new_session(admin: httpx.Client, user_id: str = "cand-1") -> str:
    """A new session (CREATED) made through ``admin``: its id."""
    created = answer(admin.post("/sessions", json={"config": {}, "user_id": user_id}), 201)
    assert created["status"] == "created"
    sid: str = created["id"]
    return sid


def link(admin: httpx.Client, sid: str, kind: str) -> str:
    """The token of a new link of ``kind`` to ``sid``."""
    made = answer(admin.post(f"/sessions/{sid}/links", json={"kind": kind}), 201)
    assert made["session_id"] == sid and made["token"].startswith("iol_")
    token: str = made["token"]
    return token

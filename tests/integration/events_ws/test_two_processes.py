"""Two real server processes on one PostgreSQL database: a WebSocket on one hears every event
caused through the other (its hub is woken by ``LISTEN``/``NOTIFY``, not by its periodic
re-read). The servers are ``uvicorn --factory interview_orchestrator.api:create_app`` on Unix
sockets (no port to race for); the key is made with the library."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, unix_connect

from interview_orchestrator import Container
from interview_orchestrator.api.hub import SAFETY_SECONDS
from interview_orchestrator.serialization import SessionEventOut

pytestmark = pytest.mark.postgres

API = "/api/v1"
TENANT = "acme"
#: Bounds the wait for a server to answer ``/healthz``.
START_DEADLINE = 30.0
#: An event caused through one process reaches the other's socket well within this, and
#: within less than the periodic re-read: only a wake-up can deliver it in time.
PROMPT = SAFETY_SECONDS / 2


class Server:
    """``uvicorn`` serving ``create_app()`` on a Unix socket, configured by the environment
    alone, as an operator runs it; its output goes to a file, read on failure."""

    def __init__(self, name: str, directory: Path, database_url: str) -> None:
        self.name = name
        self.socket_path = str(directory / f"{name}.sock")
        self._output_path = directory / f"{name}.log"
        self._output: IO[bytes] = self._output_path.open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
        env["INTERVIEW_DATABASE_URL"] = database_url
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "interview_orchestrator.api:create_app",
                "--uds",
                self.socket_path,
                "--log-level",
                "warning",
            ],
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env=env,
        )

    @property
    def output(self) -> str:
        return self._output_path.read_text(errors="replace")[-4000:]

    def http(self) -> httpx.Client:
        return httpx.Client(
            transport=httpx.HTTPTransport(uds=self.socket_path),
            base_url=f"http://{self.name}",
            timeout=10.0,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_DEADLINE
        with self.http() as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    pytest.fail(f"server {self.name} exited:\n{self.output}")
                try:
                    if http.get(f"{API}/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        pytest.fail(f"server {self.name} not ready within {START_DEADLINE} s:\n{self.output}")

    def events(self, session_id: str, token: str) -> ClientConnection:
        return unix_connect(
            self.socket_path,
            f"ws://{self.name}{API}/sessions/{session_id}/events?after=0",
            additional_headers={"Authorization": f"Bearer {token}"},
            open_timeout=10,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._output.close()


@pytest.fixture
def library(postgres_url: str) -> Iterator[Container]:
    """The library in the test process, on the servers' database (keys, the log's truth)."""
    built = Container()
    built.config.database.url.from_value(postgres_url)
    built.config.logging.enabled.from_value(False)
    yield built
    built.shutdown_resources()


@pytest.fixture
def servers(postgres_url: str) -> Iterator[tuple[Server, Server]]:
    directory = Path(tempfile.mkdtemp(prefix="io-ws-"))  # short: Unix socket paths are
    started = [Server(name, directory, postgres_url) for name in ("one", "two")]
    try:
        for server in started:
            server.wait_ready()
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def log_of(library: Container, session_id: str) -> list[dict[str, Any]]:
    manager = library.session_manager(tenant_id=TENANT)
    return [
        SessionEventOut.from_domain(event).model_dump(mode="json")
        for event in manager.events(session_id, limit=1000)
    ]


def test_a_socket_on_one_process_hears_every_event_caused_through_another(
    library: Container, servers: tuple[Server, Server]
) -> None:
    listening, acting = servers
    token = library.access_manager().create_key("two processes", "admin", TENANT)[1]
    auth = {"Authorization": f"Bearer {token}"}
    seen: list[dict[str, Any]] = []
    with acting.http() as http:
        created = http.post(f"{API}/sessions", json={"config": {}}, headers=auth)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        with listening.events(sid, token) as socket:
            for step in ("start", "pause", "resume", "end"):
                answer = http.post(f"{API}/sessions/{sid}/{step}", headers=auth)
                assert answer.status_code < 300, answer.text
                target = log_of(library, sid)[-1]["id"]
                done_at = time.monotonic()
                while not seen or seen[-1]["id"] < target:
                    left = PROMPT - (time.monotonic() - done_at)
                    try:
                        seen.append(json.loads(socket.recv(timeout=max(left, 0.001))))
                    except TimeoutError:
                        pytest.fail(
                            f"after {step!r} on server {acting.name}, event {target} did not "
                            f"reach server {listening.name}'s socket within {PROMPT} s "
                            f"(got up to {seen[-1]['id'] if seen else 0}):\n"
                            f"{listening.output}"
                        )
    assert seen == log_of(library, sid)
    assert [frame["id"] for frame in seen] == list(range(1, len(seen) + 1))
    assert token not in listening.output + acting.output

"""The ``serve`` and ``keys`` commands as processes: what they refuse, how they stop, the
worker process ``serve --with-worker`` keeps, the settings ``serve --workers N`` hands to its
processes, and keys from creation to revocation."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from service_support import Processes, Spawned, answer, new_session, on_postgres, wait_until

from interview_orchestrator import Container
from interview_orchestrator.api.factory import container_from_environment, settings_environment

_WORKER_STARTED = re.compile(r"^worker process started \(pid (\d+)\)$")


def worker_pids(server: Spawned) -> list[int]:
    return [int(m.group(1)) for line in server.lines if (m := _WORKER_STARTED.match(line))]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.postgres
def test_serve_refuses_a_database_that_is_not_migrated_naming_db_upgrade(
    new_postgres_database: Callable[[], str], processes: Processes
) -> None:
    server = processes.serve(new_postgres_database())
    assert server.wait() == 1
    errors = server.stderr.strip().splitlines()
    assert len(errors) == 1, server.stderr
    assert "interview-orchestrator db upgrade" in errors[0]
    assert not any(line.startswith("listening on") for line in server.lines)


def test_serve_refuses_several_processes_on_sqlite(tmp_path: Path, processes: Processes) -> None:
    server = processes.serve(f"sqlite:///{tmp_path}/one.db", "--workers", "2")
    assert server.wait() == 2
    assert "PostgreSQL" in server.stderr
    assert server.lines == []


def test_serve_refuses_an_address_in_use_in_one_line(tmp_path: Path, processes: Processes) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        server = processes.serve(f"sqlite:///{tmp_path}/one.db", "--port", port)
        assert server.wait() == 1
    assert (
        server.stderr.strip() == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(lambda server: server.signal(signal.SIGTERM), id="SIGTERM"),
        pytest.param(lambda server: os.killpg(server.pid, signal.SIGINT), id="Ctrl-C"),
    ],
)
def test_a_signal_stops_serve_cleanly_with_its_background_work(
    database_url: str, processes: Processes, stop: Callable[[Spawned], None]
) -> None:
    with_worker = ["--with-worker"] if on_postgres(database_url) else []
    server = processes.serve(database_url, *with_worker).wait_ready()
    if with_worker:
        server.line_matching(r"^worker .* started$")  # the child's own announcement

    stop(server)  # Ctrl-C reaches the whole process group, as in a terminal

    assert server.wait() == 0, server
    assert server.lines[-1] == "stopped"
    for pid in worker_pids(server):
        assert gone(pid), f"worker process {pid} outlived serve"
    if with_worker:
        assert any(re.match(r"^worker .* stopped", line) for line in server.lines), server


@pytest.mark.postgres
def test_serve_with_worker_starts_another_worker_when_its_worker_dies(
    postgres_database: str, processes: Processes
) -> None:
    server = processes.serve(postgres_database, "--with-worker")
    key = processes.key(postgres_database)
    server.line_matching(_WORKER_STARTED)
    (first_worker,) = worker_pids(server)

    os.kill(first_worker, signal.SIGKILL)
    wait_until(lambda: len(worker_pids(server)) == 2, f"a second worker is started\n{server}")
    assert "killed by SIGKILL" in server.stderr

    with server.client(key) as admin:
        sid = new_session(admin)
        answer(admin.post(f"/sessions/{sid}/start"), 200)
        answer(admin.post(f"/sessions/{sid}/messages", json={"content": "Shard by user."}), 201)
        answer(admin.post(f"/sessions/{sid}/end"), 202)

        def finished() -> str | None:
            status: str = answer(admin.get(f"/sessions/{sid}/evaluation"), 200)["status"]
            return status if status not in ("pending", "running") else None

        assert wait_until(finished, f"the new worker evaluates {sid}\n{server}") == "ready"


def test_keys_are_listed_without_their_tokens_and_a_revoked_key_is_refused(
    database_url: str, processes: Processes
) -> None:
    server = processes.serve(database_url)
    key = processes.key(database_url, role="reviewer", tenant="acme")
    with server.client(key) as reviewer:
        assert answer(reviewer.get("/sessions"), 200) == {"items": [], "next_cursor": None}

    listed = processes.run(database_url, "keys", "list", "--tenant", "acme", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    (shown,) = json.loads(listed.stdout)
    assert (shown["role"], shown["tenant_id"], shown["revoked_at"]) == ("reviewer", "acme", None)
    assert key.startswith(shown["hint"]) and len(shown["hint"]) < len(key) // 2
    assert key not in listed.stdout

    revoked = processes.run(database_url, "keys", "revoke", shown["id"])
    assert revoked.returncode == 0, revoked.stderr
    assert f"key {shown['id']}" in revoked.stdout
    with server.client(key) as reviewer:
        refused = reviewer.get("/sessions")
    assert refused.status_code == 401, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_the_processes_of_serve_workers_build_exactly_the_settings_serve_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated = Container.from_settings(
        database_url=f"sqlite:///{tmp_path}/x.db",
        logging={"level": "DEBUG"},
        evaluation={"lease_seconds": 7, "mode": "background"},
        interviewer={"template_dirs": [str(tmp_path)], "max_turns": 9},
        service={"public_url": "https://interviews.example.test", "thread_limit": 3},
        openai={"store": None, "evaluator_model": "judge"},
    ).settings()
    # What the environment says must not change what serve checked.
    monkeypatch.setenv("INTERVIEW_DATABASE_URL", "postgresql://nowhere/else")
    monkeypatch.setenv("INTERVIEW_LOG_LEVEL", "ERROR")

    rebuilt = container_from_environment(settings_environment(validated))

    assert rebuilt.settings() == validated

"""A deployment on PostgreSQL: two ``serve`` commands (one of them ``--workers 2``) and worker
processes on one database. Any server continues any interview, the settings of ``serve``
reach the processes uvicorn starts, and a worker killed mid-evaluation is replaced by another
without any evaluation being lost or generated twice."""

from __future__ import annotations

import collections
import signal
from pathlib import Path

import pytest
from service_support import Processes, answer, new_session, wait_until

from interview_orchestrator import Container, EvaluationStatus, EventType

#: The shortest lease the settings allow: the takeover waits this long.
LEASE = 3
PUBLIC_URL = "https://interviews.example.test"
SESSIONS = 4


@pytest.mark.postgres
def test_two_servers_and_replaced_workers_evaluate_every_interview_exactly_once(
    postgres_database: str, processes: Processes, tmp_path: Path
) -> None:
    config = tmp_path / "deployment.yaml"
    config.write_text(
        f"evaluation: {{lease_seconds: {LEASE}}}\n"
        "worker: {poll_interval_seconds: 0.2}\n"
        f"service: {{public_url: {PUBLIC_URL}}}\n"
    )
    # --database-url beats INTERVIEW_DATABASE_URL in uvicorn's processes too: were it lost on
    # the way, they would answer from a server that does not exist.
    nowhere = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    pooled = processes.serve(
        postgres_database, "--workers", "2", config=config, env={"INTERVIEW_DATABASE_URL": nowhere}
    )
    single = processes.serve(postgres_database, config=config)
    doomed = processes.worker(
        postgres_database, config=config, env={"INTERVIEW_FAULTS": "evaluation.after_claim=kill"}
    )
    key = processes.key(postgres_database)  # while the servers and the worker start
    doomed.line_matching(r"^worker .* started")

    sids = []
    with pooled.client(key) as first, single.client(key) as second:
        for number in range(SESSIONS):
            creator, driver = (first, second) if number % 2 == 0 else (second, first)
            sid = new_session(creator, user_id=f"cand-{number}")
            made = answer(creator.post(f"/sessions/{sid}/links", json={"kind": "candidate"}), 201)
            assert made["url"].startswith(f"{PUBLIC_URL}/i/")  # --config reached the process
            answer(driver.post(f"/sessions/{sid}/start"), 200)
            answer(creator.post(f"/sessions/{sid}/messages", json={"content": "Shard it."}), 201)
            answer(driver.post(f"/sessions/{sid}/messages", json={"content": "Cache it."}), 201)
            answer(creator.post(f"/sessions/{sid}/end"), 202)
            sids.append(sid)
        # The first evaluation's claim killed the doomed worker: RUNNING, its lease running out.
        assert doomed.wait() == -signal.SIGKILL
        heir = processes.worker(postgres_database, config=config)

        def all_ready() -> bool:
            clients = (first, second)  # each server reads every session
            return all(
                answer(clients[n % 2].get(f"/sessions/{sid}/evaluation"), 200)["status"] == "ready"
                for n, sid in enumerate(sids)
            )

        wait_until(all_ready, f"every evaluation is ready\n{heir}", timeout=LEASE + 30)

    container = Container.from_settings(database_url=postgres_database, logging={"enabled": False})
    try:
        manager = container.session_manager()
        attempts = []
        for sid in sids:
            report = manager.get_evaluation(sid)
            assert report is not None and report.status is EvaluationStatus.READY
            attempts.append(report.attempts)
            assert len(manager.get_transcript(sid)) == 5
            outcomes = collections.Counter(
                e.data["status"]
                for e in manager.events(sid, limit=1000)
                if e.type is EventType.EVALUATION_UPDATED
            )
            assert outcomes["ready"] == 1, (sid, outcomes)
    finally:
        container.shutdown_resources()
    assert sorted(attempts) == [1] * (SESSIONS - 1) + [2]  # one taken over, after the lease

    heir.signal(signal.SIGTERM)
    assert heir.wait() == 0
    assert pooled.stop() == 0 and single.stop() == 0

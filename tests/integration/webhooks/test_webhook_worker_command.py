"""``interview-orchestrator worker`` delivers webhooks too (the dispatcher runs beside the
evaluation worker): with ``--once`` it sends what is due, then exits 0."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from webhook_receiver import DEADLINE, Receiver, run_interview

from interview_orchestrator import SessionManager
from interview_orchestrator.webhooks import WebhookService

EXE = shutil.which("interview-orchestrator", path=str(Path(sys.executable).parent))


def test_the_worker_command_delivers_the_events_webhooks_are_waiting_for(
    database_url: str, manager: SessionManager, service: WebhookService, receiver: Receiver
) -> None:
    assert EXE, "the interview-orchestrator command is installed in the virtualenv"
    endpoint = receiver.endpoint("worker")
    endpoint.secret = service.register("default", endpoint.url).secret
    sid = run_interview(manager, answers=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    done = subprocess.run(
        [EXE, "--database-url", database_url, "worker", "--once"],
        capture_output=True,
        text=True,
        env=env,
        timeout=DEADLINE,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert endpoint.refused == []
    assert endpoint.events() == [(sid, e.id) for e in manager.events(sid, limit=1000)]

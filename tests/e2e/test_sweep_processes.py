"""``sweep`` from cron: several processes at once end each overdue session exactly once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from interview_orchestrator import Container, SessionConfig

EXE = shutil.which("interview-orchestrator", path=str(Path(sys.executable).parent))


def test_concurrent_sweeps_end_each_overdue_session_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cron.db'}"
    container = Container()
    container.config.database.url.from_value(url)
    container.config.logging.enabled.from_value(False)
    manager = container.session_manager()
    ids = []
    for i in range(8):
        session = manager.create_session(SessionConfig(duration_minutes=10), user_id=f"cron-{i}")
        manager.start_session(session.id)
        ids.append(session.id)
    container.shutdown_resources()
    # Two hours pass: every session is past its ten minutes.
    past = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    with create_engine(url).begin() as conn:
        conn.execute(
            text("UPDATE sessions SET active_since = :t, last_activity_at = :t"), {"t": past}
        )

    assert EXE
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    sweeps = [
        subprocess.Popen(
            [EXE, "--database-url", url, "sweep", "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    reports = []
    for process in sweeps:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        reports.append(json.loads(out))

    ended = [sid for report in reports for sid in report["ended_time_limit"]]
    assert sorted(ended) == sorted(ids)
    with create_engine(url).connect() as conn:
        completions = conn.execute(
            text(
                "SELECT session_id, count(*) FROM transitions WHERE to_status = 'completed' GROUP BY session_id"
            )
        ).all()
        evaluations = conn.execute(text("SELECT status, attempts FROM evaluations")).all()
    assert sorted(sid for sid, _ in completions) == sorted(ids)
    assert all(count == 1 for _, count in completions)
    assert len(evaluations) == len(ids)
    assert all(attempts == 1 for _, attempts in evaluations)

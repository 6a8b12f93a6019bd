"""README.md's "Run the service" walk-through, run as written: its first shell block starts the
server (in a fresh directory, so on a new SQLite file, with the installed command and
``python`` first on ``PATH``), and its other blocks run in order in one bash against it. The
one change: the server takes a free port (``--port 0``) instead of 8000, and the blocks are
pointed at it, so that the test never meets a port in use."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from service_support import DEADLINE, Processes, Server, child_env

README = Path(__file__).resolve().parents[3] / "README.md"
DOCUMENTED_ADDRESS = "127.0.0.1:8000"


def walkthrough() -> tuple[str, str]:
    """The server's command, and the other shell blocks of the section as one script."""
    section = README.read_text(encoding="utf-8").split("\n## Run the service\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    server_block, *steps = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    command = server_block.split("#", 1)[0].strip()
    return command, "\n".join(steps)


def test_the_readme_walkthrough_runs_as_written(tmp_path: Path, processes: Processes) -> None:
    command, script = walkthrough()
    assert command == "interview-orchestrator serve"
    assert DOCUMENTED_ADDRESS in script
    env = child_env({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})

    server = processes.start(Server, [*command.split(), "--port", "0"], env=env, cwd=tmp_path)
    server.wait_ready()
    assert server.base_url.startswith("http://127.0.0.1:")
    address = server.base_url.removeprefix("http://")
    docs = httpx.get(f"{server.base_url}/docs", timeout=DEADLINE)
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert httpx.get(f"{server.base_url}/docs/assets/swagger-ui-bundle.js").status_code == 200

    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(DOCUMENTED_ADDRESS, address)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=2 * DEADLINE,
    )
    assert ran.returncode == 0, f"{ran.stdout}\n{ran.stderr}\n{server}"
    assert "shown once" in ran.stderr
    frames = [json.loads(line) for line in ran.stdout.splitlines() if line.startswith("{")]
    said = [line for line in ran.stdout.splitlines() if not line.startswith("{")]

    assert said[0] == "active"  # started by the candidate's link
    assert said[1].strip()  # the interviewer's next question
    assert said[2] == "completed"
    assert said[3] in ("pending", "running", "ready")  # the evaluation, read with the key
    assert [frame["id"] for frame in frames] == list(range(1, len(frames) + 1))
    assert frames[0]["type"] == "session.started"
    assert frames[-1]["type"] == "session.completed"
    candidate = [f["data"]["message"] for f in frames if f["type"] == "message.created"][1]
    assert candidate["content"].startswith("I would start with the read path")

    # The candidate's page the walk-through points at is served (its link still valid).
    (page_url,) = re.findall(r"the candidate's page: (\S+)", ran.stderr)
    page = httpx.get(page_url.replace(DOCUMENTED_ADDRESS, address), timeout=DEADLINE)
    assert page.status_code == 200
    assert "/static/js/interview.js" in page.text

"""The pytest plugin shipped with the package is found by pytest in any project: a platform
team's test file, outside this repository, uses the fixtures without configuring anything."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLATFORM_TESTS = textwrap.dedent(
    """
    from interview_orchestrator import EvaluationStatus, SessionConfig
    from interview_orchestrator.testing import completion, interviewer_turn, plausible_responder


    def test_offline_interview(session_manager, interview_logs):
        session = session_manager.create_session(SessionConfig())
        session_manager.start_session(session.id)
        session_manager.send_message(session.id, "Requirements first: read heavy, 10k rps.")
        assert session_manager.end_session(session.id).status is EvaluationStatus.READY
        assert [line["operation"] for line in interview_logs][-1] == "end_session"


    def test_openai_interview(interview_container, scripted_openai_server):
        scripted_openai_server.connect(interview_container)
        scripted_openai_server.enqueue(completion(interviewer_turn("Hello?")))
        scripted_openai_server.handler = plausible_responder
        manager = interview_container.session_manager()
        session = manager.create_session(SessionConfig(ai_provider="openai"))
        manager.start_session(session.id)
        assert manager.get_transcript(session.id)[0].content == "Hello?"
        manager.send_message(session.id, "I would start with the API.")
        assert manager.end_session(session.id).status is EvaluationStatus.READY
        assert all("store" not in r.json for r in scripted_openai_server.chat_requests)
    """
)


def test_the_fixtures_work_in_a_project_that_only_installed_the_package(tmp_path: Path) -> None:
    (tmp_path / "test_platform.py").write_text(PLATFORM_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_platform.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout

"""``openai`` (about half a second of CPU to import) is imported only by the openai provider
when it builds a client: not by the package, the container, an offline interview or the
command line's help. Each check runs in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = "assert 'openai' not in sys.modules, 'openai was imported'\nprint('clean')"


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("clean")


def test_importing_the_package_does_not_import_openai(tmp_path: Path) -> None:
    assert_clean(run_python(f"import interview_orchestrator, sys\n{PROBE}", tmp_path))


def test_an_offline_interview_on_the_default_container_does_not_import_openai(
    tmp_path: Path,
) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from interview_orchestrator import Container, SessionConfig

        container = Container.from_settings(database_url="sqlite:///{tmp_path / "io.db"}")
        manager = container.session_manager()
        session = manager.create_session(SessionConfig())
        manager.start_session(session.id)
        manager.send_message(session.id, "Requirements first: read heavy, 10k requests a second.")
        report = manager.end_session(session.id)
        assert report.provider == "offline", report.provider
        container.shutdown_resources()
        """
    )
    assert_clean(run_python(code + PROBE, tmp_path))


def test_the_command_lines_help_does_not_import_openai(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys
        from interview_orchestrator.cli import main

        sys.argv = ["interview-orchestrator", "--help"]
        try:
            main()
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
        """
    )
    result = run_python(code + PROBE, tmp_path)
    assert_clean(result)
    assert "Usage" in result.stdout

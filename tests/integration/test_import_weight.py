"""What loads when: a library process on SQLite, and the command line's help, import none of the
large packages they do not use; each of those still loads, and works, once it is used.

Each check runs in a fresh interpreter and prints what it found; the heavy packages are the
ones a process that runs interviews on SQLite with the offline provider never needs.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

HEAVY = (
    "openai",
    "rich",
    "typer",
    "click",
    "cryptography",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    # The schema is Core tables: SQLAlchemy's ORM is never needed.
    "sqlalchemy.orm",
)
#: What the help must not load: the container and everything it stands on (but pydantic, which
#: Typer itself may import for a subcommand's help).
CONTAINER_PARTS = (
    "interview_orchestrator.container",
    "interview_orchestrator.store",
    "interview_orchestrator.session_manager",
    "dependency_injector",
    "sqlalchemy",
    "structlog",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "openai",
    "httpx",
    "cryptography",
)
REPORT = textwrap.dedent(
    """
    import json as _json
    import sys as _sys
    print(_json.dumps(sorted({name.split(".")[0] for name in _sys.modules}
                             | {name for name in _sys.modules
                                if name.startswith(("interview_", "sqlalchemy.orm"))})))
    """
)


def run_python(code: str, cwd: Path, **env: str) -> list[str]:
    """The modules a fresh interpreter running ``code`` had loaded at its end."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code) + REPORT],
        cwd=cwd,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def loaded_of(names: tuple[str, ...], loaded: list[str]) -> list[str]:
    return [name for name in names if name in loaded]


INTERVIEW = """
    from interview_orchestrator import Container, SessionConfig

    container = Container.from_settings(database_url="sqlite:///{path}")
    manager = container.session_manager()
    session = manager.create_session(SessionConfig())
    manager.start_session(session.id)
    manager.send_message(session.id, "Requirements first: read heavy, 10k requests a second.")
    report = manager.end_session(session.id)
    assert report.provider == "offline", report.provider
    assert report.status.value == "ready", report.status
    container.shutdown_resources()
"""


def test_an_interview_on_a_migrated_sqlite_database_loads_none_of_the_heavy_packages(
    tmp_path: Path,
) -> None:
    path = tmp_path / "weight.db"
    first = run_python(INTERVIEW.format(path=path), tmp_path)
    assert loaded_of(HEAVY, first) == ["alembic"]  # the new file was migrated
    again = run_python(INTERVIEW.format(path=path), tmp_path)
    assert loaded_of(HEAVY, again) == []


@pytest.mark.parametrize(
    "words",
    [["--help"], ["sessions", "--help"], ["sessions", "list", "--help"], ["serve", "--help"]],
    ids=" ".join,
)
def test_the_help_loads_none_of_the_containers_parts(tmp_path: Path, words: list[str]) -> None:
    loaded = run_python(
        f"""
        import sys
        from interview_orchestrator.cli import main

        sys.argv = ["interview-orchestrator", *{words!r}]
        try:
            main()
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
        """,
        tmp_path,
    )
    assert loaded_of(CONTAINER_PARTS, loaded) == []


def test_keys_load_cryptography_and_encrypt(tmp_path: Path) -> None:
    key = base64.urlsafe_b64encode(b"k" * 32).decode()
    loaded = run_python(
        INTERVIEW.format(path=tmp_path / "keys.db")
        + """
    from sqlalchemy import create_engine, text

    with create_engine("sqlite:///{path}").connect() as conn:
        stored = conn.execute(text("SELECT content FROM messages")).scalars().all()
    assert stored and all(value.startswith("enc:v1:") for value in stored), stored
    """.format(path=tmp_path / "keys.db"),
        tmp_path,
        INTERVIEW_ENCRYPTION_KEYS=key,
    )
    assert "cryptography" in loaded


def test_the_webhook_sender_loads_httpx_when_it_is_built(tmp_path: Path) -> None:
    loaded = run_python(
        f"""
        import sys
        from interview_orchestrator import Container

        container = Container.from_settings(database_url="sqlite:///{tmp_path / "hooks.db"}")
        container.session_manager()
        container.webhook_service()
        assert "httpx" not in sys.modules
        container.webhook_dispatcher()
        sender = container.webhook_sender()
        assert type(sender).__name__ == "HttpWebhookSender", sender
        container.shutdown_resources()
        """,
        tmp_path,
    )
    assert "httpx" in loaded


def test_structlogs_console_renderer_still_draws_tracebacks_with_rich(tmp_path: Path) -> None:
    """The library imports structlog with ``rich`` deferred: an application's console
    renderer gets rich's tracebacks all the same, rich loading when one is drawn."""
    loaded = run_python(
        """
        import sys
        import interview_orchestrator
        import structlog

        assert "rich" not in sys.modules
        assert isinstance(
            structlog.dev.default_exception_formatter, structlog.dev.RichTracebackFormatter
        )
        try:
            1 / 0
        except ZeroDivisionError:
            exc_info = sys.exc_info()
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        line = renderer(None, "error", {"event": "boom", "exc_info": exc_info})
        assert "Traceback" in line and "╭" in line and "ZeroDivisionError" in line, line
        """,
        tmp_path,
    )
    assert "rich" in loaded


def test_dependency_injector_still_wires_fastapis_depends(tmp_path: Path) -> None:
    """The container module imports dependency-injector with FastAPI deferred; wiring a
    FastAPI-style ``Depends(Provide[...])`` still injects."""
    loaded = run_python(
        """
        import sys
        import interview_orchestrator.container

        assert "fastapi" not in sys.modules
        from dependency_injector import containers, providers
        from dependency_injector.wiring import Provide, inject
        from fastapi import Depends


        class Services(containers.DeclarativeContainer):
            greeting = providers.Object("hello")


        @inject
        def greet(greeting: str = Depends(Provide[Services.greeting])) -> str:
            return greeting


        services = Services()
        services.wire(modules=[sys.modules[__name__]])
        assert greet() == "hello", greet()
        """,
        tmp_path,
    )
    assert "fastapi" in loaded


def test_the_container_module_alone_loads_none_of_the_heavy_packages(tmp_path: Path) -> None:
    loaded: Any = run_python("import interview_orchestrator.container", tmp_path)
    assert loaded_of(HEAVY, loaded) == []

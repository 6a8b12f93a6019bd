"""The ``interview-orchestrator`` command line: thin Typer wrappers over library calls."""

from . import archive, db, demo, interview, maintenance, sessions, worker  # noqa: F401
from .app import app


def main() -> None:
    app()


__all__ = ["app", "main"]

"""The ``interview-orchestrator`` command line: thin Typer wrappers over library calls."""

from . import archive, db, demo, interview, keys, maintenance, serve, sessions, worker  # noqa: F401
from .app import app


def main() -> None:
    app()


__all__ = ["app", "main"]

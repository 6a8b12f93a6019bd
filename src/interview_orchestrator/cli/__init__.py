"""The ``interview-orchestrator`` command line: thin Typer wrappers over library calls."""

from . import db, demo, maintenance, sessions  # noqa: F401  (modules register commands)
from .app import app


def main() -> None:
    app()


__all__ = ["app", "main"]

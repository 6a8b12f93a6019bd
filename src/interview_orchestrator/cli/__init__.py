"""The ``interview-orchestrator`` command line: thin Typer wrappers over library calls."""

from . import db, demo  # noqa: F401  (modules register their commands)
from .app import app


def main() -> None:
    app()


__all__ = ["app", "main"]

"""The ``interview-orchestrator`` command line: thin Typer wrappers over library calls."""

from . import (  # noqa: F401
    archive,
    db,
    demo,
    interview,
    keys,
    maintenance,
    serve,
    sessions,
    templates,
    worker,
)
from .app import app


def main() -> None:
    app()


__all__ = ["app", "main"]

"""``demo``: the scripted interview of ``make demo``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from .app import app, container_of


@app.command()
def demo(
    ctx: typer.Context,
    logs: Annotated[bool, typer.Option("--logs", help="Also print the JSON log lines.")] = False,
) -> None:
    """Run a complete scripted interview on the offline provider and print its evaluation."""
    from ..demo import run_demo

    container = container_of(ctx)
    if logs:
        container.config.logging.level.from_value("INFO")
    run_demo(container.session_manager(), container.templates(), Console())

"""The root of the command line: the Typer apps, the shared options and the container.

The root callback builds the container and keeps it on ``ctx.obj`` (tests pass their own with
``CliRunner().invoke(app, [...], obj=container)``); each command resolves what it needs from it.
Commands live in the sibling modules, grouped as on the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from ..container import Container
from ..errors import InterviewPlatformError

err_console = Console(stderr=True)


class _PlatformErrorsExitOne(TyperGroup):
    """An ``InterviewPlatformError`` becomes one line on stderr and exit code 1, no traceback."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except InterviewPlatformError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None


app = typer.Typer(
    cls=_PlatformErrorsExitOne,
    help="Run, inspect and maintain AI-led interview sessions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(
    help="Database migrations (Alembic), run from the installed package.", no_args_is_help=True
)
sessions_app = typer.Typer(
    help="List, inspect, export and maintain sessions.", no_args_is_help=True
)
users_app = typer.Typer(help="A candidate's data: erasure.", no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")

# The options do not read the environment themselves (no ``envvar=``): the settings do, below
# the options and above the --config file (settings.ENVIRONMENT_VARIABLES).
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL; beats INTERVIEW_DATABASE_URL and the configuration "
        "(default: a SQLite file).",
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        exists=True,
        dir_okay=False,
        readable=True,
        help="A YAML file overlaid on the default configuration; the environment and the "
        "options beat it.",
    ),
]


LogLevel = Annotated[
    str | None,
    typer.Option(
        "--log-level",
        help="Level of the JSON log lines on stderr (DEBUG, INFO, WARNING, ERROR); beats "
        "INTERVIEW_LOG_LEVEL and the configuration; ERROR if none sets it, so that they do "
        "not clutter the output.",
    ),
]

#: The command line's own default, just above the packaged defaults: a --config file,
#: INTERVIEW_LOG_LEVEL and --log-level all beat it.
QUIET_LOGS: dict[str, Any] = {"logging": {"level": "ERROR"}}


def build_container(
    database_url: str | None = None,
    config_file: Path | None = None,
    log_level: str | None = None,
) -> Container:
    """The command line's container: ``--config`` is a configuration file (below the
    environment), ``--database-url`` and ``--log-level`` are explicit arguments (above it).
    A bad value fails here, naming its key."""
    container = Container()
    container.config.file_layers.append(QUIET_LOGS)
    if config_file is not None:
        container.config.from_yaml(config_file, required=True)
    if database_url:
        container.config.database.url.from_value(database_url)
    if log_level:
        container.config.logging.level.from_value(log_level)
    container.settings()
    return container


@app.callback()
def root(
    ctx: typer.Context,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    log_level: LogLevel = None,
) -> None:
    if ctx.obj is None:
        ctx.obj = build_container(database_url, config, log_level)
        ctx.call_on_close(ctx.obj.shutdown_resources)


def container_of(ctx: typer.Context) -> Container:
    container: Container = ctx.find_root().obj
    return container

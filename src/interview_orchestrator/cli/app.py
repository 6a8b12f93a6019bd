"""The root of the command line: the Typer apps, the shared options and the container.

The root callback builds the container and keeps it on ``ctx.obj`` (tests pass their own with
``CliRunner().invoke(app, [...], obj=container)``); each command resolves what it needs from it.
Commands live in the sibling modules, grouped as on the command line.
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from ..container import Container
from ..errors import InterviewPlatformError

err_console = Console(stderr=True)


class _PlatformErrorsExitOne(TyperGroup):
    """An ``InterviewPlatformError`` becomes one line on stderr and exit code 1, no traceback;
    so does an operating-system error no command can do anything about (a full disk, a file
    that cannot be written). A reader that went away (``| head``) ends the command quietly
    with exit code 1, as other tools do."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            result = super().invoke(ctx)
            if sys.stdout is not None:
                sys.stdout.flush()  # a write that fails fails here, not at exit
            return result
        except InterviewPlatformError as exc:
            _fail(str(exc))
        except BrokenPipeError:
            _quiet_stdout()
            raise typer.Exit(code=1) from None
        except OSError as exc:
            _fail(_os_error_text(exc))


def _fail(message: str) -> NoReturn:
    # Escaped: a message quotes input ("[/bold]" as a session id), which is not markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1) from None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush has nothing to complain of."""
    with suppress(AttributeError, OSError, ValueError):  # no real stdout (a test runner's)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _os_error_text(exc: OSError) -> str:
    what = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    return f"{what}: {str(exc.filename)!r}" if exc.filename else what


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

"""The ``interview-orchestrator`` command line: thin Typer wrappers over library calls.

The root callback builds the container and keeps it on ``ctx.obj`` (tests pass their own with
``CliRunner().invoke(app, [...], obj=container)``); each command resolves what it needs from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from .container import Container
from .errors import InterviewPlatformError

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
app.add_typer(db_app, name="db")

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="INTERVIEW_DATABASE_URL",
        help="SQLAlchemy URL; default from the configuration (a SQLite file).",
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        exists=True,
        dir_okay=False,
        readable=True,
        help="A YAML file overlaid on the default configuration.",
    ),
]


def build_container(database_url: str | None = None, config_file: Path | None = None) -> Container:
    container = Container()
    if config_file is not None:
        container.config.from_yaml(str(config_file), required=True)
    if database_url:
        container.config.database.url.from_value(database_url)
    return container


@app.callback()
def root(ctx: typer.Context, database_url: DatabaseUrl = None, config: ConfigFile = None) -> None:
    if ctx.obj is None:
        ctx.obj = build_container(database_url, config)
        ctx.call_on_close(ctx.obj.shutdown_resources)


def container_of(ctx: typer.Context) -> Container:
    container: Container = ctx.find_root().obj
    return container


@app.command()
def demo(
    ctx: typer.Context,
    logs: Annotated[bool, typer.Option("--logs", help="Also print the JSON log lines.")] = False,
) -> None:
    """Run a complete scripted interview on the offline provider and print its evaluation."""
    from .demo import run_demo

    container = container_of(ctx)
    if not logs:
        container.config.logging.level.from_value("WARNING")
    run_demo(container.session_manager(), container.templates(), Console())


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: str = "head") -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    from .store import migrate

    engine = _raw_engine(ctx)
    migrate.upgrade(engine, revision)
    typer.echo(f"database at revision {migrate.current(engine)}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the database's migration revision."""
    from .store import migrate

    typer.echo(migrate.current(_raw_engine(ctx)) or "none (not migrated)")


@db_app.command("check")
def db_check(ctx: typer.Context) -> None:
    """Fail if the database schema differs from the models (or is not fully migrated)."""
    from .store import migrate

    migrate.check(_raw_engine(ctx))
    typer.echo("schema matches the models")


def _raw_engine(ctx: typer.Context) -> Any:
    """The configured engine without automatic migration: ``db`` commands migrate explicitly."""
    container = container_of(ctx)
    container.config.database.auto_migrate.from_value("never")
    return container.engine()


def main() -> None:
    app()

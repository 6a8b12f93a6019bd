"""``db``: the Alembic migrations, run from the installed package."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .app import container_of, db_app

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def _raw_engine(ctx: typer.Context) -> Engine:
    """The configured engine without automatic migration: ``db`` commands migrate explicitly."""
    container = container_of(ctx)
    container.config.database.auto_migrate.from_value("never")
    engine: Engine = container.engine()
    return engine


@db_app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    revision: Annotated[
        str, typer.Option(metavar="REVISION", help="The revision to reach.")
    ] = "head",
) -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    from ..store import migrate

    engine = _raw_engine(ctx)
    migrate.upgrade(engine, revision)
    typer.echo(f"database at revision {migrate.current(engine)}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the database's migration revision."""
    from ..store import migrate

    typer.echo(migrate.current(_raw_engine(ctx)) or "none (not migrated)")


@db_app.command("check")
def db_check(ctx: typer.Context) -> None:
    """Fail if the database schema differs from the models (or is not fully migrated)."""
    from ..store import migrate

    migrate.check(_raw_engine(ctx))
    typer.echo("schema matches the models")


@db_app.command("reencrypt")
def db_reencrypt(ctx: typer.Context) -> None:
    """Rewrite every résumé, message text and note with the newest key of
    INTERVIEW_ENCRYPTION_KEYS (key rotation; also encrypts rows stored before encryption)."""
    from ..store.encryption import reencrypt

    counts = reencrypt(container_of(ctx).engine())
    typer.echo(", ".join(f"{table}: {n} rewritten" for table, n in counts.items()))

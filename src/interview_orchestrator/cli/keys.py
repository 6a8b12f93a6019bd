"""``keys``: the API keys of the service (``interview-orchestrator serve``).

A key's token is printed once, alone on the last line of stdout, so that a script can keep it
(``KEY=$(interview-orchestrator keys create ... | tail -1)``); only its hash is stored.
Listings show a key's hint (its first characters), never the token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import render
from ..access import ApiKey, KeyRole, parse_resource_id
from ..errors import ResourceNotFoundError
from ..models import DEFAULT_TENANT
from .app import app, container_of, stdout_console
from .options import ReportFormat, TenantFilter, id_from_prefix, parse_tenant

if TYPE_CHECKING:
    from ..access_manager import AccessManager

keys_app = typer.Typer(
    help="API keys of the service: create (shown once), list, revoke.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


def _access(ctx: typer.Context) -> AccessManager:
    manager: AccessManager = container_of(ctx).access_manager()
    return manager


@keys_app.command("create")
def create_key(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Option(
            "--name", metavar="NAME", help="What the key is for, e.g. the calling system."
        ),
    ],
    role: Annotated[
        KeyRole,
        typer.Option(
            "--role",
            case_sensitive=False,
            metavar="admin|service|reviewer",
            help="admin: everything in its tenant; service: everything but webhooks; "
            "reviewer: read sessions, transcripts and evaluations.",
        ),
    ],
    tenant: Annotated[
        str,
        typer.Option(
            "--tenant", parser=parse_tenant, metavar="TENANT", help="The tenant it acts in."
        ),
    ] = DEFAULT_TENANT,
) -> None:
    """Create a key. Its token is printed alone on the last line of stdout, this once."""
    key, token = _access(ctx).create_key(name, role.value, tenant)
    typer.echo(f"key {key.id} {key.name!r}: {key.role.value} in tenant {key.tenant_id}")
    typer.echo("The key below is shown once: store it now (only its hash is kept).", err=True)
    typer.echo(token)


@keys_app.command("list")
def list_keys(
    ctx: typer.Context,
    tenant: TenantFilter = None,
    output: Annotated[
        ReportFormat, typer.Option("--format", metavar="table|json", help="Output format.")
    ] = ReportFormat.TABLE,
) -> None:
    """List keys, oldest first: id (short; revoke takes it), name, role, tenant (when there
    is more than the default one), hint (the token's first characters), created, last used,
    revoked, in UTC. Tokens are never shown again."""
    keys = _access(ctx).list_keys(tenant)
    if output is ReportFormat.JSON:
        typer.echo(json.dumps([key_dict(key) for key in keys], indent=2, ensure_ascii=False))
        return
    show_tenant = tenant is None and any(key.tenant_id != DEFAULT_TENANT for key in keys)
    stdout_console().print(render.keys_table(keys, show_tenant=show_tenant))


@keys_app.command("revoke")
def revoke_key(
    ctx: typer.Context,
    key_id: Annotated[
        str,
        typer.Argument(
            metavar="KEY_ID", help="The key's id, or a prefix of it that names one key (as listed)."
        ),
    ],
) -> None:
    """Revoke a key: requests with it are refused (401) from now on. Revoking again changes
    nothing."""
    access = _access(ctx)
    key = access.revoke_key(key_id_from(key_id, access.list_keys))
    revoked = _minute(key.revoked_at)
    typer.echo(f"key {key.id} {key.name!r} revoked at {revoked}")


def key_id_from(text: str, list_keys: Callable[[], Iterable[ApiKey]]) -> str:
    """The id of the key ``text`` names: a whole id, or a unique prefix of one (looked for
    among all keys: there are few)."""

    def ids_starting(prefix: str) -> list[str]:
        return sorted(key.id for key in list_keys() if key.id.startswith(prefix))[:2]

    return id_from_prefix(
        text,
        kind="key",
        parse=lambda value: parse_resource_id(value, "key"),
        ids_starting=ids_starting,
        not_found=lambda prefix: ResourceNotFoundError("key", prefix),
    )


def key_dict(key: ApiKey) -> dict[str, Any]:
    """A key for scripts: everything but the token (which is not stored)."""
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role.value,
        "tenant_id": key.tenant_id,
        "hint": key.hint,
        "created_at": _iso(key.created_at),
        "last_used_at": _iso(key.last_used_at),
        "revoked_at": _iso(key.revoked_at),
    }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _minute(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

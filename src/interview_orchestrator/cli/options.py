"""Parsing of command-line values shared by several commands: dates, ages, tenants, formats."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer

from ..errors import InvalidInputError
from ..models import SessionStatus, parse_tenant_id

_AGE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class ReportFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h`` or ``2w`` as a duration; anything else is a usage error."""
    match = _AGE.match(text or "")
    if match is None:
        raise typer.BadParameter(
            f"{text!r} is not an age: use a whole number with h, d or w, e.g. 365d"
        )
    try:
        return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        raise typer.BadParameter(f"{text!r} is too long an age") from None


def parse_datetime(text: str) -> datetime:
    """``YYYY-MM-DD`` or a full ISO 8601 timestamp; without an offset it means UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise typer.BadParameter(
            f"{text!r} is not a date: use YYYY-MM-DD or an ISO 8601 timestamp"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_tenant(text: str) -> str:
    """A tenant id as the library checks it; a malformed one is a usage error."""
    try:
        return parse_tenant_id(text)
    except InvalidInputError as exc:
        raise typer.BadParameter(str(exc)) from None


# Options several commands share, declared once.
TenantFilter = Annotated[
    str | None,
    typer.Option(
        "--tenant",
        parser=parse_tenant,
        metavar="TENANT",
        help="Only this tenant's sessions (default: every tenant).",
    ),
]
UserIdFilter = Annotated[
    str | None, typer.Option("--user-id", metavar="USER_ID", help="Only this candidate.")
]
StatusFilter = Annotated[
    SessionStatus | None,
    typer.Option(
        "--status",
        metavar="STATUS",
        help="Only sessions in this status: " + ", ".join(s.value for s in SessionStatus) + ".",
    ),
]
SinceFilter = Annotated[
    datetime | None,
    typer.Option(
        parser=parse_datetime,
        metavar="DATE",
        help="Created at or after (YYYY-MM-DD or ISO 8601).",
    ),
]
UntilFilter = Annotated[
    datetime | None,
    typer.Option(parser=parse_datetime, metavar="DATE", help="Created before this."),
]

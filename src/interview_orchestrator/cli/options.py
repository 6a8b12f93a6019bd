"""Parsing of command-line values shared by several commands: dates, ages, tenants, formats."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Final

import typer

from ..errors import InvalidInputError
from ..models import SessionStatus, parse_tenant_id

#: The shortest prefix of an id taken (as git does); tables show 8 characters or more.
MIN_PREFIX: Final = 4
#: A start of a UUID as ``str(uuid)`` writes it: lower-case hex, hyphens in their places.
_UUID_START: Final = re.compile(
    r"[0-9a-f]{1,8}|[0-9a-f]{8}-(?:[0-9a-f]{0,4}|[0-9a-f]{4}-(?:[0-9a-f]{0,4}"
    r"|[0-9a-f]{4}-(?:[0-9a-f]{0,4}|[0-9a-f]{4}-[0-9a-f]{0,12})))"
)
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


def id_from_prefix(
    text: str,
    *,
    kind: str,
    parse: Callable[[str], str],
    ids_starting: Callable[[str], Sequence[str]],
    not_found: Callable[[str], Exception],
) -> str:
    """The id ``text`` names: a whole id as ``parse`` gives it (``parse`` refuses what is
    neither an id nor a prefix, saying why), or a prefix of at least ``MIN_PREFIX``
    characters that ``ids_starting(prefix)`` (two ids at most) finds once. A prefix found
    nowhere is ``not_found(prefix)``; one found more than once, or too short, is an
    ``InvalidInputError`` saying so."""
    typed = text.strip().lower() if isinstance(text, str) else text
    try:
        return parse(text)
    except InvalidInputError:
        if not isinstance(typed, str) or _UUID_START.fullmatch(typed) is None:
            raise
    if len(typed) < MIN_PREFIX:
        raise InvalidInputError(
            f"{kind} id prefix {typed!r} is too short: give at least {MIN_PREFIX} characters"
        )
    found = ids_starting(typed)
    if not found:
        raise not_found(typed)
    if len(found) > 1:
        raise InvalidInputError(
            f"{kind} id prefix {typed!r} is ambiguous ({', '.join(found)}, ...): "
            "give more characters"
        )
    return found[0]

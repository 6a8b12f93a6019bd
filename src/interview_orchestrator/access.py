"""Who may do what through the service: API keys, session links, and the principal a bearer
token stands for. Pure domain: tokens are made and hashed here, stored by the ``AccessStore``.

A token is shown once, when it is made; only its SHA-256 is stored (tokens are 256 random bits,
so a fast hash is enough and a database dump reveals no usable token). Lookups go by hash, and
the hashes are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from .errors import InvalidInputError
from .models import _preview, _require_printable

#: Token prefixes say what a token is, so that a leaked one is recognisable (secret scanners).
KEY_PREFIX: Final = "iok_"
LINK_PREFIX: Final = "iol_"
MAX_KEY_NAME_CHARS: Final = 100
MIN_LINK_MINUTES: Final = 1
MAX_LINK_MINUTES: Final = 60 * 24 * 90
_REQUEST_KIND: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")


class KeyRole(StrEnum):
    """What an API key may do (within its tenant)."""

    ADMIN = "admin"
    SERVICE = "service"
    REVIEWER = "reviewer"


class LinkKind(StrEnum):
    """A link is bound to one session: the candidate's, or a reviewer's (read-only)."""

    CANDIDATE = "candidate"
    REVIEW = "review"


class Capability(StrEnum):
    """What a route asks of its caller."""

    CREATE_SESSION = "create_session"
    LIST_SESSIONS = "list_sessions"
    READ_SESSION = "read_session"
    CONDUCT = "conduct"  # start, send, pause, resume, end
    READ_TRANSCRIPT = "read_transcript"
    READ_EVALUATION = "read_evaluation"
    RETRY_EVALUATION = "retry_evaluation"
    MANAGE_LINKS = "manage_links"
    MANAGE_WEBHOOKS = "manage_webhooks"
    READ_STATS = "read_stats"
    READ_EVENTS = "read_events"
    READ_CATALOG = "read_catalog"  # the templates (and personas) on offer


#: principal role -> what it may do. Keys act within their tenant; links on their session only.
GRANTS: Final[Mapping[str, frozenset[Capability]]] = MappingProxyType(
    {
        KeyRole.ADMIN.value: frozenset(Capability),
        KeyRole.SERVICE.value: frozenset(Capability) - {Capability.MANAGE_WEBHOOKS},
        KeyRole.REVIEWER.value: frozenset(
            {
                Capability.LIST_SESSIONS,
                Capability.READ_SESSION,
                Capability.READ_TRANSCRIPT,
                Capability.READ_EVALUATION,
                Capability.READ_EVENTS,
                Capability.READ_CATALOG,
            }
        ),
        LinkKind.CANDIDATE.value: frozenset(
            {
                Capability.READ_SESSION,
                Capability.CONDUCT,
                Capability.READ_TRANSCRIPT,
                Capability.READ_EVENTS,
            }
        ),
        LinkKind.REVIEW.value: frozenset(
            {
                Capability.READ_SESSION,
                Capability.READ_TRANSCRIPT,
                Capability.READ_EVALUATION,
                Capability.READ_EVENTS,
            }
        ),
    }
)


@dataclass(frozen=True)
class ApiKey:
    """A key as stored (its token is never kept): a name, a role, a tenant."""

    id: str
    name: str
    role: KeyRole
    tenant_id: str
    #: The first characters of the token, to tell keys apart in a listing.
    hint: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class SessionLink:
    """A token bound to one session, for its candidate or a reviewer; expiring, revocable."""

    id: str
    session_id: str
    tenant_id: str
    kind: LinkKind
    hint: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a key (role, tenant) or a link (kind, tenant, one session)."""

    kind: str  # "key" or "link"
    id: str
    role: str  # a KeyRole or a LinkKind value
    tenant_id: str
    session_id: str | None = None

    def may(self, capability: Capability) -> bool:
        return capability in GRANTS.get(self.role, frozenset())

    def may_see(self, session_id: str) -> bool:
        """A link sees its own session only; a key sees its tenant's (the scoped manager
        checks the tenant)."""
        return self.session_id is None or self.session_id == session_id


@dataclass(frozen=True)
class IssuedToken:
    """A token as handed out once: the secret and what is stored of it."""

    token: str
    token_hash: str
    hint: str


def issue_token(prefix: str) -> IssuedToken:
    token = prefix + secrets.token_urlsafe(32)
    return IssuedToken(token, hash_token(token), token[: len(prefix) + 6])


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_hash(stored: str, presented: str) -> bool:
    """Constant-time comparison of two token hashes."""
    return hmac.compare_digest(stored.encode("ascii"), presented.encode("ascii"))


def parse_key_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_KEY_NAME_CHARS:
        raise InvalidInputError(
            f"a key's name must be 1-{MAX_KEY_NAME_CHARS} characters, got {_preview(value)}"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInputError("a key's name must not contain control characters")
    _require_printable(value, "a key's name")
    return value.strip()


def parse_resource_id(value: object, kind: str) -> str:
    """A key's or link's id in canonical form (ids are UUIDs), or ``InvalidInputError``."""
    if isinstance(value, str) and len(value) <= 64:
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            pass
    raise InvalidInputError(f"malformed {kind} id {_preview(value)}: expected a UUID")


def parse_request_kind(value: object) -> str:
    """The kind of request a rate limit counts: a short lower-case name (part of a bucket)."""
    if not isinstance(value, str) or not _REQUEST_KIND.fullmatch(value):
        raise InvalidInputError(
            f"a request kind must be a short lower-case name, got {_preview(value)}"
        )
    return value


def parse_key_role(value: object) -> KeyRole:
    try:
        return KeyRole(str(value).strip().lower())
    except ValueError:
        raise InvalidInputError(
            f"unknown role {_preview(value)}; expected one of: "
            + ", ".join(r.value for r in KeyRole)
        ) from None


def parse_link_kind(value: object) -> LinkKind:
    try:
        return LinkKind(str(value).strip().lower())
    except ValueError:
        raise InvalidInputError(
            f"unknown link kind {_preview(value)}; expected candidate or review"
        ) from None


def link_lifetime(minutes: object) -> timedelta:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidInputError(
            f"expires_in_minutes must be a whole number, got {_preview(minutes)}"
        )
    if not MIN_LINK_MINUTES <= minutes <= MAX_LINK_MINUTES:
        raise InvalidInputError(
            f"expires_in_minutes must be between {MIN_LINK_MINUTES} and {MAX_LINK_MINUTES}"
        )
    return timedelta(minutes=minutes)

"""AccessManager: issues and revokes API keys and session links, tells who a bearer token is,
and counts the requests that spend AI against their limits."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, TypeGuard

from .access import (
    KEY_PREFIX,
    LINK_PREFIX,
    ApiKey,
    LinkKind,
    Principal,
    SessionLink,
    hash_token,
    issue_token,
    link_lifetime,
    parse_key_name,
    parse_key_role,
    parse_link_kind,
    parse_request_kind,
    parse_resource_id,
)
from .clock import Clock, utc_now
from .errors import (
    AuthenticationError,
    InterviewPlatformError,
    InvalidInputError,
    RateLimitedError,
    ResourceNotFoundError,
)
from .log_events import LogEvent, Logger
from .models import DEFAULT_TENANT, Session, new_id, parse_tenant_id
from .ports import AccessStore, RateLimitStore

#: Tokens longer than this are refused before anything is hashed or looked up.
_MAX_TOKEN_CHARS: Final = 200
_USE_RECORDED_EVERY: Final = timedelta(minutes=1)


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` per ``window`` for each key or link, per kind of request."""

    requests: int = 60
    window: timedelta = timedelta(minutes=1)


class AccessManager:
    """Keys act within their tenant; a link acts on its one session until it expires or is
    revoked. Tokens are shown once and stored as hashes; none is ever logged."""

    def __init__(
        self,
        store: AccessStore,
        limits: RateLimitStore,
        *,
        rate_limit: RateLimit | None = None,
        clock: Clock = utc_now,
        logger: Logger,
    ) -> None:
        self._store = store
        self._limits = limits
        self._rate_limit = rate_limit or RateLimit()
        self._clock = clock
        self._log = logger.bind(component="AccessManager")

    # ------------------------------------------------------------------ keys

    def create_key(
        self, name: str, role: str, tenant_id: str = DEFAULT_TENANT
    ) -> tuple[ApiKey, str]:
        """A new key and its token (shown this once; only its hash is kept)."""
        issued = issue_token(KEY_PREFIX)
        key = ApiKey(
            id=new_id(),
            name=parse_key_name(name),
            role=parse_key_role(role),
            tenant_id=parse_tenant_id(tenant_id),
            hint=issued.hint,
            created_at=self._clock(),
        )
        self._store.add_key(key, issued.token_hash)
        self._log.info(
            LogEvent.KEY_CREATED,
            operation="create_key",
            metadata={"key_id": key.id, "role": key.role.value, "tenant_id": key.tenant_id},
        )
        return key, issued.token

    def list_keys(self, tenant_id: str | None = None) -> list[ApiKey]:
        tenant = None if tenant_id is None else parse_tenant_id(tenant_id)
        return self._store.list_keys(tenant)

    def revoke_key(self, key_id: str, tenant_id: str | None = None) -> ApiKey:
        key_id = parse_resource_id(key_id, "key")
        tenant = None if tenant_id is None else parse_tenant_id(tenant_id)
        key = self._store.revoke_key(key_id, now=self._clock(), tenant_id=tenant)
        self._log.info(LogEvent.KEY_REVOKED, operation="revoke_key", metadata={"key_id": key.id})
        return key

    # ------------------------------------------------------------------ links

    def create_link(
        self, session: Session, kind: str, expires_in_minutes: int
    ) -> tuple[SessionLink, str]:
        """A link to ``session`` (already checked to be the caller's tenant's) and its token."""
        if not isinstance(session, Session):
            raise InvalidInputError(f"session must be a Session, got {type(session).__name__}")
        link_kind = parse_link_kind(kind)
        lifetime = link_lifetime(expires_in_minutes)
        issued = issue_token(LINK_PREFIX)
        now = self._clock()
        link = SessionLink(
            id=new_id(),
            session_id=session.id,
            tenant_id=session.tenant_id,
            kind=link_kind,
            hint=issued.hint,
            created_at=now,
            expires_at=now + lifetime,
        )
        self._store.add_link(link, issued.token_hash)
        self._log.info(
            LogEvent.LINK_CREATED,
            operation="create_link",
            session_id=session.id,
            metadata={"link_id": link.id, "kind": link_kind.value},
        )
        return link, issued.token

    def revoke_link(self, link_id: str, *, tenant_id: str) -> SessionLink:
        """Revoke a link of ``tenant_id`` (another tenant's is "does not exist")."""
        link_id = parse_resource_id(link_id, "link")
        tenant_id = parse_tenant_id(tenant_id)
        link = self._store.get_link(link_id)
        if link is None or link.tenant_id != tenant_id:
            raise ResourceNotFoundError("link", link_id)
        revoked = self._store.revoke_link(link_id, now=self._clock())
        if revoked is None:
            raise ResourceNotFoundError("link", link_id)
        self._log.info(
            LogEvent.LINK_REVOKED,
            operation="revoke_link",
            session_id=link.session_id,
            metadata={"link_id": link_id},
        )
        return revoked

    # ------------------------------------------------------------------ requests

    def authenticate(self, token: str | None) -> Principal:
        """Who ``token`` stands for, or ``AuthenticationError`` (missing, unknown, revoked or
        expired: the same answer, so that a guesser learns nothing)."""
        if not _token_shaped(token):
            raise AuthenticationError("a valid bearer token is required")
        token_hash = hash_token(token)
        now = self._clock()
        if token.startswith(KEY_PREFIX):
            key = self._store.key_by_token_hash(token_hash)
            if key is not None and key.active:
                self._note_use(key, now)
                return Principal("key", key.id, key.role.value, key.tenant_id)
        elif token.startswith(LINK_PREFIX):
            link = self._store.link_by_token_hash(token_hash)
            if link is not None and link.usable_at(now):
                return Principal(
                    "link", link.id, link.kind.value, link.tenant_id, session_id=link.session_id
                )
        raise AuthenticationError("the bearer token is unknown, revoked or expired")

    def _note_use(self, key: ApiKey, now: datetime) -> None:
        """Record when a key was last used (for operators deciding what to revoke), at most
        once a minute per key so that requests do not each cost a write; best effort."""
        if key.last_used_at is not None and now - key.last_used_at < _USE_RECORDED_EVERY:
            return
        try:
            self._store.touch_key(key.id, now=now)
        except InterviewPlatformError:
            self._log.warning(LogEvent.KEY_USE_NOT_RECORDED, metadata={"key_id": key.id})

    def link_of(self, token: str) -> SessionLink | None:
        """The link a token names, usable or not (pages tell an expired link from a bad one)."""
        if not _token_shaped(token) or not token.startswith(LINK_PREFIX):
            return None
        return self._store.link_by_token_hash(hash_token(token))

    def count_request(self, principal: Principal, kind: str) -> None:
        """Count a request that spends AI; ``RateLimitedError`` (with the seconds until the
        window ends) when the caller is over its limit."""
        if not isinstance(principal, Principal):
            raise InvalidInputError(
                f"principal must be a Principal, got {type(principal).__name__}"
            )
        kind = parse_request_kind(kind)
        now = self._clock()
        window = self._rate_limit.window.total_seconds()
        start = _window_start(now, window)
        hits = self._limits.hit(f"{principal.kind}:{principal.id}:{kind}", window_start=start)
        if hits > self._rate_limit.requests:
            wait = max(math.ceil(start.timestamp() + window - now.timestamp()), 1)
            raise RateLimitedError(
                f"too many {kind} requests: at most {self._rate_limit.requests} per "
                f"{int(window)} s; retry in {wait} s",
                retry_after=wait,
            )

    @property
    def link_kinds(self) -> tuple[str, ...]:
        return tuple(kind.value for kind in LinkKind)


def _token_shaped(token: object) -> TypeGuard[str]:
    """Tokens are short printable ASCII (a prefix and URL-safe base64): anything else is no
    token, answered before anything is hashed or looked up."""
    return (
        isinstance(token, str)
        and 0 < len(token) <= _MAX_TOKEN_CHARS
        and token.isascii()
        and token.isprintable()
    )


def _window_start(now: datetime, window_seconds: float) -> datetime:
    stamp = now.timestamp()
    return datetime.fromtimestamp(stamp - stamp % window_seconds, tz=now.tzinfo)

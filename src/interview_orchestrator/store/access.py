"""API keys and session links: stored as hashes, found by hash, revoked, expired.

A token is never stored: ``token_hash`` is its SHA-256 (a unique index finds the row), ``hint``
its first characters for listings. After the index found a row, the hashes are compared again
in constant time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import Connection, bindparam, insert, select, update

from ..access import ApiKey, SessionLink, same_hash
from ..errors import InvalidInputError
from .codecs import ApiKeyCodec, SessionLinkCodec, decoded
from .schema import API_KEYS, SESSION_LINKS
from .sessions import require_exists
from .transactions import Transactions, require_aware

_KEY_BY_HASH: Final = select(API_KEYS, API_KEYS.c.token_hash.label("stored_hash")).where(
    API_KEYS.c.token_hash == bindparam("b_hash")
)
_LINK_BY_HASH: Final = select(SESSION_LINKS, SESSION_LINKS.c.token_hash.label("stored_hash")).where(
    SESSION_LINKS.c.token_hash == bindparam("b_hash")
)


class AccessRepository:
    """The ``AccessStore`` on SQLAlchemy Core."""

    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    # ------------------------------------------------------------------ keys

    def add_key(self, key: ApiKey, token_hash: str) -> ApiKey:
        values = {**ApiKeyCodec.encode(key), "token_hash": token_hash}
        self._tx.write(f"store key {key.id!r}", lambda conn: conn.execute(insert(API_KEYS), values))
        return key

    def list_keys(self, tenant_id: str | None = None) -> list[ApiKey]:
        query = select(API_KEYS).order_by(API_KEYS.c.created_at, API_KEYS.c.id)
        if tenant_id is not None:
            query = query.where(API_KEYS.c.tenant_id == tenant_id)
        return self._tx.read(
            "list keys",
            lambda conn: [decoded(ApiKeyCodec.decode, r) for r in conn.execute(query).mappings()],
        )

    def revoke_key(self, key_id: str, *, now: datetime, tenant_id: str | None = None) -> ApiKey:
        """Revoke a key (again: no change); ``InvalidInputError`` if there is no such key (in
        the tenant)."""
        require_aware(now, "now")
        where = [API_KEYS.c.id == key_id]
        if tenant_id is not None:
            where.append(API_KEYS.c.tenant_id == tenant_id)

        def tx(conn: Connection) -> ApiKey:
            conn.execute(
                update(API_KEYS)
                .where(*where, API_KEYS.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = conn.execute(select(API_KEYS).where(*where)).mappings().first()
            if row is None:
                raise InvalidInputError(f"there is no key {key_id!r}")
            return decoded(ApiKeyCodec.decode, row)

        return self._tx.write(f"revoke key {key_id!r}", tx)

    def key_by_token_hash(self, token_hash: str) -> ApiKey | None:
        def tx(conn: Connection) -> ApiKey | None:
            row = conn.execute(_KEY_BY_HASH, {"b_hash": token_hash}).mappings().first()
            if row is None or not same_hash(row["stored_hash"], token_hash):
                return None
            return decoded(ApiKeyCodec.decode, row)

        return self._tx.read("find a key", tx)

    def touch_key(self, key_id: str, *, now: datetime) -> None:
        """Record that the key was used (for operators deciding what to revoke)."""
        self._tx.write(
            "record a key's use",
            lambda conn: conn.execute(
                update(API_KEYS).where(API_KEYS.c.id == key_id).values(last_used_at=now)
            ),
        )

    # ------------------------------------------------------------------ links

    def add_link(self, link: SessionLink, token_hash: str) -> SessionLink:
        values = {**SessionLinkCodec.encode(link), "token_hash": token_hash}

        def tx(conn: Connection) -> SessionLink:
            require_exists(conn, link.session_id)
            conn.execute(insert(SESSION_LINKS), values)
            return link

        return self._tx.write(f"store a link of session {link.session_id!r}", tx)

    def link_by_token_hash(self, token_hash: str) -> SessionLink | None:
        def tx(conn: Connection) -> SessionLink | None:
            row = conn.execute(_LINK_BY_HASH, {"b_hash": token_hash}).mappings().first()
            if row is None or not same_hash(row["stored_hash"], token_hash):
                return None
            return decoded(SessionLinkCodec.decode, row)

        return self._tx.read("find a link", tx)

    def get_link(self, link_id: str) -> SessionLink | None:
        query = select(SESSION_LINKS).where(SESSION_LINKS.c.id == link_id)

        def tx(conn: Connection) -> SessionLink | None:
            row = conn.execute(query).mappings().first()
            return None if row is None else decoded(SessionLinkCodec.decode, row)

        return self._tx.read(f"read link {link_id!r}", tx)

    def revoke_link(self, link_id: str, *, now: datetime) -> SessionLink | None:
        """Revoke a link (again: no change); None if there is no such link."""
        require_aware(now, "now")

        def tx(conn: Connection) -> SessionLink | None:
            conn.execute(
                update(SESSION_LINKS)
                .where(SESSION_LINKS.c.id == link_id, SESSION_LINKS.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = (
                conn.execute(select(SESSION_LINKS).where(SESSION_LINKS.c.id == link_id))
                .mappings()
                .first()
            )
            return None if row is None else decoded(SessionLinkCodec.decode, row)

        return self._tx.write(f"revoke link {link_id!r}", tx)

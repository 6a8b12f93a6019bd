"""Optional encryption at rest of résumés, message texts and interviewer notes.

Off by default. With keys set (``INTERVIEW_ENCRYPTION_KEYS``: comma-separated Fernet keys,
newest first), the columns below are written encrypted with the newest key and read with any
of them; ``reencrypt`` rewrites every row with the newest key, so an old key can be retired.
Rows written before encryption was turned on stay readable and are encrypted by ``reencrypt``.

The cipher belongs to an engine (it is attached to the engine's dialect), and the column types
apply it on every read and write, so no query can forget it.

``cryptography`` is imported when a cipher is made (keys are configured), never by importing
this module: a store without keys does not load it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import JSON, Dialect, Engine, Text, select, tuple_, update
from sqlalchemy.types import TypeDecorator

from ..errors import DataStoreError, InvalidInputError

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

ENV_VAR: Final = "INTERVIEW_ENCRYPTION_KEYS"
TEXT_PREFIX: Final = "enc:v1:"
JSON_MARKER: Final = "$encrypted"
_ATTRIBUTE: Final = "interview_field_cipher"


class FieldCipher:
    """Fernet (AES-128-CBC + HMAC-SHA256) over text; the first key encrypts, any decrypts."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise InvalidInputError(f"{ENV_VAR} names no key")
        from cryptography.fernet import Fernet, InvalidToken, MultiFernet

        self._invalid_token = InvalidToken
        try:
            self._fernet: MultiFernet = MultiFernet([Fernet(key.strip().encode()) for key in keys])
        except (ValueError, TypeError):
            raise InvalidInputError(
                f"{ENV_VAR} must hold Fernet keys (url-safe base64 of 32 bytes), comma-separated; "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None

    @classmethod
    def from_setting(cls, value: str | None) -> FieldCipher | None:
        keys = [k for k in (value or "").split(",") if k.strip()]
        return cls(keys) if keys else None

    def encrypt(self, text: str) -> str:
        return TEXT_PREFIX + self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored[len(TEXT_PREFIX) :].encode("ascii")).decode("utf-8")
        except self._invalid_token:
            raise DataStoreError(
                "stored data is encrypted with a key that is not configured: add the old key "
                f"to {ENV_VAR} (after the new one)"
            ) from None


def attach(engine: Engine, cipher: FieldCipher | None) -> None:
    """Make ``engine`` encrypt and decrypt the protected columns with ``cipher``."""
    setattr(engine.dialect, _ATTRIBUTE, cipher)


def _cipher(dialect: Dialect) -> FieldCipher | None:
    cipher: FieldCipher | None = getattr(dialect, _ATTRIBUTE, None)
    return cipher


def _no_key() -> DataStoreError:
    return DataStoreError(f"stored data is encrypted but no key is configured: set {ENV_VAR}")


class EncryptedText(TypeDecorator[str]):
    """Text stored as ``enc:v1:<fernet token>`` when the engine has a cipher."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        cipher = _cipher(dialect)
        return cipher.encrypt(value) if cipher is not None and value is not None else value

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(TEXT_PREFIX):
            return value
        cipher = _cipher(dialect)
        if cipher is None:
            raise _no_key()
        return cipher.decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """JSON stored as ``{"$encrypted": "<token>"}`` when the engine has a cipher."""

    impl = JSON(none_as_null=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        cipher = _cipher(dialect)
        if cipher is None or value is None:
            return value
        return {JSON_MARKER: cipher.encrypt(json.dumps(value, ensure_ascii=False))}

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if not (isinstance(value, dict) and set(value) == {JSON_MARKER}):
            return value
        cipher = _cipher(dialect)
        if cipher is None:
            raise _no_key()
        return json.loads(cipher.decrypt(value[JSON_MARKER]))


def reencrypt(engine: Engine, *, batch_size: int = 500) -> dict[str, int]:
    """Rewrite every protected value with the engine's newest key (key rotation), in batches of
    short transactions; returns the rows rewritten per table."""
    from .schema import INTERVIEWER_NOTES, MESSAGES, SESSIONS

    if _cipher(engine.dialect) is None:
        raise InvalidInputError(f"set {ENV_VAR} to re-encrypt: no key is configured")
    counts: dict[str, int] = {}
    for table, keys, column in (
        (SESSIONS, (SESSIONS.c.id,), SESSIONS.c.resume_data),
        (MESSAGES, (MESSAGES.c.session_id, MESSAGES.c.seq), MESSAGES.c.content),
        (INTERVIEWER_NOTES, (INTERVIEWER_NOTES.c.id,), INTERVIEWER_NOTES.c.content),
    ):
        counts[table.name] = 0
        after: tuple[Any, ...] | None = None
        while True:
            query = select(*keys, column).order_by(*keys).limit(batch_size)
            if after is not None:
                query = query.where(tuple_(*keys) > tuple_(*after))
            with engine.begin() as conn:
                rows = conn.execute(query).all()
                for row in rows:
                    *key_values, value = row
                    if value is None:
                        continue
                    conn.execute(
                        update(table)
                        .where(*(k == v for k, v in zip(keys, key_values, strict=True)))
                        .values({column.name: value})
                    )
                    counts[table.name] += 1
            if len(rows) < batch_size:
                break
            after = tuple(rows[-1][: len(keys)])
    return counts

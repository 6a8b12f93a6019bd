"""Tokens are shown once and stored only as hashes: no row of any table holds a token, or
the secret part of one, in clear."""

from __future__ import annotations

import hashlib

from api_support import API, Callers, bearer
from fastapi.testclient import TestClient
from sqlalchemy import select

from interview_orchestrator import Container
from interview_orchestrator.store.schema import API_KEYS, SESSION_LINKS, metadata


def test_no_table_holds_a_token_in_clear(
    client: TestClient, container: Container, callers: Callers
) -> None:
    keys = [callers.key(role) for role in ("admin", "service", "reviewer")]
    sid = callers.session()
    links = [
        client.post(
            f"{API}/sessions/{sid}/links",
            json={"kind": kind, "expires_in_minutes": 60},
            headers=bearer(keys[0]),
        ).json()["token"]
        for kind in ("candidate", "review")
    ]
    for token in keys + links:  # used, so that anything a use records is written too
        assert client.get(f"{API}/sessions/{sid}", headers=bearer(token)).status_code == 200
    secrets = [part for token in keys + links for part in (token, token[4:])]

    with container.engine().connect() as conn:
        rows = {
            table.name: [dict(row) for row in conn.execute(select(table)).mappings()]
            for table in metadata.sorted_tables
        }
    leaks = [
        f"{table}.{column}"
        for table, table_rows in rows.items()
        for row in table_rows
        for column, value in row.items()
        if any(secret in str(value) for secret in secrets)
    ]
    assert not leaks
    assert len(rows["api_keys"]) == 3
    assert len(rows["session_links"]) == 2


def test_a_token_is_found_by_its_sha256(
    client: TestClient, container: Container, callers: Callers
) -> None:
    key = callers.key("admin")
    sid = callers.session()
    link = client.post(
        f"{API}/sessions/{sid}/links",
        json={"kind": "candidate", "expires_in_minutes": 60},
        headers=bearer(key),
    ).json()
    with container.engine().connect() as conn:
        key_hashes = set(conn.execute(select(API_KEYS.c.token_hash)).scalars())
        link_hash = conn.execute(
            select(SESSION_LINKS.c.token_hash).where(SESSION_LINKS.c.id == link["id"])
        ).scalar_one()
    assert key_hashes == {hashlib.sha256(key.encode()).hexdigest()}
    assert link_hash == hashlib.sha256(link["token"].encode()).hexdigest()

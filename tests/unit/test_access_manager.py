"""AccessManager with its stores mocked: who a token is, and when a key's use is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_mock import MockerFixture

from interview_orchestrator.access import ApiKey, KeyRole, hash_token
from interview_orchestrator.access_manager import AccessManager, RateLimit
from interview_orchestrator.errors import AuthenticationError, RateLimitedError
from interview_orchestrator.logging import build_logger
from interview_orchestrator.ports import AccessStore, RateLimitStore

NOW = datetime(2026, 11, 30, 12, 0, 30, tzinfo=UTC)
TOKEN = "iok_" + "a" * 43


def a_key(**changes: Any) -> ApiKey:
    fields: dict[str, Any] = {
        "id": "k-1",
        "name": "ops",
        "role": KeyRole.SERVICE,
        "tenant_id": "acme",
        "hint": TOKEN[:10],
        "created_at": NOW - timedelta(days=1),
    }
    return ApiKey(**{**fields, **changes})


@pytest.fixture
def store(mocker: MockerFixture) -> Any:
    return mocker.create_autospec(AccessStore, instance=True, spec_set=True)


@pytest.fixture
def limits(mocker: MockerFixture) -> Any:
    return mocker.create_autospec(RateLimitStore, instance=True, spec_set=True)


@pytest.fixture
def access(store: Any, limits: Any) -> AccessManager:
    return AccessManager(
        store,
        limits,
        rate_limit=RateLimit(requests=2),
        clock=lambda: NOW,
        logger=build_logger(enabled=False),
    )


def test_a_key_token_is_looked_up_by_its_hash(access: AccessManager, store: Any) -> None:
    store.key_by_token_hash.return_value = a_key()
    principal = access.authenticate(TOKEN)
    store.key_by_token_hash.assert_called_once_with(hash_token(TOKEN))
    assert (principal.kind, principal.role, principal.tenant_id) == ("key", "service", "acme")


@pytest.mark.parametrize("token", [None, "", "nonsense", "iok_" + "x" * 300, "Bearer iok_x"])
def test_a_missing_or_malformed_token_is_unauthenticated(
    access: AccessManager, store: Any, token: str | None
) -> None:
    store.key_by_token_hash.return_value = None
    store.link_by_token_hash.return_value = None
    with pytest.raises(AuthenticationError):
        access.authenticate(token)


def test_a_revoked_key_is_unauthenticated(access: AccessManager, store: Any) -> None:
    store.key_by_token_hash.return_value = a_key(revoked_at=NOW - timedelta(seconds=1))
    with pytest.raises(AuthenticationError, match="unknown, revoked or expired"):
        access.authenticate(TOKEN)


def test_a_keys_first_use_is_recorded(access: AccessManager, store: Any) -> None:
    store.key_by_token_hash.return_value = a_key(last_used_at=None)
    access.authenticate(TOKEN)
    store.touch_key.assert_called_once_with("k-1", now=NOW)


def test_a_keys_use_is_recorded_at_most_once_a_minute(access: AccessManager, store: Any) -> None:
    store.key_by_token_hash.return_value = a_key(last_used_at=NOW - timedelta(seconds=20))
    access.authenticate(TOKEN)
    store.touch_key.assert_not_called()
    store.key_by_token_hash.return_value = a_key(last_used_at=NOW - timedelta(minutes=2))
    access.authenticate(TOKEN)
    store.touch_key.assert_called_once()


def test_requests_over_the_limit_wait_for_the_window_to_end(
    access: AccessManager, store: Any, limits: Any
) -> None:
    store.key_by_token_hash.return_value = a_key()
    principal = access.authenticate(TOKEN)
    limits.hit.side_effect = [1, 2, 3]
    access.count_request(principal, "message")
    access.count_request(principal, "message")
    with pytest.raises(RateLimitedError) as limited:
        access.count_request(principal, "message")
    assert limited.value.retry_after == 30  # the window started at 12:00:00, it is 12:00:30
    window = limits.hit.call_args.kwargs["window_start"]
    assert window == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

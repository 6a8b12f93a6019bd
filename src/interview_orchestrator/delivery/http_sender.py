"""``HttpWebhookSender``: one signed POST per attempt, on httpx.

Signed as the Standard Webhooks specification says, with its reference library: the headers
``webhook-id`` (stable across retries, so receivers de-duplicate), ``webhook-timestamp``
(the wall clock at sending: receivers refuse stale messages, so never an injected clock) and
``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`` with the
endpoint's secret). Short timeouts; redirects are not followed (a redirect could carry a
signed message somewhere the tenant did not register); the response body is never read.
A 2xx is a delivery; anything else, or a network error, is a failure whose reason is put in
words that never contain the secret or the URL (which may carry credentials of its own in
its query).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import httpx
from standardwebhooks.webhooks import Webhook as StandardWebhook

from ..clock import Clock, utc_now
from ..ports import SendOutcome, WebhookMessage

USER_AGENT: Final = "interview-orchestrator-webhooks/1"
_CONNECT_TIMEOUT_CAP: Final = 5.0


class HttpWebhookSender:
    """The ``WebhookSender`` port over one shared ``httpx.Client`` (thread-safe, pooled)."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, _CONNECT_TIMEOUT_CAP)),
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
        )
        self._clock = clock

    def send(self, message: WebhookMessage) -> SendOutcome:
        try:
            signer = StandardWebhook(message.secret)
        except Exception:
            return SendOutcome(False, error="the webhook's secret is not a usable signing key")
        now = self._clock()
        headers = {
            "content-type": "application/json",
            "webhook-id": message.message_id,
            "webhook-timestamp": str(math.floor(now.timestamp())),
            "webhook-signature": signer.sign(message.message_id, now, message.body),
        }
        try:
            with self._client.stream(
                "POST", message.url, content=message.body.encode("utf-8"), headers=headers
            ) as response:
                code = response.status_code
        except httpx.TimeoutException as exc:
            return SendOutcome(False, error=f"timed out ({type(exc).__name__})")
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            return SendOutcome(False, error=_reason(exc, message))
        return _answered(code)

    def close(self) -> None:
        self._client.close()


def _answered(code: int) -> SendOutcome:
    """A response: delivered on a 2xx, else a failure naming the status."""
    if 200 <= code < 300:
        return SendOutcome(True, status_code=code)
    if 300 <= code < 400:
        return SendOutcome(False, code, f"HTTP {code}: redirects are not followed")
    return SendOutcome(False, code, f"HTTP {code}")


def _reason(exc: Exception, message: WebhookMessage) -> str:
    """The exception in words, with the URL and the secret cut out if it quoted them."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    for secret in (message.url, message.secret):
        detail = detail.replace(secret, "[redacted]")
    name = type(exc).__name__
    return f"{name}: {detail}"[:300] if detail else name


@contextmanager
def open_http_webhook_sender(timeout: float) -> Iterator[HttpWebhookSender]:
    """A sender whose connections are closed on ``shutdown_resources()``."""
    sender = HttpWebhookSender(timeout=timeout)
    try:
        yield sender
    finally:
        sender.close()

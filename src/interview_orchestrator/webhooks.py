"""Webhooks: tenants register endpoints (``WebhookService``); the ``WebhookDispatcher`` delivers
the event log to them.

Delivery is a reader of the log, like a WebSocket: a pass queues one delivery per new event
and matching endpoint (``WebhookStore.enqueue``: nothing is lost, nothing is sent for a change
that rolled back, since only committed events are ever read), then sends what is due on a
small thread pool, at most ``per_endpoint`` at once to one endpoint, so a slow or dead endpoint
holds up neither the others nor any interview (which only sets a wake-up flag). Each send is
leased: a dispatcher that dies mid-send has its deliveries sent again by whoever claims them
after the lease; receivers de-duplicate by ``webhook-id`` (``evt_<events.id>``). A failed
attempt is retried with exponential backoff (``BACKOFF``) until ``retry_for`` after the
delivery was queued, then the delivery is FAILED (``GET /webhooks/{id}/deliveries`` shows it,
with the last status code and error).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import urllib.parse
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from .clock import Clock, utc_now
from .errors import InterviewPlatformError, InvalidInputError, ResourceNotFoundError
from .log_events import LogEvent, Logger
from .models import EventType, SessionEvent, _preview, new_id, parse_tenant_id
from .ports import (
    CommunicationManager,
    DueDelivery,
    LogPosition,
    SendOutcome,
    Webhook,
    WebhookDelivery,
    WebhookMessage,
    WebhookSender,
    WebhookStore,
)
from .serialization import SessionEventOut

#: Standard Webhooks' secret format: ``whsec_`` and the base64 of the key.
SECRET_PREFIX: Final = "whsec_"
SECRET_BYTES: Final = 32
MAX_URL_CHARS: Final = 2000
MAX_EVENT_TYPES: Final = len(EventType)
#: The name the dispatchers' shared cursor is stored under (``dispatch_cursors``).
READER: Final = "webhooks"
#: Waits between attempts: the n-th failure waits ``BACKOFF[n - 1]`` (the last one repeats),
#: never beyond the delivery's deadline, where one last attempt is made.
BACKOFF: Final = tuple(
    timedelta(seconds=s) for s in (10, 30, 120, 600, 1800, 3600, 7200, 14400, 28800)
)


# --------------------------------------------------------------------------- rules


def new_secret() -> str:
    """A signing secret in Standard Webhooks' format (256 random bits)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_hint(secret: str) -> str:
    """Enough of a secret to tell two apart, nowhere near enough to sign."""
    return secret[: len(SECRET_PREFIX) + 4] + "…"


def parse_webhook_url(value: object) -> str:
    """An absolute http(s) URL with a host and no credentials in it."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("url must be an absolute http(s) URL")
    url = value.strip()
    if len(url) > MAX_URL_CHARS:
        raise InvalidInputError(f"url must be at most {MAX_URL_CHARS} characters")
    if not all(33 <= ord(c) <= 126 for c in url):
        raise InvalidInputError(
            "url must be printable ASCII without spaces (percent-encode the path; write an "
            "international host name as punycode)"
        )
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise InvalidInputError(f"url is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInputError("url must use http or https")
    if not parts.hostname:
        raise InvalidInputError("url must name a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInputError(
            "url must not carry credentials: verify the signature instead (webhook-signature)"
        )
    if parts.fragment:
        raise InvalidInputError("url must not have a fragment (it is never sent)")
    return url


def parse_event_types(values: object) -> tuple[EventType, ...]:
    """The event types an endpoint subscribes to, once each, in the order given (none: all)."""
    if values is None:
        return ()
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInputError("events must be a list of event types")
    chosen: list[EventType] = []
    for value in values:
        try:
            event_type = EventType(value)
        except ValueError:
            raise InvalidInputError(
                f"unknown event type {_preview(value)}; expected some of: "
                + ", ".join(t.value for t in EventType)
            ) from None
        if event_type not in chosen:
            chosen.append(event_type)
    return tuple(chosen)


def parse_webhook_id(value: object) -> str:
    """A webhook id in canonical form; anything that is not a UUID names no webhook (404)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ResourceNotFoundError("webhook", str(value)[:64]) from None


def retry_at(
    attempts: int, *, queued_at: datetime, now: datetime, retry_for: timedelta
) -> datetime | None:
    """When to try again after the ``attempts``-th failure, or None: give up (FAILED).

    The deadline runs from when the delivery was queued, not from its first attempt, so that
    deliveries waiting behind an earlier one of their session are not kept for days each.
    """
    deadline = queued_at + retry_for
    if now >= deadline:
        return None
    wait = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    return min(now + wait, deadline)


def message_id(event_id: int) -> str:
    """The ``webhook-id`` of an event: the same for every attempt and every endpoint."""
    return f"evt_{event_id}"


def webhook_payload(event: SessionEvent) -> str:
    """The body (Standard Webhooks' recommended shape): ``type``, ``timestamp`` and ``data``
    with the session's cursor as ``event_id``, the session, the tenant and the event's data."""
    shaped = SessionEventOut.from_domain(event).model_dump(mode="json")
    data = {"event_id": event.id, "session_id": event.session_id, "tenant_id": event.tenant_id}
    data.update((k, v) for k, v in shaped["data"].items() if k not in data)
    body = {"type": event.type.value, "timestamp": shaped["created_at"], "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------- registering


class WebhookService:
    """Register, list and delete a tenant's webhooks, and read their deliveries."""

    def __init__(self, store: WebhookStore, *, logger: Logger, clock: Clock = utc_now):
        self._store = store
        self._clock = clock
        self._log = logger.bind(component="WebhookService")

    def register(self, tenant_id: str, url: str, events: Iterable[str] = ()) -> Webhook:
        """A new webhook with a new secret (the caller shows it to the tenant once). It hears
        the events written from now on."""
        webhook = Webhook(
            id=new_id(),
            tenant_id=parse_tenant_id(tenant_id),
            url=parse_webhook_url(url),
            event_types=parse_event_types(events),
            secret=new_secret(),
            created_at=self._clock(),
        )
        self._store.add_webhook(webhook)
        self._registered(webhook)
        return webhook

    def list_webhooks(self, tenant_id: str) -> list[Webhook]:
        return self._store.list_webhooks(parse_tenant_id(tenant_id))

    def get(self, tenant_id: str, webhook_id: str) -> Webhook:
        wid = parse_webhook_id(webhook_id)
        found = self._store.get_webhook(wid, tenant_id=parse_tenant_id(tenant_id))
        if found is None:
            raise ResourceNotFoundError("webhook", wid)
        return found

    def delete(self, tenant_id: str, webhook_id: str) -> None:
        """Delete the webhook with its secret and deliveries (another tenant's: 404)."""
        wid = parse_webhook_id(webhook_id)
        if not self._store.delete_webhook(wid, tenant_id=parse_tenant_id(tenant_id)):
            raise ResourceNotFoundError("webhook", wid)
        self._log.info(
            LogEvent.WEBHOOK_DELETED,
            operation="delete_webhook",
            metadata={"webhook_id": wid, "tenant_id": tenant_id},
        )

    def deliveries(
        self, tenant_id: str, webhook_id: str, *, limit: int = 50, before: int | None = None
    ) -> list[WebhookDelivery]:
        """The webhook's deliveries, newest first (ids below ``before``)."""
        if isinstance(limit, bool) or not 1 <= limit <= 1000:
            raise InvalidInputError("limit must be between 1 and 1000")
        return self._store.list_deliveries(
            parse_webhook_id(webhook_id),
            tenant_id=parse_tenant_id(tenant_id),
            limit=limit,
            before=before,
        )

    def _registered(self, webhook: Webhook) -> None:
        self._log.info(
            LogEvent.WEBHOOK_REGISTERED,
            operation="register_webhook",
            metadata={
                "webhook_id": webhook.id,
                "tenant_id": webhook.tenant_id,
                "host": urllib.parse.urlsplit(webhook.url).hostname,
                "events": [t.value for t in webhook.event_types],
            },
        )


# --------------------------------------------------------------------------- delivering


@dataclass
class DispatchReport:
    """What a dispatcher run did (counted across its sender threads)."""

    queued: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "queued": self.queued,
            "delivered": self.delivered,
            "retried": self.retried,
            "failed": self.failed,
            "errors": self.errors,
        }


#: The shortest pause between two passes over the log, so that a burst of commits is one pass.
_COALESCE_SECONDS: Final = 0.25


class WebhookDispatcher:
    """Reads the event log into deliveries and sends the due ones, until told to stop.

    Woken by every commit that wrote events (the communication manager's ``listen``:
    in-process on SQLite, ``LISTEN`` on PostgreSQL), by each finished send, or every
    ``poll_interval`` seconds (which is also how due retries are found). Any number of
    dispatchers may run against one database.
    """

    def __init__(
        self,
        store: WebhookStore,
        sender: WebhookSender,
        *,
        communication_manager: CommunicationManager | None = None,
        clock: Clock = utc_now,
        poll_interval: float = 2.0,
        senders: int = 8,
        per_endpoint: int = 2,
        lease: timedelta = timedelta(seconds=60),
        retry_for: timedelta = timedelta(hours=24),
        batch_size: int = 200,
        stop_grace: float = 15.0,
        logger: Logger,
    ) -> None:
        if senders < 1 or per_endpoint < 1 or batch_size < 1:
            raise InvalidInputError("senders, per_endpoint and batch_size must be at least 1")
        self._store = store
        self._sender = sender
        self._channels = communication_manager
        self._clock = clock
        self._poll_interval = poll_interval
        self._senders = senders
        self._per_endpoint = per_endpoint
        self._lease = lease
        self._retry_for = retry_for
        self._batch_size = batch_size
        self._stop_grace = stop_grace
        self._log = logger.bind(component="WebhookDispatcher")
        self._wake = threading.Event()
        self._lock = threading.Condition()
        self._in_flight: dict[str, int] = {}
        self._position: LogPosition | None = None

    # ------------------------------------------------------------------ the loop

    def run(
        self, stop: threading.Event, *, once: bool = False, report: DispatchReport | None = None
    ) -> DispatchReport:
        """Dispatch until ``stop`` is set (``wake()`` after setting it ends an idle wait at
        once); with ``once``, until nothing new is in the log and nothing is due or in
        flight. Sends in flight at the stop are given ``stop_grace`` seconds to finish; one
        that does not keeps its lease and is sent again after it."""
        report = report if report is not None else DispatchReport()
        unlisten = self._channels.listen(self._woken) if self._channels is not None else None
        pool = ThreadPoolExecutor(max_workers=self._senders, thread_name_prefix="webhook-send")
        self._info(LogEvent.DISPATCHER_STARTED, {"once": once})
        try:
            while not stop.is_set():
                self._wake.clear()
                more = self.enqueue(report)
                # Counted before claiming: a send that finishes during the claim may make the
                # next event of its session due, which this claim could not see.
                sending = self.in_flight()
                claimed = self._claim(pool, report)
                if more:
                    continue
                if once and not claimed and not sending:
                    break
                self._wake.wait(self._poll_interval)
                # Every commit wakes the dispatcher: a pass at most every _COALESCE_SECONDS
                # gathers the events of many commits (and costs little when no webhook is set).
                stop.wait(_COALESCE_SECONDS)
        finally:
            if unlisten is not None:
                unlisten()
            pool.shutdown(wait=False)
            self._wait_for_sends(self._stop_grace)
            self._info(LogEvent.DISPATCHER_STOPPED, report.as_dict())
        return report

    def wake(self) -> None:
        """Cut short an idle wait: ``run`` looks at ``stop``, the log and due retries now."""
        self._wake.set()

    def in_flight(self) -> int:
        with self._lock:
            return sum(self._in_flight.values())

    def enqueue(self, report: DispatchReport | None = None) -> bool:
        """One pass over the log; True if it read a full batch (more may be waiting)."""
        try:
            result = self._store.enqueue(
                self._position, reader=READER, now=self._clock(), limit=self._batch_size
            )
        except InterviewPlatformError:
            self._count(report, "errors")
            self._position = None  # start again from the stored cursor
            self._error("read_events")
            return False
        if result.position is not None:
            self._position = result.position
        if result.deliveries:
            self._count(report, "queued", result.deliveries)
        return result.more

    # ------------------------------------------------------------------ sending

    def _claim(self, pool: ThreadPoolExecutor, report: DispatchReport) -> int:
        """Claim as many due deliveries as there are idle senders and start sending them."""
        with self._lock:
            idle = self._senders - sum(self._in_flight.values())
            in_flight = dict(self._in_flight)
        if idle <= 0:
            return 0
        try:
            due = self._store.claim_due(
                now=self._clock(),
                lease=self._lease,
                limit=idle,
                per_webhook=self._per_endpoint,
                in_flight=in_flight,
            )
        except InterviewPlatformError:
            self._count(report, "errors")
            self._error("claim_deliveries")
            return 0
        for claimed in due:
            with self._lock:
                hook = claimed.delivery.webhook_id
                self._in_flight[hook] = self._in_flight.get(hook, 0) + 1
            pool.submit(self._deliver, claimed, report)
        return len(due)

    def _deliver(self, due: DueDelivery, report: DispatchReport) -> None:
        """Send one delivery and record the outcome (on a sender thread)."""
        delivery = due.delivery
        try:
            outcome = self._send(due)
            now = self._clock()
            if outcome.delivered:
                self._store.record_success(delivery.id, now=now, status_code=outcome.status_code)
                self._count(report, "delivered")
                self._outcome(due, outcome)
                return
            next_at = (
                None
                if due.event is None
                else retry_at(
                    delivery.attempts,
                    queued_at=delivery.created_at,
                    now=now,
                    retry_for=self._retry_for,
                )
            )
            self._store.record_failure(
                delivery.id,
                attempt=delivery.attempts,
                now=now,
                status_code=outcome.status_code,
                error=outcome.error or "failed",
                next_attempt_at=next_at,
            )
            self._count(report, "retried" if next_at is not None else "failed")
            self._outcome(due, outcome, next_attempt_at=next_at)
        except Exception:  # the lease runs out and the delivery is sent again
            self._count(report, "errors")
            self._error("deliver")
        finally:
            with self._lock:
                hook = delivery.webhook_id
                self._in_flight[hook] -= 1
                if not self._in_flight[hook]:
                    del self._in_flight[hook]
                self._lock.notify_all()
            self._wake.set()

    def _send(self, due: DueDelivery) -> SendOutcome:
        if due.event is None:
            return SendOutcome(False, error="the event was deleted before it could be delivered")
        message = WebhookMessage(
            url=due.url,
            secret=due.secret,
            message_id=message_id(due.delivery.event_id),
            body=webhook_payload(due.event),
        )
        return self._sender.send(message)

    def _wait_for_sends(self, timeout: float) -> None:
        with self._lock:
            self._lock.wait_for(lambda: not self._in_flight, timeout=timeout)

    def _woken(self, _session_id: str, _first: int, _last: int) -> None:
        self._wake.set()

    # ------------------------------------------------------------------ reporting

    def _count(self, report: DispatchReport | None, name: str, n: int = 1) -> None:
        if report is None:
            return
        with self._lock:
            setattr(report, name, getattr(report, name) + n)

    def _outcome(
        self, due: DueDelivery, outcome: SendOutcome, *, next_attempt_at: datetime | None = None
    ) -> None:
        delivery = due.delivery
        metadata: dict[str, Any] = {
            "webhook_id": delivery.webhook_id,
            "delivery_id": delivery.id,
            "event": delivery.event_type.value,
            "attempt": delivery.attempts,
            "status_code": outcome.status_code,
        }
        if not outcome.delivered:
            metadata["error"] = outcome.error
            metadata["will_retry"] = next_attempt_at is not None
            metadata["retry_in_seconds"] = (
                round((next_attempt_at - self._clock()).total_seconds())
                if next_attempt_at is not None
                else None
            )
        if outcome.delivered:
            log, event = self._log.info, LogEvent.WEBHOOK_DELIVERED
        else:
            log, event = self._log.warning, LogEvent.WEBHOOK_DELIVERY_FAILED
        log(event, operation="deliver_webhook", session_id=delivery.session_id, metadata=metadata)

    def _info(self, event: LogEvent, metadata: dict[str, Any]) -> None:
        self._log.info(event, operation="dispatch_webhooks", metadata=metadata)

    def _error(self, step: str) -> None:
        """A step of the dispatcher failed; it is tried again (a delivery after its lease)."""
        self._log.error(
            LogEvent.DISPATCHER_FAILED,
            operation="dispatch_webhooks",
            metadata={"step": step},
            exc_info=True,
        )

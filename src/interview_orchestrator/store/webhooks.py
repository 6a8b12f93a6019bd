"""Webhooks per tenant, their deliveries, and the dispatcher's reading of the whole event log.

**Reading the log without skipping.** ``events.id`` orders the whole log, but on PostgreSQL it
comes from a sequence, and ids are taken when rows are inserted, not when they commit: a
transaction that took id 10 may commit after one that took id 11. A reader that saw 11 and
moved its cursor past 10 would never see 10. So the cursor only moves up to the first *gap*
(an id below the highest one read that has not been seen), and a gap is given up only once
it cannot fill any more:

* When a pass first misses an id, it notes the transactions in flight just after its read
  (``pg_snapshot_xip(pg_current_snapshot())``). The writer that holds the missing id had its
  transaction id before it took the event id (every event is written after its session's
  ``UPDATE`` in the same transaction, which assigns the transaction id), and before our read
  (a larger id was already committed); so it is either among those noted, or it had already
  finished when they were noted.
* A later pass first asks which transactions are in flight, then reads the gaps again. If
  none of the noted ones is still in flight, every writer that could fill the gap has
  finished before this read: what the read finds is queued, what it does not find was rolled
  back (or purged), and the gap is dropped.

The events read beyond a gap are queued at once, so a gap delays nothing but the stored
cursor; the dispatcher keeps the gaps in memory (``LogPosition``) and re-reads only them. A
restarted dispatcher starts again from the stored cursor: re-reading is harmless, because a
delivery is unique per (webhook, event) and inserted with ``ON CONFLICT DO NOTHING``.
Dispatchers take turns on the log: the pass locks the cursor row (``FOR UPDATE SKIP
LOCKED``: a second dispatcher skips the pass instead of waiting, the first reads for both).

On SQLite the pass runs in a write transaction (``BEGIN IMMEDIATE``): no other writer can be
in flight while it reads, and ids are given out in commit order, so a missing id can never
appear later and the cursor moves to the highest id read.

A webhook hears the events written at or after its creation (by timestamp), so a new webhook
is not sent the history of its tenant.

**Claiming.** A delivery is due when it is PENDING, its ``next_attempt_at`` has passed, no
live lease holds it, and it is the first PENDING delivery of its (webhook, session): one
session's events reach an endpoint in order, one at a time, while other sessions and other
endpoints go on. The claim leases the rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several dispatchers take different rows) and counts the attempt.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..errors import InvalidInputError, ResourceNotFoundError
from ..models import SessionEvent
from ..ports import (
    DeliveryStatus,
    DueDelivery,
    EnqueueResult,
    LogGap,
    LogPosition,
    Webhook,
    WebhookDelivery,
)
from .codecs import EventCodec, WebhookCodec, WebhookDeliveryCodec, decoded
from .events import EVENTS_WITH_MESSAGE
from .schema import DISPATCH_CURSORS, EVENTS, WEBHOOK_DELIVERIES, WEBHOOKS
from .transactions import Transactions, require_aware

#: More gap ranges than this (a pathological run of rollbacks) are merged into one range:
#: re-reading a little more, never skipping.
MAX_GAP_RANGES: Final = 50
#: The longest ``last_error`` kept.
MAX_ERROR_CHARS: Final = 500

_D: Final = WEBHOOK_DELIVERIES
_PENDING: Final = DeliveryStatus.PENDING.value

#: The transactions in flight now (PostgreSQL 13+), as plain integers.
_IN_FLIGHT: Final = text(
    "SELECT CAST(CAST(x AS text) AS bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x"
)

_EVENT_HEADS: Final = select(
    EVENTS.c.id,
    EVENTS.c.tenant_id,
    EVENTS.c.session_id,
    EVENTS.c.seq,
    EVENTS.c.type,
    EVENTS.c.created_at,
)

#: Events by their global id, with the text of a message.created event's message joined.
_EVENTS_BY_ID: Final = EVENTS_WITH_MESSAGE.where(
    EVENTS.c.id.in_(bindparam("b_ids", expanding=True))
)


class WebhookRepository:
    """The ``WebhookStore`` on SQLAlchemy Core."""

    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    # ------------------------------------------------------------------ webhooks

    def add_webhook(self, webhook: Webhook) -> Webhook:
        values = WebhookCodec.encode(webhook)
        self._tx.write(
            f"store webhook {webhook.id!r}", lambda conn: conn.execute(insert(WEBHOOKS), values)
        )
        return webhook

    def list_webhooks(self, tenant_id: str) -> list[Webhook]:
        query = (
            select(WEBHOOKS)
            .where(WEBHOOKS.c.tenant_id == tenant_id, WEBHOOKS.c.disabled_at.is_(None))
            .order_by(WEBHOOKS.c.created_at, WEBHOOKS.c.id)
        )
        return self._tx.read(
            "list webhooks",
            lambda conn: [decoded(WebhookCodec.decode, r) for r in conn.execute(query).mappings()],
        )

    def get_webhook(self, webhook_id: str, *, tenant_id: str) -> Webhook | None:
        query = select(WEBHOOKS).where(
            WEBHOOKS.c.id == webhook_id,
            WEBHOOKS.c.tenant_id == tenant_id,
            WEBHOOKS.c.disabled_at.is_(None),
        )

        def tx(conn: Connection) -> Webhook | None:
            row = conn.execute(query).mappings().first()
            return None if row is None else decoded(WebhookCodec.decode, row)

        return self._tx.read(f"read webhook {webhook_id!r}", tx)

    def delete_webhook(self, webhook_id: str, *, tenant_id: str) -> bool:
        """Delete the webhook, its secret and its deliveries (a delivery in flight records
        nothing afterwards)."""
        owned = and_(WEBHOOKS.c.id == webhook_id, WEBHOOKS.c.tenant_id == tenant_id)

        def tx(conn: Connection) -> bool:
            if conn.execute(select(WEBHOOKS.c.id).where(owned)).first() is None:
                return False
            conn.execute(delete(_D).where(_D.c.webhook_id == webhook_id))
            conn.execute(delete(WEBHOOKS).where(owned))
            return True

        return self._tx.write(f"delete webhook {webhook_id!r}", tx)

    # ------------------------------------------------------------------ the log

    def enqueue(
        self, position: LogPosition | None, *, reader: str, now: datetime, limit: int
    ) -> EnqueueResult:
        """One pass over the log (see the module's docstring): the gaps of ``position`` and
        up to ``limit`` events in all, each queued for the matching webhooks of its tenant."""
        require_aware(now, "now")
        if limit < 1:
            raise InvalidInputError("limit must be at least 1")

        def tx(conn: Connection) -> EnqueueResult:
            stored = self._lock_cursor(conn, reader, now)
            if stored is None:
                return EnqueueResult(position=None)
            start = position
            if start is None or start.cursor != stored:
                start = LogPosition(cursor=stored, scanned=stored)  # another reader moved it
            in_flight_before = self._in_flight(conn)
            wanted: list[ColumnElement[bool]] = [
                EVENTS.c.id.between(gap.first, gap.last) for gap in _merged(start.gaps)
            ]
            wanted.append(EVENTS.c.id > start.scanned)
            rows = conn.execute(
                _EVENT_HEADS.where(or_(*wanted)).order_by(EVENTS.c.id).limit(limit)
            ).all()
            in_flight_after = self._in_flight(conn)
            full = len(rows) == limit
            position_after = _advance(
                start,
                [int(r.id) for r in rows],
                read_up_to=int(rows[-1].id) if full else None,
                finished=lambda blockers: not (blockers & in_flight_before),
                blockers=in_flight_after,
                track_gaps=self._tx.is_postgres,
            )
            queued = self._queue(conn, rows, now)
            if position_after.cursor != stored:
                conn.execute(
                    update(DISPATCH_CURSORS)
                    .where(DISPATCH_CURSORS.c.name == reader)
                    .values(last_event_id=position_after.cursor, updated_at=now)
                )
            return EnqueueResult(
                position=position_after, events=len(rows), deliveries=queued, more=full
            )

        return self._tx.write("queue webhook deliveries", tx)

    def _lock_cursor(self, conn: Connection, reader: str, now: datetime) -> int | None:
        """The reader's stored cursor, locked for this pass (created at 0 the first time);
        None if another dispatcher holds it."""
        query = select(DISPATCH_CURSORS.c.last_event_id).where(DISPATCH_CURSORS.c.name == reader)
        if self._tx.is_postgres:
            query = query.with_for_update(skip_locked=True)
        found = conn.execute(query).first()
        if found is not None:
            return int(found[0])
        insert_: Any = postgresql_insert if self._tx.is_postgres else sqlite_insert
        created = conn.execute(
            insert_(DISPATCH_CURSORS)
            .values(name=reader, last_event_id=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=[DISPATCH_CURSORS.c.name])
            .returning(DISPATCH_CURSORS.c.last_event_id)
        ).first()
        return None if created is None else int(created[0])

    def _in_flight(self, conn: Connection) -> frozenset[int]:
        if not self._tx.is_postgres:
            return frozenset()
        return frozenset(int(x) for x in conn.execute(_IN_FLIGHT).scalars())

    def _queue(self, conn: Connection, rows: Sequence[Any], now: datetime) -> int:
        """Insert a PENDING delivery per event and matching webhook; how many were new."""
        if not rows:
            return 0
        tenants = sorted({r.tenant_id for r in rows})
        hooks: dict[str, list[Any]] = {}
        for hook in conn.execute(
            select(
                WEBHOOKS.c.id, WEBHOOKS.c.tenant_id, WEBHOOKS.c.event_types, WEBHOOKS.c.created_at
            )
            .where(WEBHOOKS.c.tenant_id.in_(tenants), WEBHOOKS.c.disabled_at.is_(None))
            .order_by(WEBHOOKS.c.created_at, WEBHOOKS.c.id)
        ):
            hooks.setdefault(hook.tenant_id, []).append(hook)
        values = [
            {
                "webhook_id": hook.id,
                "event_id": event.id,
                "session_id": event.session_id,
                "event_seq": event.seq,
                "event_type": event.type,
                "status": _PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for event in rows
            for hook in hooks.get(event.tenant_id, ())
            if (not hook.event_types or event.type in hook.event_types)
            and hook.created_at <= event.created_at
        ]
        if not values:
            return 0
        insert_: Any = postgresql_insert if self._tx.is_postgres else sqlite_insert
        statement = (
            insert_(_D)
            .on_conflict_do_nothing(index_elements=[_D.c.webhook_id, _D.c.event_id])
            .returning(_D.c.id)
        )
        return len(conn.execute(statement, values).all())

    # ------------------------------------------------------------------ deliveries

    def claim_due(
        self,
        *,
        now: datetime,
        lease: timedelta,
        limit: int,
        per_webhook: int | None = None,
        in_flight: Mapping[str, int] | None = None,
    ) -> list[DueDelivery]:
        """Lease up to ``limit`` due deliveries (see the module's docstring), at most
        ``per_webhook`` in flight per webhook counting ``in_flight`` (the caller's)."""
        require_aware(now, "now")
        if limit < 1:
            return []
        busy = dict(in_flight or {})
        room: dict[str, int] = {}
        first_pending = (
            select(_D.c.webhook_id, _D.c.session_id, func.min(_D.c.event_id))
            .where(_D.c.status == _PENDING)
            .group_by(_D.c.webhook_id, _D.c.session_id)
        )
        due = (
            select(_D.c.id, _D.c.webhook_id)
            .where(
                _D.c.status == _PENDING,
                _D.c.next_attempt_at <= now,
                or_(_D.c.lease_expires_at.is_(None), _D.c.lease_expires_at <= now),
                tuple_(_D.c.webhook_id, _D.c.session_id, _D.c.event_id).in_(first_pending),
                _D.c.webhook_id.in_(select(WEBHOOKS.c.id).where(WEBHOOKS.c.disabled_at.is_(None))),
            )
            .order_by(_D.c.next_attempt_at, _D.c.id)
            .limit(limit if per_webhook is None else min(limit * 4, 1000))
        )
        if per_webhook is not None:
            full = [hook for hook, count in busy.items() if count >= per_webhook]
            if full:
                due = due.where(_D.c.webhook_id.not_in(full))
        if self._tx.is_postgres:
            due = due.with_for_update(skip_locked=True)

        def tx(conn: Connection) -> list[DueDelivery]:
            chosen: list[int] = []
            for row in conn.execute(due):
                if len(chosen) == limit:
                    break
                if per_webhook is not None:
                    left = room.setdefault(
                        row.webhook_id, per_webhook - busy.get(row.webhook_id, 0)
                    )
                    if left <= 0:
                        continue
                    room[row.webhook_id] = left - 1
                chosen.append(int(row.id))
            if not chosen:
                return []
            claimed = (
                conn.execute(
                    update(_D)
                    .where(_D.c.id.in_(chosen))
                    .values(attempts=_D.c.attempts + 1, lease_expires_at=now + lease)
                    .returning(*_D.c)
                )
                .mappings()
                .all()
            )
            deliveries = sorted(
                (decoded(WebhookDeliveryCodec.decode, r) for r in claimed), key=lambda d: d.id
            )
            hooks = {
                r.id: r
                for r in conn.execute(
                    select(WEBHOOKS.c.id, WEBHOOKS.c.url, WEBHOOKS.c.secret).where(
                        WEBHOOKS.c.id.in_({d.webhook_id for d in deliveries})
                    )
                )
            }
            events = self._events_by_id(conn, [d.event_id for d in deliveries])
            return [
                DueDelivery(
                    delivery=d,
                    url=hooks[d.webhook_id].url,
                    secret=hooks[d.webhook_id].secret,
                    event=events.get(d.event_id),
                )
                for d in deliveries
                if d.webhook_id in hooks
            ]

        return self._tx.write("claim due webhook deliveries", tx)

    @staticmethod
    def _events_by_id(conn: Connection, ids: Iterable[int]) -> dict[int, SessionEvent]:
        rows = conn.execute(_EVENTS_BY_ID, {"b_ids": sorted(set(ids))}).mappings()
        return {int(row["id"]): decoded(EventCodec.decode, row) for row in rows}

    def record_success(self, delivery_id: int, *, now: datetime, status_code: int | None) -> bool:
        """DELIVERED, whichever attempt succeeded (a success is never taken back)."""
        require_aware(now, "now")
        statement = (
            update(_D)
            .where(_D.c.id == delivery_id, _D.c.status == _PENDING)
            .values(
                status=DeliveryStatus.DELIVERED.value,
                delivered_at=now,
                lease_expires_at=None,
                last_status_code=status_code,
                last_error=None,
            )
        )
        return self._tx.write(
            f"record webhook delivery {delivery_id}",
            lambda conn: conn.execute(statement).rowcount > 0,
        )

    def record_failure(
        self,
        delivery_id: int,
        *,
        attempt: int,
        now: datetime,
        status_code: int | None,
        error: str,
        next_attempt_at: datetime | None,
    ) -> bool:
        require_aware(now, "now")
        status = DeliveryStatus.PENDING if next_attempt_at is not None else DeliveryStatus.FAILED
        statement = (
            update(_D)
            .where(_D.c.id == delivery_id, _D.c.status == _PENDING, _D.c.attempts == attempt)
            .values(
                status=status.value,
                next_attempt_at=next_attempt_at if next_attempt_at is not None else now,
                lease_expires_at=None,
                last_status_code=status_code,
                last_error=error[:MAX_ERROR_CHARS],
            )
        )
        return self._tx.write(
            f"record webhook delivery {delivery_id}",
            lambda conn: conn.execute(statement).rowcount > 0,
        )

    def list_deliveries(
        self, webhook_id: str, *, tenant_id: str, limit: int, before: int | None = None
    ) -> list[WebhookDelivery]:
        query = select(_D).where(_D.c.webhook_id == webhook_id)
        if before is not None:
            query = query.where(_D.c.id < before)
        query = query.order_by(_D.c.id.desc()).limit(limit)
        owned = select(WEBHOOKS.c.id).where(
            WEBHOOKS.c.id == webhook_id, WEBHOOKS.c.tenant_id == tenant_id
        )

        def tx(conn: Connection) -> list[WebhookDelivery]:
            if conn.execute(owned).first() is None:
                raise ResourceNotFoundError("webhook", webhook_id)
            return [decoded(WebhookDeliveryCodec.decode, r) for r in conn.execute(query).mappings()]

        return self._tx.snapshot(f"list the deliveries of webhook {webhook_id!r}", tx)


# ---------------------------------------------------------------------- gap bookkeeping


def _merged(gaps: Sequence[LogGap]) -> list[LogGap]:
    """The gaps in order; more than ``MAX_GAP_RANGES`` (a pathological run of rollbacks)
    become one gap spanning them, blocked by all their blockers: more re-reading, no loss."""
    ordered = sorted(gaps, key=lambda gap: gap.first)
    if len(ordered) <= MAX_GAP_RANGES:
        return ordered
    blockers = frozenset().union(*(gap.blockers for gap in ordered))
    return [LogGap(ordered[0].first, max(gap.last for gap in ordered), blockers)]


def _missing(first: int, last: int, seen: Sequence[int], blockers: frozenset[int]) -> list[LogGap]:
    """The runs of ``first..last`` that are not in ``seen`` (ascending)."""
    runs: list[LogGap] = []
    expected = first
    for event_id in seen[bisect_left(seen, first) : bisect_right(seen, last)]:
        if event_id > expected:
            runs.append(LogGap(expected, event_id - 1, blockers))
        expected = event_id + 1
    if expected <= last:
        runs.append(LogGap(expected, last, blockers))
    return runs


def _advance(
    start: LogPosition,
    read: Sequence[int],
    *,
    read_up_to: int | None,
    finished: Callable[[frozenset[int]], bool],
    blockers: frozenset[int],
    track_gaps: bool,
) -> LogPosition:
    """The position after a pass that read the event ids ``read`` (ascending; ids above
    ``read_up_to`` were not read: the batch was full). A known gap is dropped once
    ``finished(its blockers)``, since the read that followed saw whatever its writers
    committed; ids newly missed below the highest read become gaps blocked by ``blockers``
    (only where writers can be in flight: ``track_gaps``)."""
    gaps: list[LogGap] = []
    for gap in _merged(start.gaps):
        read_last = gap.last if read_up_to is None else min(gap.last, read_up_to)
        if read_last < gap.last:  # the part above the batch was not read: kept as it was
            gaps.append(LogGap(max(gap.first, read_last + 1), gap.last, gap.blockers))
        if gap.first <= read_last and not finished(gap.blockers):
            gaps.extend(_missing(gap.first, read_last, read, gap.blockers))
    new = [event_id for event_id in read if event_id > start.scanned]
    scanned = new[-1] if new else start.scanned
    if track_gaps and new:
        gaps.extend(_missing(start.scanned + 1, scanned, new, blockers))
    gaps.sort(key=lambda gap: gap.first)
    cursor = gaps[0].first - 1 if gaps else scanned
    return LogPosition(cursor=cursor, scanned=scanned, gaps=tuple(gaps))


__all__ = ["WebhookRepository"]

"""Retention (purge sessions past an age) and erasure (forget one candidate).

Both delete whole sessions (transcript, transitions, evaluation and event log go with them)
in batches, one transaction each, so that a large purge never holds the database for long. A
dry run counts the same sessions and deletes nothing. Both take a tenant: without one they
act on every tenant (a user id names a candidate within a tenant, so an erasure request from
one organisation names its tenant).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any, Final

from ..clock import utc_now
from ..errors import InvalidInputError
from ..models import SessionStatus, parse_tenant_id, parse_user_id
from ..ports import Deletion, DeletionCounts, SessionArchive

DEFAULT_BATCH_SIZE: Final = 500
#: Interviews under way are never purged: retention must not cut a candidate off.
KEPT_BY_RETENTION: Final = frozenset({SessionStatus.ACTIVE, SessionStatus.PAUSED})


@dataclass(frozen=True)
class RetentionReport:
    """What was deleted (in a dry run: what would be) and how many old sessions were kept
    because they are under way."""

    dry_run: bool
    deleted: DeletionCounts
    kept: int = 0
    user_id: str | None = None
    created_before: datetime | None = None
    #: The tenant it was limited to (None: every tenant).
    tenant_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "tenant_id": self.tenant_id,
            "user_id": self.user_id,
            "created_before": None
            if self.created_before is None
            else self.created_before.isoformat().replace("+00:00", "Z"),
            "deleted": asdict(self.deleted),
            "kept": self.kept,
        }


def purge_sessions(
    archive: SessionArchive,
    older_than: timedelta,
    *,
    user_id: str | None = None,
    tenant_id: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RetentionReport:
    """Delete the sessions created more than ``older_than`` before ``now`` (of ``user_id``
    and ``tenant_id`` only, if given), except ACTIVE and PAUSED ones, which are counted as
    kept."""
    if older_than < timedelta(0):
        raise InvalidInputError(f"the age must not be negative, got {older_than}")
    now = utc_now() if now is None else now
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInputError(f"now must be a timezone-aware datetime, got {now!r}")
    try:
        cutoff = now - older_than
    except OverflowError:
        raise InvalidInputError(f"an age of {older_than.days} days reaches before year 1") from None
    purgeable = Deletion(
        statuses=frozenset(SessionStatus) - KEPT_BY_RETENTION,
        user_id=None if user_id is None else parse_user_id(user_id),
        created_before=cutoff,
        tenant_id=_tenant(tenant_id),
    )
    kept = archive.count_deletable(replace(purgeable, statuses=KEPT_BY_RETENTION)).sessions
    return RetentionReport(
        dry_run=dry_run,
        deleted=_run(archive, purgeable, dry_run=dry_run, batch_size=batch_size),
        kept=kept,
        user_id=purgeable.user_id,
        created_before=cutoff,
        tenant_id=purgeable.tenant_id,
    )


def forget_user(
    archive: SessionArchive,
    user_id: str,
    *,
    tenant_id: str | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RetentionReport:
    """Delete every session of ``user_id`` (in ``tenant_id``; without it, in every tenant),
    whatever its status, with everything attached (an erasure request). A user with no
    sessions is not an error: there is nothing to do."""
    everything = Deletion(
        statuses=frozenset(SessionStatus),
        user_id=parse_user_id(user_id),
        tenant_id=_tenant(tenant_id),
    )
    return RetentionReport(
        dry_run=dry_run,
        deleted=_run(archive, everything, dry_run=dry_run, batch_size=batch_size),
        user_id=everything.user_id,
        tenant_id=everything.tenant_id,
    )


def _tenant(tenant_id: str | None) -> str | None:
    return None if tenant_id is None else parse_tenant_id(tenant_id)


def _run(
    archive: SessionArchive, deletion: Deletion, *, dry_run: bool, batch_size: int
) -> DeletionCounts:
    if dry_run:
        return archive.count_deletable(deletion)
    total = DeletionCounts()
    while True:
        batch = archive.delete_batch(deletion, limit=batch_size)
        if not batch.sessions:
            return total
        total = DeletionCounts(
            **{f.name: getattr(total, f.name) + getattr(batch, f.name) for f in fields(total)}
        )

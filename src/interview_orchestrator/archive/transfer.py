"""Export sessions to JSON Lines and import them back, exactly.

Export streams: pages of sessions in ``(created_at, id)`` order, one line written per session
as it is read, so memory stays flat however many there are. Import reads the file twice: the
first pass validates every record and writes nothing, the second writes each session in a
transaction of its own. A session already stored is never overwritten: identical content is
"already present", anything else a conflict. A session keeps its tenant unless the import
maps it to another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Protocol

from ..errors import DataStoreError, InvalidInputError, SessionNotFoundError
from ..models import (
    DEFAULT_TENANT,
    Session,
    SessionStatus,
    parse_session_id,
    parse_status,
    parse_tenant_id,
    parse_user_id,
)
from ..ports import ArchivedSession, ImportOutcome, SessionArchive, SessionFilter
from .record import UnexportableSessionError, decode, encode

DEFAULT_PAGE_SIZE: Final = 100
#: How many invalid lines an import error lists before it only counts them.
_LISTED_PROBLEMS: Final = 5
_BOM: Final = b"\xef\xbb\xbf"


class BinaryOutput(Protocol):
    def write(self, data: bytes, /) -> object: ...


# ---------------------------------------------------------------------- export


def export_sessions(
    archive: SessionArchive,
    selection: SessionFilter,
    out: BinaryOutput,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: Callable[[int], None] | None = None,
    skipped: Callable[[UnexportableSessionError], None] | None = None,
) -> int:
    """Write the selected sessions to ``out`` as JSON Lines, oldest first; the number written.

    ``progress`` is called with the running count after each session. A ``session_id`` that
    names no session raises ``SessionNotFoundError`` (nothing is written).

    A session whose stored data no record can hold (``UnexportableSessionError``, naming it
    and why) is handed to ``skipped`` and left out, and the export goes on; without
    ``skipped`` the export stops there. A session the database cannot read at all stops the
    export with a ``DataStoreError`` saying which and how far it got: the store reads a page
    at a time and cannot step over a row it cannot decode.
    """
    selection = checked_filter(selection)
    written = seen = 0
    after = None
    while True:
        try:
            page = archive.read_page(selection, after=after, limit=page_size)
        except DataStoreError as exc:
            raise DataStoreError(f"export stopped after {seen} session(s): {exc}") from exc
        for archived in page:
            seen += 1
            try:
                line = encode(archived)
            except UnexportableSessionError as exc:
                if skipped is None:
                    raise
                skipped(exc)
            else:
                out.write(line)
                written += 1
            if progress is not None:
                progress(seen)
        if len(page) < page_size:
            break
        after = (page[-1].session.created_at, page[-1].session.id)
    if selection.session_id is not None and not seen:
        raise SessionNotFoundError(selection.session_id)
    return written


def checked_filter(selection: SessionFilter) -> SessionFilter:
    """``selection`` with its ids in canonical form, or ``InvalidInputError``. A session id
    may be combined with a tenant only (another tenant's session is then not found)."""
    tenant_id = None if selection.tenant_id is None else parse_tenant_id(selection.tenant_id)
    if selection.session_id is not None:
        if any(
            value is not None
            for value in (selection.user_id, selection.status, selection.since, selection.until)
        ):
            raise InvalidInputError("a session id cannot be combined with other criteria")
        return SessionFilter(session_id=parse_session_id(selection.session_id), tenant_id=tenant_id)
    for name, value in (("since", selection.since), ("until", selection.until)):
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise InvalidInputError(f"{name} must be a timezone-aware datetime, got {value!r}")
    if selection.since and selection.until and selection.since >= selection.until:
        raise InvalidInputError(
            f"since ({selection.since.isoformat()}) must be before until "
            f"({selection.until.isoformat()})"
        )
    return replace(
        selection,
        tenant_id=tenant_id,
        user_id=None if selection.user_id is None else parse_user_id(selection.user_id),
        status=None if selection.status is None else parse_status(selection.status),
    )


# ---------------------------------------------------------------------- import


class ImportStatus(StrEnum):
    IMPORTED = "imported"
    ALREADY_PRESENT = "already_present"
    CONFLICT = "conflict"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ImportEntry:
    """What happened to the session on one line of the file (after user and tenant
    mapping)."""

    line: int
    session_id: str
    user_id: str
    status: ImportStatus
    reason: str | None = None
    tenant_id: str = DEFAULT_TENANT


@dataclass(frozen=True)
class ImportReport:
    """Per line, what was imported and what was skipped and why. In a dry run, what would be."""

    dry_run: bool
    entries: tuple[ImportEntry, ...]

    def count(self, status: ImportStatus) -> int:
        return sum(1 for entry in self.entries if entry.status is status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "counts": {status.value: self.count(status) for status in ImportStatus},
            "sessions": [
                {
                    "line": e.line,
                    "session_id": e.session_id,
                    "tenant_id": e.tenant_id,
                    "user_id": e.user_id,
                    "status": e.status.value,
                    "reason": e.reason,
                }
                for e in self.entries
            ],
        }


class JsonLinesFile:
    """The lines of a file, re-read on each iteration (an import reads its file twice rather
    than hold it in memory; a pipe, which cannot be read twice, is kept in memory). A file
    that cannot be read is an ``InvalidInputError``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._kept: list[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        if self._kept is not None:
            yield from self._kept
            return
        try:
            regular = self.path.is_file()
            with self.path.open("rb") as lines:
                if not regular:
                    self._kept = lines.readlines()
                yield from self._kept if self._kept is not None else lines
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InvalidInputError(f"cannot read {str(self.path)!r}: {reason}") from None


def import_sessions(
    archive: SessionArchive,
    lines: Iterable[bytes],
    *,
    user_map: Mapping[str, str] | None = None,
    tenant_map: Mapping[str, str] | None = None,
    into_tenant: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import an export (JSON Lines, as bytes), each session in one transaction.

    Every record is validated before any is written: a malformed one raises
    ``InvalidInputError`` naming its line and the problem, and nothing is written. ``lines``
    is iterated twice (a one-shot iterator is first read into memory). ``user_map`` rewrites
    owners, and the ``user_id`` of a résumé that names the old owner. A session keeps its
    tenant (a version 1 record's is ``default``) unless ``tenant_map`` renames that tenant or
    ``into_tenant`` puts every session in one (not both). With ``dry_run`` nothing is written
    and the report says what would happen.
    """
    source = list(lines) if isinstance(lines, Iterator) else lines
    mapping = _Mapping.checked(user_map or {}, tenant_map or {}, into_tenant)
    validated = _validate_all(source, mapping)
    importer = _Importer(archive, dry_run=dry_run)
    for number, line in _numbered(source):
        try:
            archived = mapping.apply(decode(line))
        except InvalidInputError as exc:
            raise _changed(f"line {number} is no longer valid ({exc})", importer) from None
        importer.add(number, archived)
    if len(importer.entries) != validated:
        raise _changed(f"{validated} records were validated", importer)
    return ImportReport(dry_run=dry_run, entries=tuple(importer.entries))


def _changed(what: str, importer: _Importer) -> InvalidInputError:
    return InvalidInputError(
        f"the file changed while it was being imported: {what}, then "
        f"{len(importer.entries)} read and {importer.imported} imported"
    )


def _numbered(lines: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with their 1-based numbers, a UTF-8 byte order mark dropped."""
    for number, raw in enumerate(lines, start=1):
        line = raw.removeprefix(_BOM) if number == 1 else raw
        if line.strip():
            yield number, line


def _validate_all(lines: Iterable[bytes], mapping: _Mapping) -> int:
    """The number of records, all valid; otherwise ``InvalidInputError`` listing the first
    invalid lines."""
    problems: list[str] = []
    invalid = records = 0
    for number, line in _numbered(lines):
        records += 1
        try:
            mapping.apply(decode(line))
        except InvalidInputError as exc:
            invalid += 1
            if len(problems) < _LISTED_PROBLEMS:
                problems.append(f"line {number}: {exc}")
    if invalid:
        more = invalid - len(problems)
        listed = "; ".join(problems) + (f"; and {more} more invalid line(s)" if more else "")
        raise InvalidInputError(f"invalid import file, nothing was imported: {listed}")
    return records


@dataclass(frozen=True)
class _Mapping:
    """Who owns an imported session, and in which tenant."""

    users: Mapping[str, str]
    tenants: Mapping[str, str]
    into_tenant: str | None

    @classmethod
    def checked(
        cls, users: Mapping[str, str], tenants: Mapping[str, str], into_tenant: str | None
    ) -> _Mapping:
        try:
            checked_users = {parse_user_id(old): parse_user_id(new) for old, new in users.items()}
        except InvalidInputError as exc:
            raise InvalidInputError(f"user mapping: {exc}") from None
        try:
            checked_tenants = {
                parse_tenant_id(old): parse_tenant_id(new) for old, new in tenants.items()
            }
            into = None if into_tenant is None else parse_tenant_id(into_tenant)
        except InvalidInputError as exc:
            raise InvalidInputError(f"tenant mapping: {exc}") from None
        if checked_tenants and into is not None:
            raise InvalidInputError(
                "tenant mapping: map tenants or name the one to import into, not both"
            )
        return cls(checked_users, checked_tenants, into)

    def apply(self, archived: ArchivedSession) -> ArchivedSession:
        """``archived`` with its owner and tenant mapped (its events follow its tenant)."""
        session = archived.session
        config = session.config
        resume = config.resume_data
        if resume is not None and isinstance(resume.get("user_id"), str):
            old = _canonical_user(resume["user_id"])
            if old is not None and old in self.users:
                config = replace(config, resume_data={**resume, "user_id": self.users[old]})
        owner = self.users.get(session.user_id, session.user_id)
        tenant = self.into_tenant or self.tenants.get(session.tenant_id, session.tenant_id)
        if (owner, tenant) == (session.user_id, session.tenant_id) and config is session.config:
            return archived
        return replace(
            archived,
            session=replace(session, user_id=owner, tenant_id=tenant, config=config),
            events=tuple(replace(event, tenant_id=tenant) for event in archived.events),
        )


def _canonical_user(value: str) -> str | None:
    """A résumé's ``user_id`` as the mapping's keys are spelled (None: not a valid user id)."""
    try:
        return parse_user_id(value)
    except InvalidInputError:
        return None


class _Importer:
    """Imports sessions one by one, remembering what this file has already brought in, so
    that a dry run reports what a real run would: a session id seen twice, or a second ACTIVE
    session of one user in one tenant, is judged against the earlier line even though nothing
    was written."""

    def __init__(self, archive: SessionArchive, *, dry_run: bool) -> None:
        self._archive = archive
        self._dry_run = dry_run
        self._taken: dict[str, tuple[int, bytes]] = {}  # session id -> (line, digest)
        self._active: dict[tuple[str, str], str] = {}  # (tenant, user) -> ACTIVE session id
        self.entries: list[ImportEntry] = []
        self.imported = 0

    def add(self, line: int, archived: ArchivedSession) -> None:
        session = archived.session
        digest = hashlib.sha256(encode(archived)).digest()
        earlier = self._taken.get(session.id)
        if earlier is not None:
            same = earlier[1] == digest
            self._note(
                line,
                session,
                ImportStatus.ALREADY_PRESENT if same else ImportStatus.CONFLICT,
                f"{'same session as' if same else 'differs from'} line {earlier[0]}"
                + ("" if same else "; not imported"),
            )
            return
        owner = (session.tenant_id, session.user_id)
        other = self._active.get(owner)
        if session.status is SessionStatus.ACTIVE and other is not None:
            self._note(line, session, ImportStatus.SKIPPED, _active_elsewhere(session, other))
            return
        result = self._archive.import_session(archived, dry_run=self._dry_run)
        if result.outcome is ImportOutcome.IMPORTED:
            self._taken[session.id] = (line, digest)
            if session.status is SessionStatus.ACTIVE:
                self._active[owner] = session.id
            self.imported += 1
            self._note(line, session, ImportStatus.IMPORTED)
        elif result.outcome is ImportOutcome.EXISTS:
            assert result.stored is not None
            differences = _differences(result.stored, archived)
            if differences:
                self._note(
                    line,
                    session,
                    ImportStatus.CONFLICT,
                    "a different session with this id is stored (differs in "
                    f"{', '.join(differences)}); not overwritten",
                )
            else:
                self._note(line, session, ImportStatus.ALREADY_PRESENT)
        else:
            other = result.active_session_id or "?"
            self._note(line, session, ImportStatus.SKIPPED, _active_elsewhere(session, other))

    def _note(
        self, line: int, session: Session, status: ImportStatus, reason: str | None = None
    ) -> None:
        self.entries.append(
            ImportEntry(line, session.id, session.user_id, status, reason, session.tenant_id)
        )


def _active_elsewhere(session: Session, other: str) -> str:
    return (
        f"session is active and user {session.user_id!r} already has another active session "
        f"{other} in tenant {session.tenant_id!r}"
    )


#: Not exported (a turn in progress belongs to a process of the source database), so never a
#: difference.
_NOT_EXPORTED: Final = frozenset({"turn_seq", "turn_expires_at"})


def _differences(stored: ArchivedSession, incoming: ArchivedSession) -> list[str]:
    """The session fields and attached parts in which two versions of a session differ."""
    names = [
        f.name
        for f in fields(Session)
        if f.name not in _NOT_EXPORTED
        and getattr(stored.session, f.name) != getattr(incoming.session, f.name)
    ]
    names += [
        part
        for part in ("messages", "transitions", "evaluation", "notes", "events")
        if getattr(stored, part) != getattr(incoming, part)
    ]
    return names

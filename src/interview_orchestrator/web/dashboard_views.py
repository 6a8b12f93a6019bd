"""What the dashboard's pages show, read through a tenant's ``SessionManager`` and put in the
words and numbers a page prints: the filters of the sessions list (checked, with what is wrong
said in words), its keyset pages, its rows, a session's details, transcript and evaluation.

The library filters by status, user, creation time and a lowest score; a highest score it does
not, so that filter is applied here, over a bounded number of sessions per page (the next page
goes on from the last session looked at)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import urlencode

from ..errors import InvalidInputError
from ..models import (
    EvaluationReport,
    EvaluationStatus,
    Message,
    Role,
    Session,
    SessionStatus,
    parse_user_id,
)
from ..session_manager import SessionManager

PAGE_SIZE: Final = 25
#: Sessions read at once, and at most per page, when a filter is applied here.
_SCAN_BATCH: Final = 200
_SCAN_LIMIT: Final = 2000
#: The live refresh reads this many sessions or fewer one by one, more with the page's query.
_READ_ONE_BY_ONE: Final = 3
FILTER_NAMES: Final = ("status", "user_id", "created_from", "created_to", "score_min", "score_max")
#: Evaluations that a retry may produce (a finished one is kept as it is).
RETRIABLE_EVALUATIONS: Final = frozenset({EvaluationStatus.FAILED, EvaluationStatus.PENDING})
NONE: Final = "—"


def when(moment: datetime | None) -> str:
    """A time as the dashboard prints it: UTC, to the minute."""
    return NONE if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def score_text(score: float | None) -> str:
    return NONE if score is None else f"{score:.1f}"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return NONE
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def label(name: str) -> str:
    """``"scalability_reliability"`` → ``"Scalability reliability"``."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


# --------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class Filters:
    """The sessions list's filters as given (``values``, to fill the form again), as the
    library takes them, and what is wrong with them."""

    values: Mapping[str, str]
    status: SessionStatus | None = None
    user_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    score_min: float | None = None
    score_max: float | None = None
    errors: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return any(self.values.values())

    def keeps(self, session: Session) -> bool:
        """What the library cannot filter: the highest score."""
        if self.score_max is None:
            return True
        return session.overall_score is not None and session.overall_score <= self.score_max

    def url(self, after: str | None = None) -> str:
        """The list's address with these filters (and a page's cursor)."""
        pairs = [(name, value) for name, value in self.values.items() if value]
        if after:
            pairs.append(("after", after))
        return "/?" + urlencode(pairs) if pairs else "/"


def parse_filters(query: Mapping[str, str]) -> Filters:
    values = {name: query.get(name, "").strip()[:200] for name in FILTER_NAMES}
    errors: list[str] = []
    found: dict[str, Any] = {}
    if values["status"]:
        try:
            found["status"] = SessionStatus(values["status"])
        except ValueError:
            errors.append("Status: choose one of the listed statuses.")
    if values["user_id"]:
        try:
            found["user_id"] = parse_user_id(values["user_id"])
        except InvalidInputError as exc:
            errors.append(f"Candidate: {exc}.")
    found.update(_created_window(values, errors))
    found.update(_score_range(values, errors))
    return Filters(values=values, errors=tuple(errors), **found)


def _created_window(values: Mapping[str, str], errors: list[str]) -> dict[str, datetime]:
    """``since`` and ``until`` of the "created from/to" days (UTC, the last day included)."""
    days: dict[str, date] = {}
    for name, words in (("created_from", "Created from"), ("created_to", "Created to")):
        if values[name]:
            try:
                days[name] = date.fromisoformat(values[name])
            except ValueError:
                errors.append(f"{words}: give a date as YYYY-MM-DD.")
    window: dict[str, datetime] = {}
    if "created_from" in days:
        window["since"] = datetime.combine(days["created_from"], time.min, UTC)
    if "created_to" in days:
        window["until"] = datetime.combine(days["created_to"] + timedelta(days=1), time.min, UTC)
    if "since" in window and "until" in window and window["since"] >= window["until"]:
        errors.append("Created to must not be before Created from.")
    return window


def _score_range(values: Mapping[str, str], errors: list[str]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for name, words in (("score_min", "Lowest score"), ("score_max", "Highest score")):
        if values[name]:
            try:
                number = float(values[name])
            except ValueError:
                number = -1.0
            if not 0 <= number <= 100:
                errors.append(f"{words}: give a number from 0 to 100.")
            else:
                scores[name] = number
    if scores.get("score_min", 0) > scores.get("score_max", 100):
        errors.append("Lowest score must not be above Highest score.")
    return scores


def sessions_page(
    manager: SessionManager, filters: Filters, after: str | None, size: int = PAGE_SIZE
) -> tuple[list[Session], str | None]:
    """One page of the tenant's sessions, newest first, after the session ``after``; and the
    cursor of the next page (None: this is the last)."""
    batch_size = size + 1 if filters.score_max is None else _SCAN_BATCH
    found: list[Session] = []
    cursor = after
    scanned = 0
    while True:
        batch = manager.list_sessions(
            user_id=filters.user_id,
            status=filters.status,
            since=filters.since,
            until=filters.until,
            min_score=filters.score_min,
            limit=batch_size,
            after=cursor,
        )
        scanned += len(batch)
        for session in batch:
            if filters.keeps(session):
                found.append(session)
                if len(found) > size:
                    return found[:size], found[size - 1].id
        if len(batch) < batch_size:
            return found, None
        cursor = batch[-1].id
        if scanned >= _SCAN_LIMIT:
            return found, cursor


@dataclass(frozen=True)
class SessionRow:
    """A session as the list shows it (and as the live refresh sends it)."""

    id: str
    user_id: str
    status: str
    template: str
    created: str
    created_iso: str | None
    started: str
    started_iso: str | None
    messages: int
    score: str

    @property
    def short_id(self) -> str:
        return self.id[:8]

    @classmethod
    def of(cls, session: Session) -> SessionRow:
        return cls(
            id=session.id,
            user_id=session.user_id,
            status=session.status.value,
            template=session.config.template,
            created=when(session.created_at),
            created_iso=iso(session.created_at),
            started=when(session.started_at),
            started_iso=iso(session.started_at),
            messages=session.message_count,
            score=score_text(session.overall_score),
        )

    def live(self) -> dict[str, Any]:
        """What may change while the page is open."""
        return {
            "id": self.id,
            "status": self.status,
            "started": self.started,
            "messages": self.messages,
            "score": self.score,
        }


def current_sessions(
    manager: SessionManager, ids: list[str], filters: Filters, after: str | None
) -> list[SessionRow]:
    """The sessions of ``ids`` that the tenant has, as they are now (others are left out, as
    if they did not exist). A list page's rows are read again with its own query (one read,
    not one per row); those it no longer holds (changed out of its filters), one by one."""
    fresh: dict[str, Session] = {}
    if len(ids) > _READ_ONE_BY_ONE and not filters.errors:
        fresh = {session.id: session for session in sessions_page(manager, filters, after)[0]}
    rows = []
    for sid in ids:
        try:
            session = fresh.get(sid) or manager.get_session(sid)
        except (InvalidInputError, LookupError):
            continue
        rows.append(SessionRow.of(session))
    return rows


# --------------------------------------------------------------------------- one session


@dataclass(frozen=True)
class DimensionView:
    name: str
    score: str
    #: The score, 1-5 (None: insufficient evidence), for the meter beside the words.
    value: int | None
    evidence: tuple[int, ...]
    rationale: str


@dataclass(frozen=True)
class EvaluationView:
    status: str
    overall: str
    coverage: str
    summary: str
    strengths: tuple[str, ...]
    improvements: tuple[str, ...]
    dimensions: tuple[DimensionView, ...]
    error: str | None
    retriable: bool
    updated: str

    @classmethod
    def of(cls, report: EvaluationReport) -> EvaluationView:
        return cls(
            status=report.status.value,
            overall=score_text(report.overall_score),
            coverage=NONE if report.coverage is None else f"{report.coverage:.0%}",
            summary=report.summary,
            strengths=report.strengths,
            improvements=report.improvements,
            dimensions=tuple(
                DimensionView(
                    name=label(score.dimension or key),
                    score="insufficient evidence" if score.score is None else f"{score.score}/5",
                    value=score.score,
                    evidence=score.evidence,
                    rationale=score.rationale,
                )
                for key, score in report.dimension_scores.items()
            ),
            error=report.error,
            retriable=report.status in RETRIABLE_EVALUATIONS,
            updated=when(report.updated_at or report.completed_at or report.created_at),
        )


@dataclass(frozen=True)
class MessageView:
    seq: int
    speaker: str
    role: str
    mode: str
    at: str
    at_iso: str | None
    content: str
    late: bool

    @classmethod
    def of(cls, message: Message) -> MessageView:
        return cls(
            seq=message.seq,
            speaker="Candidate" if message.role is Role.CANDIDATE else label(message.role.value),
            role=message.role.value,
            mode=message.mode.value,
            at=when(message.created_at),
            at_iso=iso(message.created_at),
            content=message.content,
            late=message.late,
        )


@dataclass(frozen=True)
class SessionView:
    """Everything the session's page shows that the key may read."""

    session: Session
    row: SessionRow
    details: tuple[tuple[str, str], ...]
    transcript: tuple[MessageView, ...] | None
    evaluation: EvaluationView | None
    #: The sequence numbers the transcript holds (evidence links only to those).
    seqs: frozenset[int] = field(default_factory=frozenset)

    @property
    def can_pause(self) -> bool:
        return self.session.status is SessionStatus.ACTIVE

    @property
    def can_resume(self) -> bool:
        return self.session.status is SessionStatus.PAUSED

    @property
    def can_end(self) -> bool:
        return self.session.status in (SessionStatus.ACTIVE, SessionStatus.PAUSED)

    @property
    def can_retry_evaluation(self) -> bool:
        return self.session.status is SessionStatus.COMPLETED and (
            self.evaluation is None or self.evaluation.retriable
        )


def session_view(
    manager: SessionManager, session_id: str, *, transcript: bool, evaluation: bool
) -> SessionView:
    """A session of the manager's tenant (another's: ``SessionNotFoundError``), with its
    transcript and evaluation if the key may read them."""
    session = manager.get_session(session_id)
    messages = (
        tuple(MessageView.of(m) for m in manager.get_transcript(session.id)) if transcript else None
    )
    report = manager.get_evaluation(session.id) if evaluation else None
    return SessionView(
        session=session,
        row=SessionRow.of(session),
        details=_details(session),
        transcript=messages,
        evaluation=None if report is None else EvaluationView.of(report),
        seqs=frozenset(m.seq for m in messages or ()),
    )


def _details(session: Session) -> tuple[tuple[str, str], ...]:
    config = session.config
    return (
        ("Session", session.id),
        ("Candidate", session.user_id),
        ("Template", config.template),
        ("Channels", ", ".join(mode.value for mode in config.enabled_modes)),
        ("Interviewer", config.ai_provider + (f" ({config.ai_model})" if config.ai_model else "")),
        ("Duration", f"{config.duration_minutes} min"),
        ("Created", when(session.created_at)),
        ("Started", when(session.started_at)),
        ("Ended", when(session.ended_at)),
        ("End reason", label(session.end_reason.value) if session.end_reason else NONE),
        ("Active time", duration_text(session.active_seconds)),
        ("Phase", label(session.phase) if session.phase else NONE),
        ("Turns", str(session.turn_count)),
    )


#: What an action's result says, by the ``done`` the action redirects with (nothing from the
#: address is printed as such).
DONE_MESSAGES: Final[Mapping[str, str]] = {
    "paused": "The session is paused.",
    "resumed": "The session is active again.",
    "ended": "The session has ended; its evaluation is being generated.",
    "evaluated": "The evaluation was generated again.",
}

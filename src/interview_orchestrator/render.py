"""Rich renderings of sessions, transcripts and evaluations for the command line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .access import ApiKey
from .interview_template import InterviewTemplate
from .models import EvaluationReport, Message, Role, Session, SessionStats

_ROLE_STYLE = {Role.INTERVIEWER: "bold cyan", Role.CANDIDATE: "bold green", Role.SYSTEM: "dim"}


def transcript(messages: Iterable[Message]) -> RenderableType:
    rows = Table.grid(padding=(0, 1))
    rows.add_column(justify="right", style="dim")
    rows.add_column(no_wrap=True)
    rows.add_column(ratio=1)
    for m in messages:
        who = Text(m.role.value, style=_ROLE_STYLE[m.role])
        if m.mode.value != "text":
            who.append(f" [{m.mode.value}]", style="dim")
        if m.late:
            who.append(" (late)", style="yellow")
        rows.add_row(f"#{m.seq}", who, m.content)
    return rows


def score_bar(score: int | None, width: int = 5) -> Text:
    if score is None:
        return Text("insufficient evidence", style="dim italic")
    return Text(
        "█" * score + "░" * (width - score) + f" {score}/5",
        style="green" if score >= 4 else "yellow" if score == 3 else "red",
    )


def evaluation(
    report: EvaluationReport, template: InterviewTemplate | None = None
) -> RenderableType:
    titles = {d.id: d.title for d in template.rubric.dimensions} if template else {}
    overall = (
        f"{report.overall_score:.1f} / 100" if report.overall_score is not None else "not scored"
    )
    header = Text.assemble(
        ("Overall: ", "bold"),
        (overall, "bold magenta"),
        ("   coverage: ", "dim"),
        (f"{report.coverage:.0%}" if report.coverage is not None else "n/a", "dim"),
        ("   status: ", "dim"),
        (report.status.value, "dim"),
    )
    # Two columns, so that the bars line up; the second wraps (evidence, rationale) within
    # the width, so that nothing is cut to "…" on a narrow terminal.
    table = Table.grid(padding=(0, 2))
    table.add_column(max_width=28)
    table.add_column(ratio=1)
    for dim_id, dim in report.dimension_scores.items():
        evidence = ", ".join(f"#{s}" for s in dim.evidence) or "-"
        scored = Text.assemble(score_bar(dim.score), "  ", (f"evidence: {evidence}", "dim"))
        lines: list[RenderableType] = [scored]
        if dim.rationale:
            lines.append(Text(dim.rationale, style="dim italic"))
        table.add_row(Text(titles.get(dim_id, dim_id), style="bold"), Group(*lines))
    parts: list[RenderableType] = [header, table]
    if report.strengths:
        parts.append(Text("Strengths", style="bold green"))
        parts.append(_bullets("+", report.strengths))
    if report.improvements:
        parts.append(Text("Improvements", style="bold yellow"))
        parts.append(_bullets("-", report.improvements))
    if report.summary:
        parts.append(Text(report.summary, style="italic"))
    if report.error:
        parts.append(Text(f"Error: {report.error}", style="red"))
    parts.append(
        Text(
            f"provider: {report.provider or '-'}   model: {report.model or '-'}   "
            f"rubric: {report.rubric_version or '-'}",
            style="dim",
        )
    )
    return Panel(Group(*parts), title=f"Evaluation of {report.session_id}", border_style="magenta")


def _bullets(mark: str, items: Iterable[str]) -> Table:
    """Items under their mark, each wrapped with a hanging indent."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for item in items:
        grid.add_row(f"  {mark}", item)
    return grid


def session_summary(session: Session, now: datetime | None = None) -> RenderableType:
    """One session's details; ``now`` counts an ACTIVE session's running stretch in its
    active time."""
    active = active_seconds(session, now)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in (
        ("id", session.id),
        ("tenant", session.tenant_id),
        ("user", session.user_id),
        ("status", session.status.value),
        ("template", session.config.template),
        ("provider", session.config.ai_provider),
        ("modes", ", ".join(m.value for m in session.config.enabled_modes)),
        ("created", session.created_at.isoformat(timespec="seconds")),
        (
            "started",
            session.started_at.isoformat(timespec="seconds") if session.started_at else "-",
        ),
        ("ended", session.ended_at.isoformat(timespec="seconds") if session.ended_at else "-"),
        ("end reason", session.end_reason.value if session.end_reason else "-"),
        ("active time", f"{duration_text(active)} of {session.config.duration_minutes} min"),
        ("messages", str(session.message_count)),
        ("score", f"{session.overall_score:.1f}" if session.overall_score is not None else "-"),
    ):
        table.add_row(label, value)
    return table


# --------------------------------------------------------------------------- plain data


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def duration_text(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def active_seconds(session: Session, now: datetime | None) -> float:
    """The session's active time up to ``now`` (an ACTIVE session's clock is running), or
    the banked time without ``now``."""
    return session.active_seconds if now is None else session.active_seconds_at(now)


def short_ids(ids: Iterable[str], minimum: int = 8) -> dict[str, str]:
    """Each id cut to one length, the shortest that tells the ids apart (at least
    ``minimum``), as git abbreviates commits; never cut just after a hyphen."""
    ordered = sorted(set(ids))
    length = minimum
    for before, after in pairwise(ordered):
        pairs = enumerate(zip(before, after, strict=False))
        common = next((i for i, (a, b) in pairs if a != b), min(len(before), len(after)))
        length = max(length, common + 1)
    cut = {i: i[:length] for i in ordered}
    return {i: short if not short.endswith("-") else i[: length + 1] for i, short in cut.items()}


#: The fields of a session in a CSV listing: the JSON names.
SESSION_FIELDS = (
    "id",
    "tenant_id",
    "user_id",
    "status",
    "created_at",
    "active_seconds",
    "message_count",
    "overall_score",
)
#: The fields of a message in a CSV transcript: the JSON names.
MESSAGE_FIELDS = ("seq", "role", "mode", "content", "created_at", "late", "session_id")


def session_dict(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """A session for display and scripts: the configuration without résumé contents;
    ``now`` counts an ACTIVE session's running stretch in ``active_seconds``."""
    return {
        "id": session.id,
        "tenant_id": session.tenant_id,
        "user_id": session.user_id,
        "status": session.status.value,
        "config": session.config.to_dict(include_resume=False),
        "has_resume": session.config.resume_data is not None,
        "created_at": _iso(session.created_at),
        "started_at": _iso(session.started_at),
        "ended_at": _iso(session.ended_at),
        "end_reason": session.end_reason.value if session.end_reason else None,
        "last_activity_at": _iso(session.last_activity_at),
        "active_seconds": round(active_seconds(session, now), 3),
        "message_count": session.message_count,
        "overall_score": session.overall_score,
    }


def message_dict(message: Message) -> dict[str, Any]:
    return {
        "seq": message.seq,
        "role": message.role.value,
        "mode": message.mode.value,
        "content": message.content,
        "created_at": _iso(message.created_at),
        "late": message.late,
        "session_id": message.session_id,
    }


def evaluation_dict(report: EvaluationReport) -> dict[str, Any]:
    return {
        "session_id": report.session_id,
        "status": report.status.value,
        "overall_score": report.overall_score,
        "coverage": report.coverage,
        "dimension_scores": {
            dim_id: {"score": d.score, "evidence": list(d.evidence), "rationale": d.rationale}
            for dim_id, d in report.dimension_scores.items()
        },
        "strengths": list(report.strengths),
        "improvements": list(report.improvements),
        "summary": report.summary,
        "provider": report.provider,
        "model": report.model,
        "template": report.template,
        "rubric_version": report.rubric_version,
        "error": report.error,
        "attempts": report.attempts,
        "created_at": _iso(report.created_at),
        "completed_at": _iso(report.completed_at),
        "provenance": dict(report.provenance),
    }


def sessions_table(
    sessions: Sequence[Session], *, show_tenant: bool = False, now: datetime | None = None
) -> Table:
    """The listing: ids cut short (``short_ids``; a command takes such a prefix), the
    active time up to ``now``."""
    short = short_ids(s.id for s in sessions)
    # No rules between the columns and short headings: seven columns fit in 80 columns; a
    # long user id or tenant folds onto a second line rather than being cut to "…".
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    tenant = ("tenant",) if show_tenant else ()
    for column in ("id", *tenant, "user", "status", "created", "active", "msgs", "score"):
        folds = column in ("tenant", "user")
        table.add_column(
            column,
            no_wrap=not folds,
            overflow="fold" if folds else "ellipsis",
            min_width={"tenant": 8, "user": 10}.get(column),
        )
    for s in sessions:
        table.add_row(
            short[s.id],
            *((s.tenant_id,) if show_tenant else ()),
            s.user_id,
            s.status.value,
            s.created_at.strftime("%Y-%m-%d %H:%M"),
            duration_text(active_seconds(s, now)),
            str(s.message_count),
            f"{s.overall_score:.1f}" if s.overall_score is not None else "-",
        )
    return table


def keys_table(keys: Sequence[ApiKey], *, show_tenant: bool = False) -> Table:
    """API keys in 80 columns: ids cut short (``short_ids``), the tenant under the role
    (when asked for), dates in UTC (the last use to the minute); a long name folds rather
    than being cut."""
    short = short_ids(key.id for key in keys)
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        caption="dates in UTC",
    )
    role = "role, tenant" if show_tenant else "role"
    for column in ("id", "name", role, "hint", "created", "last used", "revoked"):
        table.add_column(
            column,
            no_wrap=column in ("id", "hint", "created", "revoked"),
            overflow="fold",
            min_width={"name": 8}.get(column),
        )
    for key in keys:
        acts = Text(key.role.value)
        if show_tenant:
            acts.append(f"\n{key.tenant_id}", style="dim")
        table.add_row(
            short[key.id],
            key.name,
            acts,
            f"{key.hint}…",
            _utc(key.created_at, "%Y-%m-%d"),
            _utc(key.last_used_at, "%Y-%m-%d %H:%M"),
            _utc(key.revoked_at, "%Y-%m-%d"),
        )
    return table


def _utc(moment: datetime | None, layout: str) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime(layout)


def stats_view(stats: SessionStats, *, tenant_id: str | None = None) -> RenderableType:
    """The figures; ``tenant_id`` names the tenant they were limited to (None: all)."""
    scope = Text.assemble(("tenant: ", "bold"), tenant_id or "all tenants")
    counts = Table(show_edge=False, title="Sessions by status")
    counts.add_column("status")
    counts.add_column("count", justify="right")
    for status, count in stats.by_status.items():
        counts.add_row(status.value, str(count))
    days = Table(show_edge=False, title=f"Sessions per day since {stats.since:%Y-%m-%d}")
    days.add_column("day")
    days.add_column("count", justify="right")
    for day, count in stats.per_day:
        days.add_row(day, str(count))
    lines = [
        Text.assemble(
            ("average active duration: ", "bold"),
            (
                duration_text(stats.average_active_seconds)
                if stats.average_active_seconds is not None
                else "-"
            ),
        ),
        Text.assemble(
            ("average overall score: ", "bold"),
            (
                f"{stats.average_score:.1f} over {stats.scored_sessions} scored sessions"
                if stats.average_score is not None
                else "-"
            ),
        ),
        Text.assemble(
            ("evaluations: ", "bold"),
            ", ".join(f"{s.value} {n}" for s, n in stats.evaluations_by_status.items()),
        ),
        Text("score distribution", style="bold"),
        histogram(stats.score_histogram),
    ]
    return Group(scope, counts, days, *lines)


def histogram(buckets: tuple[int, ...], width: int = 40) -> Text:
    """A text histogram of overall scores in buckets of ten points."""
    peak = max(buckets, default=0) or 1
    text = Text()
    for i, count in enumerate(buckets):
        low, high = 10 * i, 10 * i + 9 if i < 9 else 100
        bar = "█" * round(width * count / peak)
        text.append(f"{low:>3}-{high:<3} ", style="dim")
        text.append(bar, style="magenta")
        text.append(f" {count}\n")
    return text

"""Rich renderings of sessions, transcripts and evaluations for the command line."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .interview_template import InterviewTemplate
from .models import EvaluationReport, Message, Role, Session

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
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column()
    for dim_id, dim in report.dimension_scores.items():
        evidence = ", ".join(f"#{s}" for s in dim.evidence) or "-"
        table.add_row(
            Text(titles.get(dim_id, dim_id), style="bold"),
            score_bar(dim.score),
            Text(f"evidence: {evidence}", style="dim"),
        )
        if dim.rationale:
            table.add_row("", Text(dim.rationale, style="dim italic"), "")
    parts: list[RenderableType] = [header, table]
    if report.strengths:
        parts.append(Text("Strengths", style="bold green"))
        parts.extend(Text(f"  + {s}") for s in report.strengths)
    if report.improvements:
        parts.append(Text("Improvements", style="bold yellow"))
        parts.extend(Text(f"  - {s}") for s in report.improvements)
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


def session_summary(session: Session) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for label, value in (
        ("id", session.id),
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
        ("active time", f"{session.active_seconds:.0f} s of {session.config.duration_minutes} min"),
        ("messages", str(session.message_count)),
        ("score", f"{session.overall_score:.1f}" if session.overall_score is not None else "-"),
    ):
        table.add_row(label, value)
    return table

"""``sessions``: list, inspect, and move sessions through their lifecycle."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from .. import render
from ..errors import InterviewPlatformError
from ..models import DEFAULT_TENANT
from ..session_manager import SessionManager
from .app import container_of, sessions_app
from .options import (
    ListFormat,
    ReportFormat,
    SinceFilter,
    StatusFilter,
    TenantFilter,
    UntilFilter,
    UserIdFilter,
)

#: Piped output is not cut to 80 columns: a table stays whole in a file.
console = Console(width=None if sys.stdout.isatty() else 200)

SessionId = Annotated[str, typer.Argument(help="The session's id (a UUID).")]
FormatOption = Annotated[ListFormat, typer.Option("--format", help="Output format.")]


def _manager(ctx: typer.Context) -> SessionManager:
    manager: SessionManager = container_of(ctx).session_manager()
    return manager


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@sessions_app.command("list")
def list_sessions(
    ctx: typer.Context,
    tenant: TenantFilter = None,
    user_id: UserIdFilter = None,
    status: StatusFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    min_score: Annotated[
        float | None, typer.Option("--min-score", min=0, max=100, help="Overall score at least.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    after: Annotated[
        str | None,
        typer.Option("--after", help="Keyset cursor: the id of the last session of a page."),
    ] = None,
    output: FormatOption = ListFormat.TABLE,
) -> None:
    """List sessions, newest first. For large histories page with --after (printed below the
    table) rather than --offset."""
    sessions = _manager(ctx).list_sessions(
        user_id,
        status,
        limit,
        offset,
        since=since,
        until=until,
        min_score=min_score,
        after=after,
        tenant_id=tenant,
    )
    next_cursor = sessions[-1].id if len(sessions) == limit else None
    if output is ListFormat.JSON:
        _print_json(
            {"sessions": [render.session_dict(s) for s in sessions], "next_cursor": next_cursor}
        )
    elif output is ListFormat.CSV:
        writer = csv.writer(sys.stdout)
        writer.writerow(["id", "user", "status", "created", "active_seconds", "messages", "score"])
        for s in sessions:
            writer.writerow(
                [
                    s.id,
                    s.user_id,
                    s.status.value,
                    s.created_at.isoformat(),
                    round(s.active_seconds, 3),
                    s.message_count,
                    "" if s.overall_score is None else s.overall_score,
                ]
            )
    else:
        # One tenant's listing, or a database that only knows the default one, needs no column.
        show_tenant = tenant is None and any(s.tenant_id != DEFAULT_TENANT for s in sessions)
        console.print(render.sessions_table(sessions, show_tenant=show_tenant))
        if next_cursor:
            Console(stderr=True).print(f"[dim]next page: --after {next_cursor}[/]")


@sessions_app.command("show")
def show(
    ctx: typer.Context,
    session_id: SessionId,
    output: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.TABLE,
) -> None:
    """Show one session's details."""
    session = _manager(ctx).get_session(session_id)
    if output is ReportFormat.JSON:
        _print_json(render.session_dict(session))
    else:
        console.print(render.session_summary(session))


@sessions_app.command("transcript")
def transcript(
    ctx: typer.Context,
    session_id: SessionId,
    output: Annotated[
        str, typer.Option("--format", help="text, json or csv (timestamp,session_id,speaker,text).")
    ] = "text",
) -> None:
    """Print a session's transcript in order."""
    if output not in ("text", "json", "csv"):
        raise typer.BadParameter("use text, json or csv", param_hint="--format")
    messages = _manager(ctx).get_transcript(session_id)
    if output == "json":
        _print_json([render.message_dict(m) for m in messages])
    elif output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["timestamp", "session_id", "speaker", "text"])
        for m in messages:
            writer.writerow([m.created_at.isoformat(), m.session_id, m.role.value, m.content])
    else:
        console.print(render.transcript(messages))


@sessions_app.command("evaluation")
def evaluation(
    ctx: typer.Context,
    session_id: SessionId,
    output: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.TABLE,
) -> None:
    """Show a session's evaluation: overall score, a bar per dimension, evidence."""
    container = container_of(ctx)
    manager: SessionManager = container.session_manager()
    report = manager.get_evaluation(session_id)
    if report is None:
        typer.echo("no evaluation: the session has not ended", err=True)
        raise typer.Exit(code=1)
    if output is ReportFormat.JSON:
        _print_json(render.evaluation_dict(report))
        return
    template = container.templates().get(report.template) if report.template else None
    console.print(render.evaluation(report, template))


@sessions_app.command("end")
def end(ctx: typer.Context, session_id: SessionId) -> None:
    """End a session (ACTIVE or PAUSED) and generate its evaluation."""
    report = _manager(ctx).end_session(session_id)
    score = f"{report.overall_score:.1f}" if report.overall_score is not None else "not scored"
    typer.echo(f"session {session_id} completed; evaluation {report.status.value}, score {score}")


@sessions_app.command("pause")
def pause(ctx: typer.Context, session_id: SessionId) -> None:
    """Pause an ACTIVE session: its clock stops."""
    session = _manager(ctx).pause_session(session_id)
    typer.echo(f"session {session.id} {session.status.value}")


@sessions_app.command("resume")
def resume(ctx: typer.Context, session_id: SessionId) -> None:
    """Resume a PAUSED session."""
    session = _manager(ctx).resume_session(session_id)
    typer.echo(f"session {session.id} {session.status.value}")


@sessions_app.command("retry-evaluation")
def retry_evaluation(
    ctx: typer.Context,
    session_id: Annotated[str | None, typer.Argument(help="The session's id.")] = None,
    all_failed: Annotated[
        bool, typer.Option("--all-failed", help="Every session whose evaluation failed.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Regenerate even a finished evaluation.")
    ] = False,
) -> None:
    """Regenerate a failed, pending or missing evaluation (a finished one only with --force)."""
    if (session_id is None) == (not all_failed):
        raise typer.BadParameter("give a SESSION_ID or --all-failed (one of them)")
    manager = _manager(ctx)
    if session_id is not None:
        report = manager.retry_evaluation(session_id, force=force)
        typer.echo(f"session {session_id}: evaluation {report.status.value}")
        return
    failures = 0
    ids = container_of(ctx).data_store().failed_evaluations(limit=10_000)
    for sid in ids:
        try:
            report = manager.retry_evaluation(sid)
            typer.echo(f"session {sid}: evaluation {report.status.value}")
        except InterviewPlatformError as exc:  # report each failure, carry on
            failures += 1
            typer.echo(f"session {sid}: still failing ({exc})", err=True)
    typer.echo(f"{len(ids) - failures} of {len(ids)} failed evaluations regenerated")
    if failures:
        raise typer.Exit(code=1)

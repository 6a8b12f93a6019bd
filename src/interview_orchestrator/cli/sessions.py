"""``sessions``: list, inspect, and move sessions through their lifecycle.

A session is named by its id or by a unique prefix of it (as ``sessions list`` shows ids);
``session_id_from`` turns what was typed into the id.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import render
from ..errors import InterviewPlatformError, SessionNotFoundError
from ..models import DEFAULT_TENANT, parse_session_id
from .app import container_for_reading, container_of, sessions_app, stdout_console
from .options import (
    ListFormat,
    ReportFormat,
    SinceFilter,
    StatusFilter,
    TenantFilter,
    UntilFilter,
    UserIdFilter,
    id_from_prefix,
)

if TYPE_CHECKING:
    from ..session_manager import SessionManager

SessionId = Annotated[
    str,
    typer.Argument(
        metavar="SESSION_ID",
        help="The session's id, or a prefix of it that names one session (as listed).",
    ),
]
FormatOption = Annotated[
    ListFormat, typer.Option("--format", metavar="table|json|csv", help="Output format.")
]
ReportFormatOption = Annotated[
    ReportFormat, typer.Option("--format", metavar="table|json", help="Output format.")
]


def session_id_from(text: str, ids_starting: Callable[[str], Sequence[str]]) -> str:
    """The id of the session ``text`` names: a whole id as it is (the library checks it), or
    a unique prefix found with ``ids_starting(prefix)`` (the store's range scan of the ids)."""
    return id_from_prefix(
        text,
        kind="session",
        parse=parse_session_id,
        ids_starting=ids_starting,
        not_found=SessionNotFoundError,
    )


def _session_id(ctx: typer.Context, text: str, *, reading: bool = False) -> str:
    """The id ``text`` names; the store is only asked for a prefix (a command that only
    reads asks only a database that exists)."""

    def ids_starting(prefix: str) -> list[str]:
        container = container_for_reading(ctx) if reading else container_of(ctx)
        found: list[str] = container.data_store().session_ids_starting(prefix)
        return found

    return session_id_from(text, ids_starting)


def _manager(ctx: typer.Context) -> SessionManager:
    manager: SessionManager = container_of(ctx).session_manager()
    return manager


def _reading_manager(ctx: typer.Context) -> SessionManager:
    """The manager of a command that only reads: refused on a missing SQLite file."""
    manager: SessionManager = container_for_reading(ctx).session_manager()
    return manager


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _write_csv(fields: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(fields)
    for row in rows:
        writer.writerow(["" if row[f] is None else row[f] for f in fields])


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
    limit: Annotated[
        int, typer.Option(min=1, max=1000, metavar="N", help="Sessions per page.")
    ] = 50,
    offset: Annotated[int, typer.Option(min=0, metavar="N", help="Sessions skipped.")] = 0,
    after: Annotated[
        str | None,
        typer.Option(
            "--after",
            metavar="SESSION_ID",
            help="Keyset cursor: the id (or a prefix) of the last session of a page.",
        ),
    ] = None,
    output: FormatOption = ListFormat.TABLE,
) -> None:
    """List sessions, newest first, with short ids (every command takes them). For large
    histories page with --after (printed below the table) rather than --offset."""
    container = container_for_reading(ctx)
    sessions = _manager(ctx).list_sessions(
        user_id,
        status,
        limit,
        offset,
        since=since,
        until=until,
        min_score=min_score,
        after=None if after is None else _session_id(ctx, after, reading=True),
        tenant_id=tenant,
    )
    now = container.clock()()
    next_cursor = sessions[-1].id if len(sessions) == limit else None
    if output is ListFormat.JSON:
        _print_json(
            {
                "sessions": [render.session_dict(s, now) for s in sessions],
                "next_cursor": next_cursor,
            }
        )
    elif output is ListFormat.CSV:
        _write_csv(render.SESSION_FIELDS, (render.session_dict(s, now) for s in sessions))
    else:
        # One tenant's listing, or a database that only knows the default one, needs no column.
        show_tenant = tenant is None and any(s.tenant_id != DEFAULT_TENANT for s in sessions)
        stdout_console().print(render.sessions_table(sessions, show_tenant=show_tenant, now=now))
        if next_cursor:
            typer.echo(f"next page: --after {next_cursor}", err=True)


@sessions_app.command("show")
def show(
    ctx: typer.Context, session_id: SessionId, output: ReportFormatOption = ReportFormat.TABLE
) -> None:
    """Show one session's details."""
    sid = _session_id(ctx, session_id, reading=True)
    session = _reading_manager(ctx).get_session(sid)
    now = container_of(ctx).clock()()
    if output is ReportFormat.JSON:
        _print_json(render.session_dict(session, now))
    else:
        stdout_console().print(render.session_summary(session, now))


@sessions_app.command("transcript")
def transcript(
    ctx: typer.Context,
    session_id: SessionId,
    output: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="text|json|csv",
            help="Output format; JSON and CSV name the fields alike: "
            + ",".join(render.MESSAGE_FIELDS)
            + ".",
        ),
    ] = "text",
) -> None:
    """Print a session's transcript in order."""
    if output not in ("text", "json", "csv"):
        raise typer.BadParameter("use text, json or csv", param_hint="--format")
    sid = _session_id(ctx, session_id, reading=True)
    messages = _reading_manager(ctx).get_transcript(sid)
    if output == "json":
        _print_json([render.message_dict(m) for m in messages])
    elif output == "csv":
        _write_csv(render.MESSAGE_FIELDS, (render.message_dict(m) for m in messages))
    else:
        stdout_console().print(render.transcript(messages))


@sessions_app.command("evaluation")
def evaluation(
    ctx: typer.Context, session_id: SessionId, output: ReportFormatOption = ReportFormat.TABLE
) -> None:
    """Show a session's evaluation: overall score, a bar per dimension, evidence. Exit 1 if
    the session has not ended (with --format json: an object whose evaluation is null)."""
    sid = _session_id(ctx, session_id, reading=True)
    container = container_for_reading(ctx)
    manager = _manager(ctx)
    report = manager.get_evaluation(sid)
    if report is None:
        status = manager.get_session(sid).status.value
        reason = f"the session has not ended (it is {status})"
        if output is ReportFormat.JSON:
            _print_json({"session_id": sid, "status": status, "evaluation": None, "reason": reason})
        else:
            typer.echo(f"no evaluation: {reason}", err=True)
        raise typer.Exit(code=1)
    if output is ReportFormat.JSON:
        _print_json(render.evaluation_dict(report))
        return
    template = container.templates().get(report.template) if report.template else None
    stdout_console().print(render.evaluation(report, template))


@sessions_app.command("end")
def end(ctx: typer.Context, session_id: SessionId) -> None:
    """End a session (ACTIVE or PAUSED) and generate its evaluation."""
    sid = _session_id(ctx, session_id)
    report = _manager(ctx).end_session(sid)
    score = f"{report.overall_score:.1f}" if report.overall_score is not None else "not scored"
    typer.echo(f"session {sid} completed; evaluation {report.status.value}, score {score}")


@sessions_app.command("pause")
def pause(ctx: typer.Context, session_id: SessionId) -> None:
    """Pause an ACTIVE session: its clock stops."""
    session = _manager(ctx).pause_session(_session_id(ctx, session_id))
    typer.echo(f"session {session.id} {session.status.value}")


@sessions_app.command("resume")
def resume(ctx: typer.Context, session_id: SessionId) -> None:
    """Resume a PAUSED session."""
    session = _manager(ctx).resume_session(_session_id(ctx, session_id))
    typer.echo(f"session {session.id} {session.status.value}")


@sessions_app.command("retry-evaluation")
def retry_evaluation(
    ctx: typer.Context,
    session_id: Annotated[
        str | None,
        typer.Argument(metavar="SESSION_ID", help="The session's id, or a unique prefix of it."),
    ] = None,
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
        sid = _session_id(ctx, session_id)
        report = manager.retry_evaluation(sid, force=force)
        typer.echo(f"session {sid}: evaluation {report.status.value}")
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

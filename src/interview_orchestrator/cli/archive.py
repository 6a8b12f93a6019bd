"""``sessions export|import|purge`` and ``users forget``: moving and deleting whole sessions.

Thin wrappers over ``interview_orchestrator.archive``: parse the options, call the service
with the container's ``session_archive``, render the report.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import InvalidInputError
from .app import container_of, sessions_app, stdout_console, users_app
from .options import (
    ReportFormat,
    SinceFilter,
    StatusFilter,
    TenantFilter,
    UntilFilter,
    UserIdFilter,
    parse_age,
    parse_tenant,
)
from .sessions import session_id_from

if TYPE_CHECKING:
    from ..archive import ImportReport, RetentionReport
    from ..archive.record import UnexportableSessionError
    from ..ports import SessionArchive, SessionFilter

err_console = Console(stderr=True)

FormatOption = Annotated[
    ReportFormat, typer.Option("--format", help="Report format (the report goes to stdout).")
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Report what would happen; change nothing.")
]
#: The style of each ``ImportStatus`` (by value) in the import report.
_STATUS_STYLE = {
    "imported": "green",
    "already_present": "dim",
    "conflict": "red",
    "skipped": "yellow",
}


def _archive(ctx: typer.Context) -> SessionArchive:
    archive: SessionArchive = container_of(ctx).session_archive()
    return archive


# ---------------------------------------------------------------------- export


@sessions_app.command("export")
def export(
    ctx: typer.Context,
    session_id: Annotated[
        str | None,
        typer.Argument(
            metavar="SESSION_ID", help="One session's id; omit to export a filtered set."
        ),
    ] = None,
    tenant: TenantFilter = None,
    user_id: UserIdFilter = None,
    status: StatusFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write, or - for stdout.")
    ] = "-",
) -> None:
    """Export sessions to JSON Lines, one line per session with its transcript, transitions,
    evaluation and event log, oldest first. Streams: memory stays flat however many there
    are. With SESSION_ID, --tenant only checks that the session is that tenant's."""
    from ..archive import checked_filter, export_sessions
    from ..ports import SessionFilter

    if session_id is not None and any(v is not None for v in (user_id, status, since, until)):
        raise typer.BadParameter(
            "give a SESSION_ID or filters (--user-id, --status, ...), not both"
        )
    if since is not None and until is not None and since >= until:
        raise typer.BadParameter("--since must be before --until")
    archive = _archive(ctx)
    if session_id is not None:  # a unique prefix, as the other session commands take
        session_id = session_id_from(
            session_id, container_of(ctx).data_store().session_ids_starting
        )
    selection = checked_filter(
        SessionFilter(
            session_id=session_id,
            tenant_id=tenant,
            user_id=user_id,
            status=status,
            since=since,
            until=until,
        )
    )
    # No bar over JSON printed to the same terminal.
    show_progress = err_console.is_terminal and not (output == "-" and sys.stdout.isatty())
    left_out: list[UnexportableSessionError] = []

    def skip(problem: UnexportableSessionError) -> None:
        left_out.append(problem)
        err_console.print(f"skipped: {problem}", highlight=False, soft_wrap=True)

    with _destination(output) as out, _progress(archive, selection, show_progress) as progress:
        written = export_sessions(archive, selection, out, progress=progress, skipped=skip)
    where = "stdout" if output == "-" else escape(output)
    err_console.print(f"exported {written} session(s) to {where}", highlight=False, soft_wrap=True)
    if left_out:
        # The file holds every other session; the exit status tells a scheduled backup that
        # it is not complete.
        err_console.print(
            f"[bold red]error:[/] {len(left_out)} session(s) could not be exported and are "
            "not in the export (listed above)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=1)


@contextmanager
def _destination(output: str) -> Iterator[IO[bytes]]:
    """stdout; or a file that appears only once the export is complete (a failed export
    leaves no truncated file behind); or, written in place, what is not a regular file (a
    named pipe, a device: never replaced by a file). A target that cannot take the export
    is an ``InvalidInputError`` naming it."""
    if output == "-":
        stdout = typer.get_binary_stream("stdout")
        try:
            yield stdout
            stdout.flush()
        except BrokenPipeError:
            # The reader went away (``| head``): stop quietly, as other tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(code=1) from None
        return
    target = Path(output)
    if target.is_dir():
        raise InvalidInputError(f"cannot write {output!r}: it is a directory")
    in_place = target.exists() and not target.is_file()
    written = target if in_place else target.with_name(f".{target.name}.partial")
    try:
        handle = written.open("wb")
    except OSError as exc:
        raise _cannot_write(output, exc) from None
    try:
        with handle:
            yield handle
        if not in_place:
            written.replace(target)
    except BaseException as exc:
        if not in_place:
            written.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(output, exc) from None
        raise


def _cannot_write(output: str, exc: OSError) -> InvalidInputError:
    return InvalidInputError(f"cannot write {output!r}: {exc.strerror or exc}")


@contextmanager
def _progress(
    archive: SessionArchive, selection: SessionFilter, show: bool
) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr (counting the sessions first costs one query)."""
    if not show:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    total = archive.count_sessions(selection)
    columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("export", total=total)
        yield lambda done: bar.update(task, completed=done)


# ---------------------------------------------------------------------- import


def _mapping(
    pairs: Iterable[str], option: str, check: Callable[[str], str] = str.strip
) -> dict[str, str]:
    """``OLD=NEW`` pairs of a repeatable option as a mapping, each side passed through
    ``check``; a malformed pair or an OLD given twice is a usage error."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = (part.strip() for part in pair.partition("="))
        if not sep or not old or not new:
            raise typer.BadParameter(f"{pair!r}: use OLD=NEW", param_hint=option)
        if old in mapping:
            raise typer.BadParameter(f"{old!r} is mapped twice", param_hint=option)
        try:
            mapping[check(old)] = check(new)
        except typer.BadParameter as exc:
            raise typer.BadParameter(exc.message, param_hint=option) from None
    return mapping


@sessions_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A file written by `sessions export`, or - for stdin."),
    ],
    map_user: Annotated[
        list[str] | None,
        typer.Option(
            "--map-user", metavar="OLD=NEW", help="Give OLD's sessions to NEW (repeatable)."
        ),
    ] = None,
    tenant_map: Annotated[
        list[str] | None,
        typer.Option(
            "--tenant-map",
            metavar="OLD=NEW",
            help="Put tenant OLD's sessions in tenant NEW (repeatable).",
        ),
    ] = None,
    into_tenant: Annotated[
        str | None,
        typer.Option(
            "--into-tenant",
            parser=parse_tenant,
            metavar="TENANT",
            help="Put every session in this tenant, whatever its own.",
        ),
    ] = None,
    dry_run: DryRun = False,
    output: FormatOption = ReportFormat.TABLE,
) -> None:
    """Import an export. Every record is validated before any is written; a session already
    stored is skipped, never overwritten. Importing the same file twice changes nothing.
    Sessions keep their tenant (a version 1 file's: default) unless mapped. A file without
    sessions (empty, or blank lines only) exits 1."""
    from ..archive import JsonLinesFile, import_sessions

    users = _mapping(map_user or (), "--map-user")
    tenants = _mapping(tenant_map or (), "--tenant-map", parse_tenant)
    if tenants and into_tenant is not None:
        raise typer.BadParameter("give --tenant-map or --into-tenant, not both")
    lines: Iterable[bytes] = (
        typer.get_binary_stream("stdin").readlines() if file == "-" else JsonLinesFile(Path(file))
    )
    report = import_sessions(
        _archive(ctx),
        lines,
        user_map=users,
        tenant_map=tenants,
        into_tenant=into_tenant,
        dry_run=dry_run,
    )
    if not report.entries:
        # Exit 1: a script that expected data learns that none came (an empty export, the
        # wrong file, a pipe that broke before it wrote anything).
        source = "stdin" if file == "-" else repr(file)
        raise InvalidInputError(f"{source} holds no sessions: nothing was imported")
    if output is ReportFormat.JSON:
        _print_json(report.to_dict())
    else:
        _print_import(report)


def _print_import(report: ImportReport) -> None:
    from ..archive import ImportStatus

    if report.entries:
        table = Table("line", "session", "tenant", "user", "result", "reason")
        for e in report.entries:
            style = _STATUS_STYLE[e.status.value]
            table.add_row(
                str(e.line),
                e.session_id,
                e.tenant_id,
                e.user_id,
                f"[{style}]{e.status.value}[/]",
                e.reason or "",
            )
        stdout_console().print(table)
    counts = ", ".join(f"{report.count(s)} {s.value.replace('_', ' ')}" for s in ImportStatus)
    prefix = "dry run, nothing written: " if report.dry_run else ""
    stdout_console().print(f"{prefix}{counts}", highlight=False)


# ---------------------------------------------------------------------- retention, erasure


@sessions_app.command("purge")
def purge(
    ctx: typer.Context,
    older_than: Annotated[
        timedelta,
        typer.Option(
            "--older-than",
            parser=parse_age,
            metavar="AGE",
            help="Delete sessions created longer ago than this: Nd, Nh or Nw (e.g. 365d).",
        ),
    ],
    tenant: TenantFilter = None,
    user_id: UserIdFilter = None,
    dry_run: DryRun = False,
    output: FormatOption = ReportFormat.TABLE,
) -> None:
    """Retention: delete old sessions with their transcripts, transitions, evaluations and
    event logs. ACTIVE and PAUSED sessions are never purged; they are reported as kept."""
    from ..archive import purge_sessions

    container = container_of(ctx)
    report = purge_sessions(
        _archive(ctx),
        older_than,
        user_id=user_id,
        tenant_id=tenant,
        dry_run=dry_run,
        now=container.clock()(),
    )
    _print_retention(report, output)


@users_app.command("forget")
def forget(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(metavar="USER_ID", help="The candidate's user id.")],
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            parser=parse_tenant,
            metavar="TENANT",
            help="Only USER_ID of this tenant (default: the user id in every tenant).",
        ),
    ] = None,
    dry_run: DryRun = False,
    output: FormatOption = ReportFormat.TABLE,
) -> None:
    """Erasure: delete every session of USER_ID, whatever its status, with everything
    attached to it."""
    from ..archive import forget_user

    report = forget_user(_archive(ctx), user_id, tenant_id=tenant, dry_run=dry_run)
    _print_retention(report, output)


def _print_retention(report: RetentionReport, output: ReportFormat) -> None:
    if output is ReportFormat.JSON:
        _print_json(report.to_dict())
        return
    counts = report.deleted
    verb = "would delete" if report.dry_run else "deleted"
    where = "" if report.tenant_id is None else f" of tenant {report.tenant_id}"
    stdout_console().print(
        f"{verb} {counts.sessions} session(s){where}, {counts.messages} message(s), "
        f"{counts.transitions} transition(s), {counts.evaluations} evaluation(s), "
        f"{counts.notes} interviewer note(s), {counts.events} event(s)",
        highlight=False,
    )
    if report.kept:
        stdout_console().print(
            f"kept {report.kept} old session(s) that are active or paused", highlight=False
        )


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))

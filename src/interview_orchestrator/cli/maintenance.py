"""``sweep`` and ``stats``: server-side time enforcement and figures for dashboards."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from .. import render
from .app import app, container_for_reading, container_of, stdout_console
from .options import ReportFormat, TenantFilter

if TYPE_CHECKING:
    from ..sweeper import SweepReport

FormatOption = Annotated[
    ReportFormat, typer.Option("--format", metavar="table|json", help="Output format.")
]


@app.command()
def sweep(ctx: typer.Context, output: FormatOption = ReportFormat.TABLE) -> None:
    """Enforce time server-side: end sessions past their time limit, pause idle ones, end
    abandoned ones, regenerate evaluations a crash left pending. Safe to run from cron every
    minute, alongside live traffic and other sweeps."""
    report: SweepReport = container_of(ctx).sweeper().run()
    if output is ReportFormat.JSON:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for label, ids in (
            ("ended (time limit)", report.ended_time_limit),
            ("paused (idle)", report.paused_idle),
            ("ended (abandoned)", report.ended_abandoned),
            ("evaluations generated", report.evaluations_generated),
            ("evaluations failed", report.evaluations_failed),
        ):
            typer.echo(f"{label}: {len(ids)}" + (f"  {' '.join(ids)}" if ids else ""))
        typer.echo(f"already handled by someone else: {report.raced}")
        for error in report.errors:
            typer.echo(f"error: {error}", err=True)
    if report.errors:
        raise typer.Exit(code=1)


@app.command()
def stats(
    ctx: typer.Context,
    days: Annotated[
        int, typer.Option(min=1, max=3660, metavar="N", help="Window of the per-day counts.")
    ] = 30,
    tenant: TenantFilter = None,
    output: FormatOption = ReportFormat.TABLE,
) -> None:
    """Counts by status, sessions per day, average active duration, scores and their
    distribution, evaluation failures."""
    container = container_for_reading(ctx)
    figures = container.session_manager().session_stats(days=days, tenant_id=tenant)
    if output is ReportFormat.JSON:
        typer.echo(
            json.dumps(
                {
                    "tenant_id": tenant,
                    "by_status": {s.value: n for s, n in figures.by_status.items()},
                    "per_day": [{"day": d, "sessions": n} for d, n in figures.per_day],
                    "average_active_seconds": figures.average_active_seconds,
                    "average_score": figures.average_score,
                    "scored_sessions": figures.scored_sessions,
                    "score_histogram": [
                        {"from": 10 * i, "to": 10 * i + 10, "sessions": n}
                        for i, n in enumerate(figures.score_histogram)
                    ],
                    "evaluations_by_status": {
                        s.value: n for s, n in figures.evaluations_by_status.items()
                    },
                    "since": figures.since.isoformat(),
                },
                indent=2,
            )
        )
    else:
        stdout_console().print(render.stats_view(figures, tenant_id=tenant))

"""``templates``: the interview kinds a platform can offer, read from the template catalog.

``templates list`` shows every template (built-in and from ``interviewer.template_dirs``) with
its languages; ``templates show NAME`` shows one template's phases and rubric, so that whoever
picks a template sees what it asks and how it scores. Neither reads the database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .app import app, container_of, stdout_console
from .options import ReportFormat

if TYPE_CHECKING:
    from ..interview_template import InterviewTemplate
    from ..ports import TemplateCatalog

templates_app = typer.Typer(
    help="Interview templates: the kinds of interview on offer, their phases and rubrics.",
    no_args_is_help=True,
)
app.add_typer(templates_app, name="templates")

OutputFormat = Annotated[
    ReportFormat, typer.Option("--format", metavar="table|json", help="Output format.")
]


def _catalog(ctx: typer.Context) -> TemplateCatalog:
    catalog: TemplateCatalog = container_of(ctx).templates()
    return catalog


@templates_app.command("list")
def list_templates(ctx: typer.Context, output: OutputFormat = ReportFormat.TABLE) -> None:
    """List the templates, by name: title, version, languages, and how many phases and
    rubric dimensions each has. A session names one in its configuration (``template``)."""
    catalog = _catalog(ctx)
    templates = [(catalog.get(name), catalog.languages(name)) for name in catalog.names()]
    if output is ReportFormat.JSON:
        summaries = [template_summary(t, languages) for t, languages in templates]
        typer.echo(json.dumps(summaries, indent=2, ensure_ascii=False))
        return
    stdout_console().print(_templates_table(templates))


@templates_app.command("show")
def show_template(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The template's name (as listed).")],
    language: Annotated[
        str,
        typer.Option(
            "--language",
            metavar="LANGUAGE",
            help="The language variant to show (a BCP 47 tag, e.g. de); the default is en.",
        ),
    ] = "en",
    output: OutputFormat = ReportFormat.TABLE,
) -> None:
    """Show a template: its phases (share of the time, turns, questions) and its rubric
    (each dimension's weight and what a score of 1 to 5 looks like)."""
    catalog = _catalog(ctx)
    template = catalog.get(name, language)
    languages = catalog.languages(template.name)
    if output is ReportFormat.JSON:
        detail = template_detail(template, languages)
        typer.echo(json.dumps(detail, indent=2, ensure_ascii=False))
        return
    stdout_console().print(_template_view(template, languages))


# --------------------------------------------------------------------------- JSON shapes


def template_summary(template: InterviewTemplate, languages: Sequence[str]) -> dict[str, Any]:
    """A template in a listing: what it is, its languages, phases and weighted dimensions."""
    return {
        "name": template.name,
        "title": template.title,
        "version": template.version,
        "languages": list(languages),
        "rubric_version": template.rubric.version,
        "phases": [
            {"id": phase.id, "title": phase.title, "share": phase.share}
            for phase in template.phases
        ],
        "dimensions": [
            {"id": dim.id, "title": dim.title, "weight": dim.weight}
            for dim in template.rubric.dimensions
        ],
    }


def template_detail(template: InterviewTemplate, languages: Sequence[str]) -> dict[str, Any]:
    """A template in full, as a platform shows it before one is chosen (the questions are
    counted, not quoted: they are the interview's)."""
    return {
        "name": template.name,
        "title": template.title,
        "version": template.version,
        "language": template.language,
        "languages": list(languages),
        "rubric_version": template.rubric.version,
        "phases": [
            {
                "id": phase.id,
                "title": phase.title,
                "share": phase.share,
                "max_turns": phase.max_turns,
                "question_count": len(phase.questions),
            }
            for phase in template.phases
        ],
        "dimensions": [
            {
                "id": dim.id,
                "title": dim.title,
                "weight": dim.weight,
                "levels": {str(level): text for level, text in sorted(dim.levels.items())},
            }
            for dim in template.rubric.dimensions
        ],
    }


# --------------------------------------------------------------------------- tables


def _table(*columns: str, caption: str | None = None) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        caption=caption,
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _templates_table(templates: Sequence[tuple[InterviewTemplate, Sequence[str]]]) -> Table:
    table = _table("name", "title", "version", "languages", "phases", "dimensions")
    for column in table.columns[4:]:
        column.justify = "right"
    for template, languages in templates:
        table.add_row(
            Text(template.name),
            Text(template.title),
            Text(template.version),
            Text(", ".join(languages)),
            str(len(template.phases)),
            str(len(template.rubric.dimensions)),
        )
    return table


def _template_view(template: InterviewTemplate, languages: Sequence[str]) -> Group:
    heading = Text.assemble(
        (template.title, "bold"),
        f"  {template.name} {template.version}, in {template.language} ",
        (f"(languages: {', '.join(languages)})", "dim"),
    )
    phases = _table("phase", "share", "max turns", "questions")
    for column in phases.columns[1:]:
        column.justify = "right"
    for phase in template.phases:
        phases.add_row(
            Text(phase.title),
            f"{phase.share:.0%}",
            str(phase.max_turns),
            str(len(phase.questions)),
        )
    parts: list[Any] = [heading, "", phases, "", Text(f"rubric {template.rubric.version}", "bold")]
    for dim in template.rubric.dimensions:
        levels = Table.grid(padding=(0, 2))
        levels.add_column(justify="right", no_wrap=True)
        levels.add_column(overflow="fold")
        for level, words in sorted(dim.levels.items()):
            levels.add_row(str(level), Text(words))
        parts += ["", f"[bold]{escape(dim.title)}[/]  weight {dim.weight:g}", levels]
    return Group(*parts)

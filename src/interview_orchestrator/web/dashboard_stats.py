"""``/stats``: the tenant's statistics, as bar charts drawn here as inline SVG (no chart
library, nothing fetched), each with a text alternative and a table of the same figures.

The figures are the library's ``SessionStats``; how completed sessions ended (and so the
abandonment rate) it does not count, so that is counted here from ``list_sessions``: the
completed sessions created in the window, at most ``END_REASONS_READ`` of them."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..api.deps import container_of, manager_for, run_sync
from ..errors import InvalidInputError
from ..models import EndReason, EvaluationStatus, SessionStats, SessionStatus
from ..session_manager import SessionManager
from .dashboard_pages import PageRoute, page
from .dashboard_views import NONE, duration_text, label, score_text
from .signin import SignedIn

router = APIRouter(route_class=PageRoute)

#: The windows the page offers, in days.
WINDOWS: Final = (7, 30, 90, 365)
_DEFAULT_WINDOW: Final = 30
#: Completed sessions read to count how they ended.
END_REASONS_READ: Final = 5000
_READ_BATCH: Final = 1000

# The drawing: a 640 × 240 box (960 wide for many bars), the plot inside these margins.
_WIDTH: Final = 640.0
_WIDE: Final = 960.0
#: Charts with more bars than this are drawn wide, with their table folded away.
MANY_BARS: Final = 12
_HEIGHT: Final = 240.0
_LEFT: Final = 44.0
_RIGHT: Final = 12.0
_TOP: Final = 20.0
_BOTTOM: Final = 44.0


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    #: A CSS modifier: "danger" for what needs attention.
    tone: str
    #: The label is drawn under the bar (crowded charts draw every few).
    labelled: bool
    #: Where the label is anchored (the last of a crowded axis ends at its bar's right).
    label_x: float
    label_anchor: str

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 2)


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    """A bar chart ready to draw: geometry in the SVG's units, words for those who cannot see
    it, and the rows of its table."""

    id: str
    title: str
    summary: str
    label_heading: str
    value_heading: str
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    width: float
    height: float = _HEIGHT
    left: float = _LEFT
    top: float = _TOP
    bottom: float = _HEIGHT - _BOTTOM

    @property
    def right(self) -> float:
        return self.width - _RIGHT

    @property
    def label_y(self) -> float:
        return self.bottom + 18

    @property
    def many(self) -> bool:
        return len(self.bars) > MANY_BARS

    @property
    def values_shown(self) -> bool:
        return not self.many


def bar_chart(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, int]],
    *,
    label_heading: str,
    value_heading: str = "Count",
    danger: frozenset[str] = frozenset(),
    label_every: int = 1,
) -> BarChart:
    """Lay out ``items`` (label, value) as bars from left to right."""
    highest = max((value for _, value in items), default=0)
    scale_top = _nice_ceiling(highest)
    width = _WIDE if len(items) > MANY_BARS else _WIDTH
    plot_height = _HEIGHT - _BOTTOM - _TOP
    slot = (width - _LEFT - _RIGHT) / max(len(items), 1)
    crowded = label_every > 1
    bars = []
    for index, (name, value) in enumerate(items):
        height = plot_height * value / scale_top
        x = _LEFT + index * slot + slot * 0.15
        last = index == len(items) - 1
        bars.append(
            Bar(
                label=name,
                value=value,
                x=round(x, 2),
                y=round(_TOP + plot_height - height, 2),
                width=round(slot * 0.7, 2),
                height=round(height, 2),
                tone="danger" if name in danger else "",
                labelled=index % label_every == 0 or last,
                label_x=round(x + slot * 0.7 if crowded and last else x + slot * 0.35, 2),
                label_anchor="end" if crowded and last else "middle",
            )
        )
    ticks = sorted({0, scale_top} | ({scale_top // 2} if scale_top % 2 == 0 else set()))
    return BarChart(
        id=chart_id,
        title=title,
        summary=_summary(items),
        label_heading=label_heading,
        value_heading=value_heading,
        bars=tuple(bars),
        ticks=tuple(
            Tick(value, round(_TOP + plot_height - plot_height * value / scale_top, 2))
            for value in ticks
        ),
        width=width,
    )


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at or above ``value``."""
    if value <= 1:
        return 1
    magnitude = int(10 ** math.floor(math.log10(value)))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def _summary(items: Sequence[tuple[str, int]]) -> str:
    total = sum(value for _, value in items)
    if total == 0:
        return f"Bar chart: all {len(items)} bars are zero."
    top_label, top_value = max(items, key=lambda item: item[1])
    return (
        f"Bar chart of {len(items)} bars, {total} in all; the highest is {top_label} with "
        f"{top_value}. The table gives the figure of every bar."
    )


@dataclass(frozen=True)
class EndReasons:
    counts: dict[EndReason, int]
    counted: int
    #: More completed sessions were created in the window than were read.
    partial: bool


def end_reasons(manager: SessionManager, since: datetime) -> EndReasons:
    """How the completed sessions created since ``since`` ended (newest first, at most
    ``END_REASONS_READ``)."""
    counts: Counter[EndReason] = Counter()
    cursor = None
    counted = 0
    while counted < END_REASONS_READ:
        batch = manager.list_sessions(
            status=SessionStatus.COMPLETED, since=since, limit=_READ_BATCH, after=cursor
        )
        counts.update(session.end_reason or EndReason.REQUESTED for session in batch)
        counted += len(batch)
        if len(batch) < _READ_BATCH:
            return EndReasons(dict(counts), counted, partial=False)
        cursor = batch[-1].id
    return EndReasons(dict(counts), counted, partial=True)


@dataclass(frozen=True)
class Figure:
    """A headline number."""

    name: str
    value: str
    note: str


def _rate(part: int, whole: int) -> str:
    return NONE if whole == 0 else f"{part / whole:.0%}"


def figures(stats: SessionStats, ended: EndReasons) -> tuple[Figure, ...]:
    total = sum(stats.by_status.values())
    completed = stats.by_status.get(SessionStatus.COMPLETED, 0)
    abandoned = ended.counts.get(EndReason.ABANDONED, 0)
    evaluations = sum(stats.evaluations_by_status.values())
    failed = stats.evaluations_by_status.get(EvaluationStatus.FAILED, 0)
    return (
        Figure("Sessions", str(total), "all time"),
        Figure("Completion rate", _rate(completed, total), f"{completed} of {total} completed"),
        Figure(
            "Abandonment rate",
            _rate(abandoned, ended.counted),
            f"{abandoned} of {ended.counted} completed sessions in the window were abandoned",
        ),
        Figure(
            "Average score",
            score_text(stats.average_score),
            f"out of 100, over {stats.scored_sessions} scored sessions",
        ),
        Figure(
            "Average active time", duration_text(stats.average_active_seconds), "when completed"
        ),
        Figure("Evaluation failures", str(failed), f"{_rate(failed, evaluations)} of evaluations"),
    )


def charts(stats: SessionStats, ended: EndReasons, today: datetime) -> tuple[BarChart, ...]:
    per_day = dict(stats.per_day)
    first = stats.since.date()
    days = [first + timedelta(days=n) for n in range((today.date() - first).days + 1)]
    histogram = [
        (f"{10 * i}–{10 * i + 9}" if i < 9 else "90–100", count)
        for i, count in enumerate(stats.score_histogram)
    ]
    return (
        bar_chart(
            "per-day",
            f"Sessions created per day since {first.isoformat()}",
            [(day.isoformat(), per_day.get(day.isoformat(), 0)) for day in days],
            label_heading="Day (UTC)",
            value_heading="Sessions",
            label_every=max(len(days) // 6, 1) if len(days) > MANY_BARS else 1,
        ),
        bar_chart(
            "scores",
            "Overall scores (all scored sessions)",
            histogram,
            label_heading="Score",
            value_heading="Sessions",
        ),
        bar_chart(
            "by-status",
            "Sessions by status (all time)",
            [(label(status.value), stats.by_status.get(status, 0)) for status in SessionStatus],
            label_heading="Status",
            value_heading="Sessions",
        ),
        bar_chart(
            "end-reasons",
            f"How completed sessions created since {first.isoformat()} ended",
            [(label(reason.value), ended.counts.get(reason, 0)) for reason in EndReason],
            label_heading="Ended by",
            value_heading="Sessions",
            danger=frozenset({label(EndReason.ABANDONED.value)}),
        ),
        bar_chart(
            "evaluations",
            "Evaluations by status",
            [
                (label(status.value), stats.evaluations_by_status.get(status, 0))
                for status in EvaluationStatus
            ],
            label_heading="Evaluation",
            value_heading="Evaluations",
            danger=frozenset({label(EvaluationStatus.FAILED.value)}),
        ),
    )


@router.get("/stats", response_class=HTMLResponse)
async def stats_page(request: Request, visitor: SignedIn, days: str = "") -> HTMLResponse:
    window = _window(days)
    manager = manager_for(request, visitor.caller)

    def read() -> tuple[SessionStats, EndReasons]:
        stats = manager.session_stats(days=window)
        return stats, end_reasons(manager, stats.since)

    stats, ended = await run_sync(request, read)
    today = container_of(request).clock()()
    return page(
        request,
        visitor,
        "stats.html",
        {
            "window": window,
            "windows": WINDOWS,
            "figures": figures(stats, ended),
            "charts": charts(stats, ended, today),
            "ended": ended,
            "end_reasons_read": END_REASONS_READ,
        },
    )


def _window(days: str) -> int:
    if not days:
        return _DEFAULT_WINDOW
    if not days.isdigit() or int(days) not in WINDOWS:
        raise InvalidInputError(
            "days must be one of " + ", ".join(str(w) for w in WINDOWS) + f", got {days[:20]!r}"
        )
    return int(days)

"""``/r/{token}``: the reviewer's report — the evaluation with each score's rubric level and
evidence, the transcript, and a replay of the session's timeline.

Rendered on the server from one read of the library (in the thread pool): the event log first
(its last id is the cursor the page's script follows live from, so nothing that happens after
the read is missed), then the session, transcript and evaluation, which are at least as new.
The timeline is built from the log here rather than fetched by the script: it is one
consistent snapshot with the transcript, and it reads without script (and in print). The
script (``static/js/review.js``) only drives the replay over the rendered timeline and, while
something may still change, re-renders the parts that did when the event stream says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..access import LinkKind, Principal
from ..api.deps import container_of, manager_for, run_sync
from ..errors import InterviewPlatformError, SessionNotFoundError
from ..interview_template import InterviewTemplate, RubricDimension
from ..models import (
    MAX_EVENT_PAGE,
    CommunicationMode,
    EvaluationReport,
    EvaluationStatus,
    EventType,
    Message,
    Role,
    Session,
    SessionEvent,
    SessionStatus,
)
from ..ports import template_in_language
from ..session_manager import SessionManager
from .pages import link_for, render

router = APIRouter()

SPEAKERS: Final = {
    Role.INTERVIEWER: "Interviewer",
    Role.CANDIDATE: "Candidate",
    Role.SYSTEM: "System",
}
END_REASONS: Final = {
    "requested": "ended on request",
    "time_limit": "ended at the time limit",
    "turn_limit": "ended when its turns were used up",
    "abandoned": "ended as abandoned",
}
#: Characters of a message a timeline entry shows.
SNIPPET_CHARS: Final = 110
#: Lines of a whiteboard export's outline; the rest is counted, and the export is below.
OUTLINE_LINES: Final = 200
#: Where whiteboard exports keep their shapes and their connections (common export formats).
_ELEMENT_KEYS: Final = ("elements", "shapes", "items", "objects", "nodes")
_EDGE_KEYS: Final = ("edges", "connections", "arrows", "links", "lines")
_KIND_KEYS: Final = ("type", "shape", "kind", "tool")
_LABEL_KEYS: Final = ("text", "label", "name", "title", "content", "value")
_ENDS: Final = (("from", "to"), ("start", "end"), ("source", "target"))


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class Whiteboard:
    """A whiteboard export as a reader takes it in: one line per shape or connection, and the
    export itself (pretty-printed when it is JSON)."""

    outline: tuple[str, ...]
    more: int
    export: str


@dataclass(frozen=True)
class MessageView:
    seq: int
    role: str
    speaker: str
    mode: str
    created_at: datetime
    late: bool
    content: str
    whiteboard: Whiteboard | None


@dataclass(frozen=True)
class Evidence:
    seq: int
    speaker: str | None  # None: the message is not in the transcript


@dataclass(frozen=True)
class DimensionView:
    id: str
    title: str
    weight: float | None
    score: int | None
    level: str | None
    levels: tuple[tuple[int, str], ...]
    rationale: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Step:
    """One moment of the replay: what happened, and the session as it was just after."""

    label: str
    detail: str
    at: datetime
    elapsed: str
    visible_seq: int
    status: str
    phase: str | None
    kind: str


@dataclass(frozen=True)
class Report:
    """Everything the page shows."""

    session: Session
    template: InterviewTemplate | None
    messages: tuple[MessageView, ...]
    evaluation: EvaluationReport | None
    dimensions: tuple[DimensionView, ...]
    steps: tuple[Step, ...]
    cursor: int
    active_seconds: float
    template_error: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def evaluation_state(self) -> str:
        """``ready``, ``no_evidence``, ``failed``, ``pending``, ``running``, or ``none``
        (the session has not ended, so there is no evaluation yet)."""
        return "none" if self.evaluation is None else self.evaluation.status.value

    @property
    def follows(self) -> bool:
        """Whether the page may still change: the session is not over, or its evaluation is
        not finished (a failed one may be retried)."""
        finished = (EvaluationStatus.READY, EvaluationStatus.NO_EVIDENCE)
        return self.evaluation is None or self.evaluation.status not in finished

    @property
    def evaluation_version(self) -> str:
        report = self.evaluation
        if report is None:
            return f"none:{self.session.status.value}"
        updated = report.updated_at.isoformat() if report.updated_at else ""
        return f"{report.status.value}:{report.attempts}:{updated}"


# --------------------------------------------------------------------------- reading


def read_report(manager: SessionManager, templates: Any, session_id: str, now: datetime) -> Report:
    """One read of everything the page shows (runs in the thread pool)."""
    events = list(_all_events(manager, session_id))
    session = manager.get_session(session_id)
    transcript = manager.get_transcript(session_id)
    evaluation = manager.get_evaluation(session_id)
    template: InterviewTemplate | None = None
    template_error = None
    try:
        # The session's language version: its phases and dimensions as the candidate met them.
        template = template_in_language(templates, session.config.template, session.config.language)
    except InterviewPlatformError as exc:
        template_error = str(exc)
    messages = tuple(message_view(m) for m in transcript)
    speakers = {m.seq: m.speaker for m in messages}
    notes = []
    if (
        template is not None
        and evaluation is not None
        and evaluation.rubric_version
        and evaluation.rubric_version != template.rubric.version
    ):
        notes.append(
            f"The level descriptions are from rubric version {template.rubric.version}; "
            f"this evaluation used version {evaluation.rubric_version}."
        )
    return Report(
        session=session,
        template=template,
        messages=messages,
        evaluation=evaluation,
        dimensions=dimension_views(template, evaluation, speakers),
        steps=timeline(events, template),
        cursor=events[-1].id if events else 0,
        active_seconds=session.active_seconds_at(now),
        template_error=template_error,
        notes=tuple(notes),
    )


def _all_events(manager: SessionManager, session_id: str) -> Iterator[SessionEvent]:
    after = 0
    while True:
        page = manager.events(session_id, after=after, limit=MAX_EVENT_PAGE)
        yield from page
        if len(page) < MAX_EVENT_PAGE:
            return
        after = page[-1].id


def message_view(message: Message) -> MessageView:
    board = None
    if message.mode is CommunicationMode.WHITEBOARD:
        board = whiteboard(message.content)
    return MessageView(
        seq=message.seq,
        role=message.role.value,
        speaker=SPEAKERS.get(message.role, message.role.value.title()),
        mode=message.mode.value,
        created_at=message.created_at,
        late=message.late,
        content=message.content,
        whiteboard=board,
    )


def dimension_views(
    template: InterviewTemplate | None,
    evaluation: EvaluationReport | None,
    speakers: Mapping[int, str],
) -> tuple[DimensionView, ...]:
    """The rubric's dimensions in its order with their scores; a scored dimension the
    template no longer has is shown too, by its id."""
    if evaluation is None or evaluation.status not in (
        EvaluationStatus.READY,
        EvaluationStatus.NO_EVIDENCE,
    ):
        return ()
    rubric: Sequence[RubricDimension] = template.rubric.dimensions if template else ()
    known = {dim.id for dim in rubric}
    views = []
    for dim in rubric:
        views.append(_dimension_view(dim.id, dim, evaluation, speakers))
    for dim_id in evaluation.dimension_scores:
        if dim_id not in known:
            views.append(_dimension_view(dim_id, None, evaluation, speakers))
    return tuple(views)


def _dimension_view(
    dim_id: str,
    dim: RubricDimension | None,
    evaluation: EvaluationReport,
    speakers: Mapping[int, str],
) -> DimensionView:
    scored = evaluation.dimension_scores.get(dim_id)
    score = scored.score if scored is not None else None
    levels = tuple(sorted(dim.levels.items())) if dim is not None else ()
    return DimensionView(
        id=dim_id,
        title=dim.title if dim is not None else dim_id,
        weight=dim.weight if dim is not None else None,
        score=score,
        level=dim.levels.get(score) if dim is not None and score is not None else None,
        levels=levels,
        rationale=scored.rationale if scored is not None else "Not assessed.",
        evidence=tuple(
            Evidence(seq, speakers.get(seq)) for seq in (scored.evidence if scored else ())
        ),
    )


# --------------------------------------------------------------------------- the timeline


def timeline(
    events: Sequence[SessionEvent], template: InterviewTemplate | None
) -> tuple[Step, ...]:
    """The replay's steps: each message, pause, resume, phase and the ending, with the
    session as it was just after. The start and the opening question are one step (the
    interview starts by asking it), so the first step already shows something."""
    phases = {phase.id: phase.title for phase in template.phases} if template else {}
    steps: list[Step] = []
    status = SessionStatus.CREATED.value
    phase: str | None = None
    seen_seq = 0
    start: datetime | None = None
    for event in events:
        if event.type is EventType.EVALUATION_UPDATED:
            continue
        start = start or event.created_at
        data = event.data
        label, detail, kind = "", "", "session"
        if event.type is EventType.MESSAGE_CREATED:
            message = data.get("message") or {}
            seq = int(message.get("seq") or data.get("seq") or 0)
            seen_seq = max(seen_seq, seq)
            label, detail, kind = _message_step(message)
        elif event.type is EventType.PHASE_CHANGED:
            phase_id = data.get("phase")
            phase = phases.get(phase_id, phase_id) if isinstance(phase_id, str) else None
            label, kind = f"Phase: {phase or 'none'}", "phase"
        else:
            status = str(data.get("status") or status)
            label, kind = _status_step(event.type, data)
        step = Step(
            label=label,
            detail=detail,
            at=event.created_at,
            elapsed=_elapsed(event.created_at - start),
            visible_seq=seen_seq,
            status=status,
            phase=phase,
            kind=kind,
        )
        if (
            kind == "message"
            and steps
            and steps[-1].kind == "started"
            and not steps[-1].visible_seq
        ):
            first = steps.pop()
            step = Step(
                label=f"{first.label} — {label}",
                detail=detail,
                at=first.at,
                elapsed=first.elapsed,
                visible_seq=seen_seq,
                status=status,
                phase=phase,
                kind="message",
            )
        steps.append(step)
    return tuple(steps)


def _message_step(message: Mapping[str, Any]) -> tuple[str, str, str]:
    role = str(message.get("role", ""))
    mode = str(message.get("mode", "text"))
    seq = message.get("seq", "?")
    if role == Role.INTERVIEWER.value:
        what = "the interviewer asked"
    elif role == Role.CANDIDATE.value and mode == CommunicationMode.WHITEBOARD.value:
        what = "the candidate shared the whiteboard"
    elif role == Role.CANDIDATE.value:
        what = "the candidate answered"
    else:
        what = "a notice"
    late = " (late)" if message.get("late") else ""
    label = f"Message {seq}: {what}{late}"
    content = str(message.get("content", ""))
    detail = (
        "whiteboard export" if mode == CommunicationMode.WHITEBOARD.value else _snippet(content)
    )
    return label, detail, "message"


def _status_step(kind: EventType, data: Mapping[str, Any]) -> tuple[str, str]:
    if kind is EventType.SESSION_STARTED:
        return "Interview started", "started"
    if kind is EventType.SESSION_PAUSED:
        return "Paused", "paused"
    if kind is EventType.SESSION_RESUMED:
        return "Resumed", "resumed"
    reason = str(data.get("end_reason") or data.get("reason") or "")
    return f"Interview {END_REASONS.get(reason, 'ended')}", "ended"


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def _elapsed(delta: Any) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"+{hours}:{minutes:02d}:{seconds:02d}"
    return f"+{minutes}:{seconds:02d}"


# --------------------------------------------------------------------------- whiteboards


def whiteboard(content: str) -> Whiteboard:
    """A readable outline of a whiteboard export. The export's format is the board's: shapes
    with a type and a text, and connections between them, are recognised under their usual
    names; anything else is shown as the export itself."""
    try:
        parsed = json.loads(content)
    except ValueError:
        return Whiteboard(outline=(), more=0, export=content)
    if not isinstance(parsed, dict | list):
        return Whiteboard(outline=(), more=0, export=content)
    lines = list(_outline(parsed))
    export = json.dumps(parsed, indent=2, ensure_ascii=False)
    return Whiteboard(
        outline=tuple(lines[:OUTLINE_LINES]), more=max(len(lines) - OUTLINE_LINES, 0), export=export
    )


def _outline(parsed: dict[str, Any] | list[Any]) -> Iterator[str]:
    if isinstance(parsed, list):
        elements: list[Any] = parsed
        edges: list[Any] = []
    else:
        for key in ("title", "name", "notes", "text"):
            if isinstance(parsed.get(key), str) and parsed[key].strip():
                yield f"{key.title()}: {parsed[key].strip()}"
        elements = next((v for k in _ELEMENT_KEYS if isinstance(v := parsed.get(k), list)), [])
        edges = next((v for k in _EDGE_KEYS if isinstance(v := parsed.get(k), list)), [])
    names = {
        str(item["id"]): _label(item) or _kind(item) or str(item["id"])
        for item in [*elements, *edges]
        if isinstance(item, dict) and "id" in item
    }
    for item in [*elements, *edges]:
        if isinstance(item, str) and item.strip():
            yield item.strip()
        elif isinstance(item, dict):
            line = _item_line(item, names)
            if line:
                yield line


def _item_line(item: Mapping[str, Any], names: Mapping[str, str]) -> str:
    kind, label = _kind(item), _label(item)
    ends = next(((item[a], item[b]) for a, b in _ENDS if a in item and b in item), None)
    if ends is not None:
        start, end = (_end_name(end, names) for end in ends)
        line = f"{kind or 'connection'} from “{start}” to “{end}”"
        return f"{line}: “{label}”" if label else line
    if kind and label:
        return f"{kind} “{label}”"
    if label:
        return f"“{label}”"
    return kind or ""


def _kind(item: Mapping[str, Any]) -> str:
    return next((str(item[k]) for k in _KIND_KEYS if isinstance(item.get(k), str)), "")


def _label(item: Mapping[str, Any]) -> str:
    for key in _LABEL_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def _end_name(end: Any, names: Mapping[str, str]) -> str:
    if isinstance(end, dict):
        ref = end.get("id", end.get("elementId"))
        return names.get(str(ref), str(ref)) if ref is not None else (_label(end) or "?")
    return names.get(str(end), str(end))


# --------------------------------------------------------------------------- the route


@router.get("/r/{token}", response_class=HTMLResponse)
async def review_page(request: Request, token: str) -> HTMLResponse:
    link = await link_for(request, token, LinkKind.REVIEW)
    if isinstance(link, HTMLResponse):
        return link
    principal = Principal(
        "link", link.id, link.kind.value, link.tenant_id, session_id=link.session_id
    )
    manager = manager_for(request, principal)
    container = container_of(request)
    templates, now = container.templates(), container.clock()()
    try:
        report = await run_sync(request, read_report, manager, templates, link.session_id, now)
    except SessionNotFoundError:  # deleted since the link was made
        return render(request, "link_invalid.html", {"reason": "unknown"}, status=404)
    return render(
        request,
        "review.html",
        {
            "token": token,
            "session_id": link.session_id,
            "report": report,
            "speakers": SPEAKERS,
            "end_reasons": END_REASONS,
        },
    )

"""``OfflineInterviewer``: a deterministic interviewer driven by the template's question bank.

It needs no network and no API key, so the whole system runs (and is tested) without a model.
The same template, state, clock and candidate message always give the same reply. It walks
the template's phases in order, follows up on keywords in the candidate's latest answer,
prefers questions matching the candidate's listed skills, and never asks anything twice.
All it remembers between turns is the small JSON state it returns with each reply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

from ..catalog.personas import YamlPersonaCatalog
from ..errors import InvalidInputError
from ..interview_template import (
    FollowUp,
    InterviewerPhrases,
    InterviewTemplate,
    Phase,
    Question,
    comparable,
    mentions,
)
from ..models import Message, Role, SessionConfig
from ..personas import DEFAULT_PERSONA, Persona, PersonaCatalog, with_acknowledgement
from ..ports import InterviewContext, InterviewerReply, TemplateCatalog
from .phase_clock import read_phase_clock

OPENING_ID: Final = "opening"
CLOSING_ID_PREFIX: Final = "closing:"
#: The English wording (a template in another language brings its own ``phrases``).
FINISHED_MESSAGE: Final = InterviewerPhrases().finished
TIME_SHORT_TRANSITION: Final = InterviewerPhrases().time_short

#: Typographic hyphens and apostrophes that candidates paste, read as their ASCII forms.


class OfflineInterviewer:
    """Implements ``AIInterviewer`` from a ``TemplateCatalog`` alone (see the module docstring).

    State (JSON): ``{"phase": int, "turns_in_phase": int, "asked": [id, ...], "skills": [...]}``
    where ``asked`` holds, in order, "opening", question and follow-up ids and "closing:<n>",
    and ``skills`` the résumé skills that some question of the template prefers.

    The session's persona sets the wording (an acknowledgement before the next question) and
    how many follow-ups a main question may get; ``personas`` defaults to the built-in ones.
    """

    def __init__(self, catalog: TemplateCatalog, personas: PersonaCatalog | None = None) -> None:
        self._catalog = catalog
        self._personas = personas if personas is not None else YamlPersonaCatalog()

    def check_config(self, config: SessionConfig) -> None:
        """Raise the catalog's ``InvalidInputError`` if the template does not exist or has no
        question bank in the session's language (naming the languages it has)."""
        self._catalog.get(config.template, config.language)
        self._personas.get(config.persona)

    def initialize(
        self, session_id: str, resume_data: Mapping[str, Any] | None, *, config: SessionConfig
    ) -> Mapping[str, Any]:
        """The initial state; only the résumé fields the template names are read."""
        template = self._catalog.get(config.template, config.language)
        visible = template.visible_resume(resume_data)
        skills = _preferred_skills(template, _listed_skills(visible.get("skills")))
        return _Progress(phase=0, turns_in_phase=0, asked=[], skills=skills).to_state()

    def opening_question(self, context: InterviewContext) -> InterviewerReply:
        template = self._template(context)
        progress = _Progress.from_state(context.state, template)
        progress.record(OPENING_ID)
        phase = template.phases[progress.phase].id
        return InterviewerReply(
            content=template.opening,
            state=progress.to_state(),
            notes=(f"phase: {phase}",),
            phase=phase,
        )

    def reply(self, context: InterviewContext) -> InterviewerReply:
        """The next question for the candidate's latest message (see the module docstring)."""
        template = self._template(context)
        progress = _Progress.from_state(context.state, template)
        answer = _latest_candidate_text(context.recent_messages)
        notes: list[str] = [] if answer.strip() else ["no answer in the recent messages"]

        phase_before = progress.phase
        last = len(template.phases) - 1
        clock = read_phase_clock(template, context.elapsed_fraction)
        time_short = clock.time_short
        if clock.phase > progress.phase:
            progress.enter(clock.phase)

        persona = self._persona(context)
        text = self._next_question(template, progress, answer, notes, persona)
        if text is None:
            notes.append("all questions asked")
            return InterviewerReply(
                template.phrases.finished,
                progress.to_state(),
                tuple(notes),
                phase=template.phases[progress.phase].id,
            )

        if progress.phase != phase_before:
            phase = template.phases[progress.phase]
            notes.insert(0, f"moved to phase: {phase.id}")
            if progress.phase == last and time_short:
                transition = template.phrases.time_short
                notes.insert(1, "time nearly out: jumped to the last phase")
            else:
                transition = template.phrases.next_phase.format(title=phase.title)
            text = f"{transition} {text}"
        if answer.strip():
            acknowledgement = persona.acknowledgement(len(progress.asked), template.language)
            text = with_acknowledgement(acknowledgement, text)
        return InterviewerReply(
            text, progress.to_state(), tuple(notes), phase=template.phases[progress.phase].id
        )

    def _template(self, context: InterviewContext) -> InterviewTemplate:
        config = context.session.config
        return self._catalog.get(config.template, config.language)

    def _persona(self, context: InterviewContext) -> Persona:
        """The session's persona; one removed from the deployment since the session was
        created gives way to the default, so that a running interview never breaks."""
        try:
            return self._personas.get(context.session.config.persona)
        except InvalidInputError:
            return self._personas.get(DEFAULT_PERSONA)

    def _next_question(
        self,
        template: InterviewTemplate,
        progress: _Progress,
        answer: str,
        notes: list[str],
        persona: Persona,
    ) -> str | None:
        """Pick (and record) the next text to say, advancing phases as budgets run out."""
        last = len(template.phases) - 1
        while True:
            phase = template.phases[progress.phase]
            if progress.turns_in_phase < phase.max_turns:
                probed = _triggered_follow_up(phase, progress, answer, persona.follow_up_depth)
                if probed is not None:
                    follow_up, trigger = probed
                    progress.ask(follow_up.id)
                    notes.append(f"probed: {trigger}")
                    return follow_up.text
                question = _next_main_question(phase, progress)
                if question is not None:
                    notes.extend(_missed_cues(phase, progress, answer))
                    progress.ask(question.id)
                    notes.append(f"asked: {question.id}")
                    return question.text
            if progress.phase == last:
                break
            progress.enter(progress.phase + 1)
        for index, line in enumerate(template.closing):
            closing_id = f"{CLOSING_ID_PREFIX}{index}"
            if closing_id not in progress.asked:
                progress.record(closing_id)
                notes.append("closing")
                return line
        return None


@dataclass
class _Progress:
    """Where the interview is: the state, parsed leniently so a stale state never breaks a turn."""

    phase: int
    turns_in_phase: int
    asked: list[str]
    skills: list[str] = field(default_factory=list)

    @classmethod
    def from_state(cls, state: Mapping[str, Any], template: InterviewTemplate) -> _Progress:
        known = _known_ids(template)
        phase = state.get("phase")
        turns = state.get("turns_in_phase")
        asked = state.get("asked")
        skills = state.get("skills")
        return cls(
            phase=phase if _is_int(phase) and 0 <= phase < len(template.phases) else 0,
            turns_in_phase=turns if _is_int(turns) and turns >= 0 else 0,
            asked=list(dict.fromkeys(_strings(asked, lambda s: s in known))),
            skills=_preferred_skills(template, _strings(skills, lambda _: True)),
        )

    def to_state(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "turns_in_phase": self.turns_in_phase,
            "asked": list(self.asked),
            "skills": list(self.skills),
        }

    def enter(self, phase: int) -> None:
        self.phase = phase
        self.turns_in_phase = 0

    def ask(self, question_id: str) -> None:
        """Record a question of the current phase (it uses one of the phase's turns)."""
        self.record(question_id)
        self.turns_in_phase += 1

    def record(self, item_id: str) -> None:
        if item_id not in self.asked:
            self.asked.append(item_id)

    def last_main_question(self, phase: Phase) -> Question | None:
        by_id = {q.id: q for q in phase.questions}
        for item_id in reversed(self.asked):
            if item_id in by_id:
                return by_id[item_id]
        return None


def _triggered_follow_up(
    phase: Phase, progress: _Progress, answer: str, depth: int
) -> tuple[FollowUp, str] | None:
    """The first unasked follow-up of the phase's last main question the answer triggers,
    unless that question already had ``depth`` follow-ups (the persona's depth)."""
    question = progress.last_main_question(phase)
    if question is None or not answer:
        return None
    if sum(1 for f in question.follow_ups if f.id in progress.asked) >= depth:
        return None
    for follow_up in question.follow_ups:
        if follow_up.id in progress.asked:
            continue
        for trigger in follow_up.triggers:
            if mentions(answer, trigger):
                return follow_up, trigger
    return None


def _next_main_question(phase: Phase, progress: _Progress) -> Question | None:
    """The first unasked main question, preferring those tagged with the candidate's skills."""
    unasked = [q for q in phase.questions if q.id not in progress.asked]
    preferred = [q for q in unasked if set(q.skills) & set(progress.skills)]
    for question in preferred or unasked:
        return question
    return None


def _missed_cues(phase: Phase, progress: _Progress, answer: str) -> list[str]:
    """A note naming the follow-up topics the last answer did not touch (template words only)."""
    question = progress.last_main_question(phase)
    if question is None or not answer.strip():
        return []
    missed = [f.triggers[0] for f in question.follow_ups if f.id not in progress.asked]
    return [f"no mention of: {', '.join(missed)}"] if missed else []


def _latest_candidate_text(messages: Sequence[Message]) -> str:
    """The last candidate message of the window, ready for keyword matching ("" if none)."""
    for message in reversed(messages):
        if message.role is Role.CANDIDATE:
            return comparable(message.content)
    return ""


def _listed_skills(raw: object) -> list[str]:
    """Lower-cased skills from the résumé's ``skills`` list; anything else lists none."""
    if not isinstance(raw, list):
        return []
    return [item.strip().lower() for item in raw if isinstance(item, str) and item.strip()]


def _preferred_skills(template: InterviewTemplate, skills: Iterable[str]) -> list[str]:
    """Only the skills some question prefers: all the interviewer uses, and keeps state small."""
    wanted = {s for phase in template.phases for q in phase.questions for s in q.skills}
    return sorted({s.lower() for s in skills} & wanted)


def _known_ids(template: InterviewTemplate) -> set[str]:
    ids = {OPENING_ID}
    ids.update(f"{CLOSING_ID_PREFIX}{index}" for index in range(len(template.closing)))
    for phase in template.phases:
        for question in phase.questions:
            ids.add(question.id)
            ids.update(f.id for f in question.follow_ups)
    return ids


def _strings(value: object, keep: Callable[[str], bool]) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and keep(item)]


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)

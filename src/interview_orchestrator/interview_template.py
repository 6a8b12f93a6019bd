"""Interview templates: the phases and questions of an interview kind, and its rubric.

Pure data and arithmetic; the YAML files that describe templates are read by ``catalog/``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from .models import DimensionScore


@dataclass(frozen=True)
class FollowUp:
    """A follow-up question, asked when the candidate's answer mentions one of ``triggers``."""

    id: str
    text: str
    triggers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    """A main question; ``skills`` (lower-case) make it preferred for candidates who list them."""

    id: str
    text: str
    follow_ups: tuple[FollowUp, ...] = ()
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Phase:
    """A stage of the interview, given ``share`` of the time and at most ``max_turns`` questions."""

    id: str
    title: str
    share: float
    questions: tuple[Question, ...]
    max_turns: int = 3


@dataclass(frozen=True)
class RubricDimension:
    """A scored dimension; ``levels[n]`` says what a score of n (1-5) looks like."""

    id: str
    title: str
    weight: float
    levels: Mapping[int, str]
    signals: tuple[str, ...] = ()
    thresholds: tuple[int, ...] = (1, 2, 4, 6, 8)


@dataclass(frozen=True)
class Rubric:
    version: str
    dimensions: tuple[RubricDimension, ...]

    def dimension(self, dimension_id: str) -> RubricDimension:
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(dimension_id)


@dataclass(frozen=True)
class InterviewerPhrases:
    """What the offline interviewer says between questions, in the template's language."""

    #: Said before the first question of a new phase; ``{title}`` is the phase's title.
    next_phase: str = "Let's move on to the next part: {title}."
    #: Said when the clock jumps the interview to its last phase.
    time_short: str = "We're nearly out of time, so let's wrap up."
    #: Said once every question and closing line has been asked.
    finished: str = (
        "That's all the questions I have. Thank you for your time; "
        "you can end the interview whenever you're ready."
    )


@dataclass(frozen=True)
class InterviewTemplate:
    """Everything an interviewer and an evaluator need to know about one kind of interview."""

    name: str
    version: str
    title: str
    persona: str
    phases: tuple[Phase, ...]
    rubric: Rubric
    opening: str
    closing: tuple[str, ...]
    resume_fields: tuple[str, ...] = field(default=("skills",))
    #: The language its questions, wording, triggers and signals are written in (BCP 47).
    language: str = "en"
    phrases: InterviewerPhrases = field(default_factory=InterviewerPhrases)

    def phase_index_at(self, elapsed_fraction: float) -> int:
        """The phase the clock says the interview should be in."""
        boundary = 0.0
        for index, phase in enumerate(self.phases):
            boundary += phase.share
            if elapsed_fraction < boundary:
                return index
        return len(self.phases) - 1

    def visible_resume(self, resume_data: Mapping[str, object] | None) -> dict[str, object]:
        """Only the résumé fields this template asks for (data minimisation)."""
        if not resume_data:
            return {}
        return {k: resume_data[k] for k in self.resume_fields if k in resume_data}


@dataclass(frozen=True)
class OverallScore:
    """The 0-100 score over the dimensions with evidence, and the share of weight they cover."""

    score: float | None
    coverage: float


def overall_score(rubric: Rubric, scores: Mapping[str, DimensionScore]) -> OverallScore:
    """Weighted mean of the 1-5 scores mapped to 0-100; dimensions without evidence are left out.

    A score of 1 maps to 0 and 5 to 100. With no evidence at all the score is None, never 0.
    """
    total_weight = sum(d.weight for d in rubric.dimensions)
    scored: Sequence[tuple[float, int]] = [
        (dim.weight, scores[dim.id].score)  # type: ignore[misc]
        for dim in rubric.dimensions
        if dim.id in scores and scores[dim.id].score is not None
    ]
    covered = sum(w for w, _ in scored)
    coverage = round(covered / total_weight, 4) if total_weight else 0.0
    if not scored or covered <= 0:
        return OverallScore(score=None, coverage=coverage)
    value = sum(w * (s - 1) / 4 * 100 for w, s in scored) / covered
    return OverallScore(score=round(value, 1), coverage=coverage)


# --------------------------------------------------------------------------- keyword matching
# Follow-up triggers and rubric signals are matched by one rule, so the offline interviewer and
# the rubric evaluator hear the same words.

_TYPOGRAPHIC: Final = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2019": "'"})


def comparable(text: str) -> str:
    """``text`` lower-cased, with typographic hyphens and apostrophes made plain."""
    return text.translate(_TYPOGRAPHIC).lower()


def mentions(comparable_text: str, keyword: str) -> bool:
    """Whether ``keyword`` occurs in ``comparable(text)`` as a word or phrase: any whitespace
    between its words, an optional plural "s"/"es" after a final letter or digit, and no other
    variants (templates list "trade-off" and "tradeoff" separately)."""
    return _keyword_pattern(keyword).search(comparable_text) is not None


@functools.lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    """Starts with the keyword's first word as a literal, so the regex engine can scan for it
    quickly; the word boundary before it is checked by a look-behind after it."""
    first, *rest = (re.escape(word) for word in keyword.split())
    body = first
    if keyword[:1].isalnum():
        body += rf"(?<!\w{first})"
    body += "".join(rf"\s+{word}" for word in rest)
    if keyword[-1:].isalnum():
        body += r"(?:e?s)?(?!\w)"
    return re.compile(body)

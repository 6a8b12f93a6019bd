"""``RubricEvaluator``: transparent, rule-based scoring by the rubric's own signal keywords.

Each dimension's score is the number of its ``thresholds`` met by the count of DISTINCT
signals found in the candidate's messages, so anyone can recompute it by hand. Only the
candidate's words count, and only through the rubric's keywords: repeating a keyword, or
instructions aimed at the scorer, change nothing. With too few signals a dimension gets
``None`` (insufficient evidence), never an invented number. The résumé is never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ..interview_template import Rubric, RubricDimension, comparable, mentions
from ..models import DimensionScore, Role
from ..ports import EvaluationDraft, EvaluationRequest

MODEL_NAME: Final = "rubric-rules"
METHOD: Final = "signal-count"
STRENGTH_FROM: Final = 4
IMPROVEMENT_UP_TO: Final = 2

#: Typographic hyphens and apostrophes that candidates paste, read as their ASCII forms.


@dataclass(frozen=True)
class _Finding:
    """What one dimension's signals found: which signals, in which candidate messages."""

    dimension: RubricDimension
    signals: tuple[str, ...]
    seqs: tuple[int, ...]

    @property
    def score(self) -> int | None:
        count = len(self.signals)
        met = sum(1 for needed in self.dimension.thresholds if count >= needed)
        return met if met >= 1 else None


class RubricEvaluator:
    """Implements ``Evaluator`` with keyword rules (see the module docstring)."""

    def evaluate(self, request: EvaluationRequest) -> EvaluationDraft:
        rubric = request.template.rubric
        answers = [
            (m.seq, comparable(m.content)) for m in request.transcript if m.role is Role.CANDIDATE
        ]
        findings = [_find(dimension, answers) for dimension in rubric.dimensions]
        return EvaluationDraft(
            dimension_scores={f.dimension.id: _dimension_score(f) for f in findings},
            strengths=_strengths(findings),
            improvements=_improvements(findings),
            summary=_summary(findings, candidate_messages=len(answers)),
            model=MODEL_NAME,
            provenance=_provenance(rubric, findings),
        )


def _find(dimension: RubricDimension, answers: Sequence[tuple[int, str]]) -> _Finding:
    found: set[str] = set()
    seqs: set[int] = set()
    for seq, text in answers:
        in_message = {s for s in dimension.signals if mentions(text, s)}
        if in_message:
            found |= in_message
            seqs.add(seq)
    ordered = tuple(s for s in dimension.signals if s in found)
    return _Finding(dimension, ordered, tuple(sorted(seqs)))


def _dimension_score(finding: _Finding) -> DimensionScore:
    dimension, score = finding.dimension, finding.score
    count = len(finding.signals)
    where = ", ".join(str(seq) for seq in finding.seqs)
    listed = ", ".join(finding.signals)
    if score is None:
        if count == 0:
            rationale = "insufficient evidence: none of this dimension's signals was mentioned"
        else:
            rationale = (
                f"insufficient evidence: found {count} signal(s) ({listed}) in message(s) "
                f"{where}; {dimension.thresholds[0]} needed for a score"
            )
        return DimensionScore(dimension.id, None, (), rationale)
    rationale = (
        f"found {count} of {len(dimension.signals)} signals: {listed} in message(s) {where}; "
        f"thresholds {list(dimension.thresholds)} give {score}/5"
    )
    return DimensionScore(dimension.id, score, finding.seqs, rationale)


def _by_score(findings: Sequence[_Finding], *, best_first: bool) -> list[_Finding]:
    """Sorted by score (no evidence counts lowest), ties in rubric order."""
    return sorted(findings, key=lambda f: (f.score or 0) * (-1 if best_first else 1))


def _strengths(findings: Sequence[_Finding]) -> tuple[str, ...]:
    return tuple(
        f"{f.dimension.title}: {f.dimension.levels[f.score]}"
        for f in _by_score(findings, best_first=True)
        if f.score is not None and f.score >= STRENGTH_FROM
    )


def _improvements(findings: Sequence[_Finding]) -> tuple[str, ...]:
    return tuple(
        f"{f.dimension.title} — aim for: {f.dimension.levels[5]}"
        for f in _by_score(findings, best_first=False)
        if f.score is None or f.score <= IMPROVEMENT_UP_TO
    )


def _summary(findings: Sequence[_Finding], *, candidate_messages: int) -> str:
    if candidate_messages == 0:
        return "The candidate sent no messages, so no dimension could be scored."
    scored = [f for f in findings if f.score is not None]
    if not scored:
        return (
            f"None of the rubric's signals appeared in the candidate's {candidate_messages} "
            "message(s), so every dimension has insufficient evidence."
        )
    sentences = [f"Evidence was found for {len(scored)} of {len(findings)} dimensions."]
    strongest = _by_score(scored, best_first=True)[0]
    weakest = _by_score(scored, best_first=False)[0]
    if len(scored) == 1:
        sentences.append(f"Only {_label(strongest)} could be scored.")
    elif strongest.score == weakest.score:
        sentences.append(f"Every scored dimension is at {strongest.score}/5.")
    else:
        sentences.append(f"Strongest: {_label(strongest)}. Weakest: {_label(weakest)}.")
    missing = [f.dimension.title for f in findings if f.score is None]
    if missing:
        sentences.append(f"Insufficient evidence for: {', '.join(missing)}.")
    return " ".join(sentences)


def _label(finding: _Finding) -> str:
    return f"{finding.dimension.title} ({finding.score}/5)"


def _provenance(rubric: Rubric, findings: Sequence[_Finding]) -> dict[str, object]:
    return {
        "method": METHOD,
        "rubric_version": rubric.version,
        "signals_found": {f.dimension.id: len(f.signals) for f in findings},
    }

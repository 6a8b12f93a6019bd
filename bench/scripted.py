"""An instant scripted interviewer and evaluator, so that a benchmark measures the library.

Both answer at once and keep their state small and constant in size, whatever the length of the
transcript: what a turn costs is then the library's and the database's cost, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interview_orchestrator.models import DimensionScore, Role, SessionConfig
from interview_orchestrator.ports import (
    EvaluationDraft,
    EvaluationRequest,
    InterviewContext,
    InterviewerReply,
)

from .plan import OPENING, QUESTIONS


class ScriptedInterviewer:
    """An ``AIInterviewer`` that asks a fixed cycle of questions; its state is a turn counter."""

    def check_config(self, config: SessionConfig) -> None:
        """Every configuration is accepted."""

    def initialize(
        self, session_id: str, resume_data: Mapping[str, Any] | None, *, config: SessionConfig
    ) -> Mapping[str, Any]:
        return {"turn": 0}

    def opening_question(self, context: InterviewContext) -> InterviewerReply:
        return InterviewerReply(OPENING, {"turn": 0})

    def reply(self, context: InterviewContext) -> InterviewerReply:
        turn = int(context.state.get("turn", 0)) + 1
        return InterviewerReply(QUESTIONS[turn % len(QUESTIONS)], {"turn": turn})


class InstantEvaluator:
    """An ``Evaluator`` that scores every rubric dimension 3, citing the candidate's first
    message, so the report is READY and its evidence checks pass."""

    def evaluate(self, request: EvaluationRequest) -> EvaluationDraft:
        first = next((m.seq for m in request.transcript if m.role is Role.CANDIDATE), None)
        evidence = () if first is None else (first,)
        scores = {
            dim.id: DimensionScore(dim.id, 3 if evidence else None, evidence, "scripted")
            for dim in request.template.rubric.dimensions
        }
        return EvaluationDraft(
            dimension_scores=scores,
            strengths=("clear structure",),
            improvements=("more numbers",),
            summary="Scripted evaluation.",
            model="instant",
        )

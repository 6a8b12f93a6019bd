"""What a model answers, for scripting: the interviewer's turn and the evaluator's assessment
in the shapes the library asks for, and ``plausible_responder``, a handler that answers any
request of the library sensibly so that whole interviews run without scripting each call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from .server import RecordedRequest, ScriptedResponse, completion

_CANDIDATE_SEQ: Final = re.compile(r'\{"candidate_(?:message|whiteboard_export)": \{"seq": (\d+)')


def interviewer_turn(
    reply: str,
    notes: Sequence[str] = (),
    *,
    summary: str = "",
    phase_complete: bool = False,
) -> dict[str, Any]:
    """The JSON an LLM interviewer answers with for one turn."""
    return {
        "reply": reply,
        "notes": list(notes),
        "summary": summary,
        "phase_complete": phase_complete,
    }


def evaluation(
    dimensions: Mapping[str, tuple[int | None, Sequence[int]]],
    *,
    strengths: Sequence[str] = ("Structured the problem clearly",),
    improvements: Sequence[str] = ("Quantify the trade-offs",),
    summary: str = "A scripted assessment.",
    rationale: str = "Scripted rationale.",
) -> dict[str, Any]:
    """The JSON an LLM evaluator answers with: ``{dimension: (score or None, [seq, ...])}``."""
    return {
        "dimensions": {
            dim_id: {"score": score, "evidence": list(evidence), "rationale": rationale}
            for dim_id, (score, evidence) in dimensions.items()
        },
        "strengths": list(strengths),
        "improvements": list(improvements),
        "summary": summary,
    }


def plausible_responder(request: RecordedRequest) -> ScriptedResponse | None:
    """A ``ScriptedOpenAIServer`` handler that answers the library's requests plausibly: an
    interviewer turn with a follow-up question and a note, or an evaluation giving every
    rubric dimension a 3 that cites the candidate's messages (insufficient evidence when there
    are none). Other requests are left unanswered (None)."""
    if request.schema_name == "interviewer_turn":
        turn = len([m for m in request.messages if m.get("role") == "assistant"]) + 1
        return completion(
            interviewer_turn(
                f"Thanks. Could you walk me through the next part of your design? ({turn})",
                [f"scripted note {turn}"],
                summary="Scripted summary of the earlier conversation.",
            )
        )
    if request.schema_name == "evaluation":
        data = request.json or {}
        schema = data["response_format"]["json_schema"]["schema"]
        dimension_ids = list(schema["properties"]["dimensions"]["properties"])
        seqs = sorted(
            {
                int(s)
                for m in request.messages
                for s in _CANDIDATE_SEQ.findall(str(m.get("content", "")))
            }
        )
        score = 3 if seqs else None
        return completion(evaluation({d: (score, seqs[:3]) for d in dimension_ids}))
    return None

"""Citation checks, one rule for every evaluator and for the evaluation service: a cited
message must exist and be the candidate's. The citations that verify are kept, the others
dropped with the reason; a score is kept only while at least one citation verifies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..models import Message, Role


@dataclass(frozen=True)
class CheckedCitations:
    """One dimension's citations: those that verify (sorted, once each) and those dropped,
    each with why."""

    kept: tuple[int, ...]
    dropped: Mapping[int, str]

    def problem(self) -> str:
        """Why no citation verifies, for a re-ask or a rationale."""
        if not self.dropped:
            return "it gives a score but cites no message"
        return "; ".join(self.dropped[seq] for seq in sorted(self.dropped))


def message_roles(transcript: Sequence[Message]) -> dict[int, Role]:
    return {m.seq: m.role for m in transcript}


def check_citations(evidence: Iterable[int], roles: Mapping[int, Role]) -> CheckedCitations:
    """Split ``evidence`` (message seq numbers) into verified and dropped citations."""
    kept: set[int] = set()
    dropped: dict[int, str] = {}
    for seq in evidence:
        if seq not in roles:
            dropped[seq] = f"#{seq} does not exist"
        elif roles[seq] is not Role.CANDIDATE:
            dropped[seq] = f"#{seq} is not the candidate's message"
        else:
            kept.add(seq)
    return CheckedCitations(tuple(sorted(kept)), dropped)


def dropped_for_provenance(dropped: Mapping[str, CheckedCitations]) -> dict[str, list[int]]:
    """Per dimension, the citations dropped (only dimensions that dropped any)."""
    return {dim: sorted(check.dropped) for dim, check in sorted(dropped.items()) if check.dropped}

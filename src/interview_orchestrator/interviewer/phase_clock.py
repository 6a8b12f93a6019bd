"""The interview's phase clock, shared by every interviewer: which phase the time spent says
the interview should be in, and whether time is nearly out."""

from __future__ import annotations

from dataclasses import dataclass

from ..interview_template import InterviewTemplate


@dataclass(frozen=True)
class ClockReading:
    """``phase``: the index the clock asks for; ``time_short``: the last phase's share (or
    less) of the time is left, so the interview jumps to the last phase and wraps up."""

    phase: int
    time_short: bool


def read_phase_clock(
    template: InterviewTemplate, elapsed_fraction: float, *, time_short: bool = False
) -> ClockReading:
    """The phase for ``elapsed_fraction`` of the interview's time. ``time_short`` says time is
    nearly out for a reason of the caller's own (a fixed number of seconds left, say); either
    way the last phase is asked for."""
    last = len(template.phases) - 1
    short = time_short or elapsed_fraction >= 1 - template.phases[last].share
    return ClockReading(last if short else template.phase_index_at(elapsed_fraction), short)


__all__ = ["ClockReading", "read_phase_clock"]

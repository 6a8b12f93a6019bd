"""The phase clock both interviewers follow: the phase the time spent asks for, and the jump to
the last phase when time is nearly out."""

from __future__ import annotations

import pytest

from interview_orchestrator.catalog import YamlTemplateCatalog
from interview_orchestrator.interview_template import InterviewTemplate
from interview_orchestrator.interviewer.phase_clock import ClockReading, read_phase_clock


@pytest.fixture(scope="module")
def template() -> InterviewTemplate:
    return YamlTemplateCatalog().get("system_design")


def boundaries(template: InterviewTemplate) -> list[float]:
    """Where each phase ends, as a fraction of the interview's time."""
    ends, total = [], 0.0
    for phase in template.phases:
        total += phase.share
        ends.append(total)
    return ends


def test_the_clock_asks_for_the_phase_whose_share_of_the_time_is_running(
    template: InterviewTemplate,
) -> None:
    ends = boundaries(template)
    assert read_phase_clock(template, 0.0) == ClockReading(0, time_short=False)
    assert read_phase_clock(template, ends[0]) == ClockReading(1, time_short=False)
    assert read_phase_clock(template, ends[1] - 0.001) == ClockReading(1, time_short=False)


def test_once_only_the_last_phases_share_is_left_time_is_short(
    template: InterviewTemplate,
) -> None:
    last = len(template.phases) - 1
    start_of_last = 1 - template.phases[last].share
    assert read_phase_clock(template, start_of_last) == ClockReading(last, time_short=True)
    assert read_phase_clock(template, 1.5) == ClockReading(last, time_short=True)


def test_a_caller_may_call_time_short_earlier_for_reasons_of_its_own(
    template: InterviewTemplate,
) -> None:
    last = len(template.phases) - 1
    assert read_phase_clock(template, 0.1, time_short=True) == ClockReading(last, time_short=True)

"""Redaction costs time linear in its input: a hostile value (a provider's error body, a
request field echoed into an error) cannot stall the thread that logs it.

These are complexity guards, not benchmarks: the bounds are generous, and a regression to
quadratic time misses them by orders of magnitude (a megabyte of word characters took over
half an hour). Time is the thread's CPU time, so that other processes on a busy machine (a
parallel test run) do not count."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from interview_orchestrator.logging import (
    MAX_LOGGED_CHARS,
    REDACTED,
    build_logger,
    clip,
    scrub_text,
)

MEGABYTE = 1_000_000

#: Shapes that made some pattern scan to the end of a long run from every position in it.
SHAPES: dict[str, Callable[[int], str]] = {
    "word characters": lambda n: "a" * n,
    "repeated a@": lambda n: "a@" * (n // 2),
    "repeated 1@": lambda n: "1@" * (n // 2),
    "digits with spaces": lambda n: "1 " * (n // 2),
    "digits with dashes": lambda n: "1-" * (n // 2),
    "digits with dots": lambda n: "1." * (n // 2),
    "many dots": lambda n: "a." * (n // 2),
    "local-part characters": lambda n: "ab.cd+" * (n // 6),
    "domain without a dot": lambda n: "a@" + "b" * (n - 2),
    "key prefixes": lambda n: "sk-" * (n // 3),
    "bearer words": lambda n: "Bearer " * (n // 7),
    "hexadecimal": lambda n: "0123456789abcdef" * (n // 16),
    "phone-like runs": lambda n: "+1 (555) 123-4567 " * (n // 18),
    "short digit groups": lambda n: "1 2 3 4 5 6 7 a " * (n // 16),
    "addresses and dates": lambda n: "10.0.0.1 2024-01-05T10:00:00Z " * (n // 30),
    "spaces": lambda n: " " * n,
    "parentheses": lambda n: "(" * n,
    "dots alone": lambda n: "." * n,
    "a digit after spaces": lambda n: " " * (n - 1) + "1",
    "digits far apart": lambda n: ("1" + " " * 99) * (n // 100),
    "prose": lambda n: "The quick brown fox jumps over the lazy dog. " * (n // 45),
}


def seconds_to_scrub(text: str) -> float:
    started = time.thread_time()
    scrub_text(text)
    return time.thread_time() - started


#: Smaller sizes first, so that a quadratic scrubber fails in seconds rather than in hours.
SIZES = (MEGABYTE // 100, MEGABYTE // 10, MEGABYTE)


@pytest.mark.parametrize("make", SHAPES.values(), ids=SHAPES.keys())
def test_a_megabyte_is_scrubbed_well_under_a_second(make: Callable[[int], str]) -> None:
    for size in SIZES:
        text = make(size)
        # A second try before failing: a busy machine can slow one run's caches, not both.
        elapsed = seconds_to_scrub(text)
        if elapsed >= 0.5:
            elapsed = min(elapsed, seconds_to_scrub(text))
        assert elapsed < 0.5, f"{size} characters"


@pytest.mark.parametrize("make", SHAPES.values(), ids=SHAPES.keys())
def test_scrubbing_time_grows_linearly_with_the_input(make: Callable[[int], str]) -> None:
    """Ten times the input costs about ten times the time (quadratic would be a hundred); the
    best of three runs of the smaller sizes, and two milliseconds of slack, keep noise out."""
    previous = None
    for size in SIZES:
        text = make(size)
        elapsed = min(seconds_to_scrub(text) for _ in range(3 if size < MEGABYTE else 1))
        if previous is not None:
            assert elapsed < 25 * previous + 0.002, f"{size} characters"
        previous = elapsed


def test_a_long_value_is_clipped_with_a_marker() -> None:
    assert clip("word " * 1000, 2000) == "word " * 399 + "word [3001 more characters]"


def test_short_values_are_not_clipped() -> None:
    assert clip("short enough", 2000) == "short enough"


def test_clipping_never_keeps_the_start_of_a_word_it_cuts() -> None:
    """A secret cut in half would no longer match its pattern: the whole word goes."""
    text = "x" * 1990 + " ada@example.org and more"
    assert clip(text, 2000) == "x" * 1990 + " [25 more characters]"


def test_clipping_never_keeps_the_start_of_a_phone_number_it_cuts() -> None:
    text = "x" * 1990 + " +44 20 7946 0958"
    assert clip(text, 2000) == "x" * 1990 + " [17 more characters]"


def test_a_value_that_is_one_long_word_is_clipped_to_the_marker() -> None:
    assert clip("a" * 60_000, 2000) == "[60000 more characters]"


def test_a_megabyte_log_value_becomes_a_clipped_line_quickly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = build_logger().bind(component="Test")
    started = time.thread_time()
    log.warning("huge", operation="op", detail="a" * MEGABYTE + " ada@example.org")
    elapsed = time.thread_time() - started
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    detail = line["metadata"]["detail"]
    assert elapsed < 0.5
    assert detail == f"[{MEGABYTE + 16} more characters]"


def test_a_clipped_value_is_still_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    log = build_logger().bind(component="Test")
    log.warning("huge", operation="op", detail="write to ada@example.org " + "z " * MEGABYTE)
    detail = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["metadata"]["detail"]
    assert detail.startswith(f"write to {REDACTED} z z") and detail.endswith("more characters]")
    assert len(detail) <= MAX_LOGGED_CHARS + len(" [1998025 more characters]")

"""The log line's shape and its redaction of personal data."""

from __future__ import annotations

import json

import pytest

from interview_orchestrator.logging import REDACTED, build_logger, scrub_text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("write to ada@example.org today", "ada@example.org"),
        ("call +44 20 7946 0958 after six", "7946 0958"),
        ("call (555) 123-4567", "123-4567"),
        ("key sk-proj-abcdefghijklmnop1234", "sk-proj-abcdefghijklmnop1234"),
        ("Authorization: Bearer abcdefghijklmnop.qrstu", "abcdefghijklmnop.qrstu"),
    ],
)
def test_personal_data_and_keys_are_scrubbed_from_text(text: str, secret: str) -> None:
    scrubbed = scrub_text(text)
    assert secret not in scrubbed and REDACTED in scrubbed


def test_session_ids_survive_scrubbing_even_when_all_digits() -> None:
    sid = "00000000-0000-4000-8000-000000000000"
    assert scrub_text(f"cannot end session '{sid}' (+1 555 123 4567)") == (
        f"cannot end session '{sid}' ({REDACTED})"
    )


def test_a_line_has_the_fixed_fields_and_drops_sensitive_keys(capsys: pytest.CaptureFixture[str]) -> None:
    log = build_logger().bind(component="Test")
    log.info("hello", operation="op", session_id="s-1",
             metadata={"resume_data": {"name": "Ada"}, "count": 3}, content="the answer")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert list(line)[:7] == ["timestamp", "level", "component", "operation", "message", "session_id", "metadata"]
    assert line["metadata"] == {"resume_data": REDACTED, "count": 3, "content": REDACTED}


def test_a_failure_carries_its_stack_but_no_local_variables(capsys: pytest.CaptureFixture[str]) -> None:
    log = build_logger().bind(component="Test")
    answer = "my secret answer"  # a local that must not be logged
    try:
        raise ValueError("boom")
    except ValueError:
        log.error("failed", operation="op", exc_info=True)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["exception"][0]["exc_type"] == "ValueError"
    assert line["exception"][0]["frames"]
    assert answer not in json.dumps(line)


def test_lines_below_the_level_are_not_written(capsys: pytest.CaptureFixture[str]) -> None:
    log = build_logger(level="WARNING").bind(component="Test")
    log.info("quiet", operation="op")
    log.warning("loud", operation="op")
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines()]
    assert [line["message"] for line in lines] == ["loud"]

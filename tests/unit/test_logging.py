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


@pytest.mark.parametrize(
    "phone",
    [
        "+15551234567",
        "+44 (0)20 7946 0958",
        "+1-202-555-0123",
        "555-123-4567",
        "555.123.4567",
        "020 7946 0958",
        "(555) 1234567",
    ],
)
def test_phone_numbers_in_their_written_forms_are_scrubbed(phone: str) -> None:
    assert scrub_text(f"reach me at {phone}, evenings") == f"reach me at {REDACTED}, evenings"


@pytest.mark.parametrize(
    "text",
    [
        "offset must be at most 10000000, got 100000000000",
        "event 123456789012 of session 42 is missing",
        "listening on port 5432 since 1999",
        "created at 2024-01-05T10:00:00.123456+02:00, ended 2024-01-05 10:45:00Z",
        "could not connect to 192.168.100.200:5432 or 10.0.0.1.",
        "running 10.0.19041.1234 with 1.26.4",
        "took 12.3456789 s on ports 8000-8080",
    ],
)
def test_plain_numbers_dates_addresses_and_versions_survive_scrubbing(text: str) -> None:
    assert scrub_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused',
        "could not connect to postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "could not connect to postgresql://app@db.internal.example.com:5432/interviews",
        "OpenAI-compatible server at http://localhost:11434/v1 answered 404",
    ],
)
def test_host_names_loopback_addresses_and_database_roles_stay_readable(text: str) -> None:
    assert scrub_text(text) == text


def test_a_password_in_a_url_is_scrubbed_and_its_user_and_host_kept() -> None:
    assert scrub_text("postgresql://app:s3cret-Pw@db.example.com:5432/x failed") == (
        f"postgresql://app:{REDACTED}@db.example.com:5432/x failed"
    )


def test_an_email_address_after_two_slashes_outside_a_url_is_scrubbed() -> None:
    assert scrub_text("notes//ada@example.com") == f"notes//{REDACTED}"


def test_an_email_address_made_of_an_id_is_scrubbed() -> None:
    address = "00000000-0000-4000-8000-000000000000@example.org"
    assert scrub_text(f"to {address}") == f"to {REDACTED}"


def test_text_that_looks_like_an_internal_placeholder_is_left_alone() -> None:
    text = "\x005\x00 00000000-0000-4000-8000-000000000000"
    assert scrub_text(text) == text


def test_session_ids_survive_scrubbing_even_when_all_digits() -> None:
    sid = "00000000-0000-4000-8000-000000000000"
    assert scrub_text(f"cannot end session '{sid}' (+1 555 123 4567)") == (
        f"cannot end session '{sid}' ({REDACTED})"
    )


def test_a_line_has_the_fixed_fields_and_drops_sensitive_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = build_logger().bind(component="Test")
    log.info(
        "hello",
        operation="op",
        session_id="s-1",
        metadata={"resume_data": {"name": "Ada"}, "count": 3},
        content="the answer",
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert list(line)[:7] == [
        "timestamp",
        "level",
        "component",
        "operation",
        "message",
        "session_id",
        "metadata",
    ]
    assert line["metadata"] == {"resume_data": REDACTED, "count": 3, "content": REDACTED}


def test_a_failure_carries_its_stack_but_no_local_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
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

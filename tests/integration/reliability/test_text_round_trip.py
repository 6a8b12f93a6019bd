"""Property: any text the documented rules accept comes back from the transcript unchanged,
on SQLite and PostgreSQL.

The rules (README, "Limits"): not blank, no NUL, at most 20,000 characters (200,000 on the
whiteboard), valid Unicode (no lone surrogates). Everything else is fair game: astral-plane
characters, combining marks, bidirectional marks and overrides, every kind of newline,
quotes, backslashes, SQL and LIKE metacharacters, C0 and C1 controls, private-use and
unassigned code points. One session per database takes every example (its time limit is
480 minutes of wall-clock time, far beyond the few seconds the test runs).
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import example, given, settings
from hypothesis import strategies as st
from tests.planted import planted_resume

from interview_orchestrator import CommunicationMode, Role, SessionConfig, SessionManager
from interview_orchestrator.models import MAX_MESSAGE_CHARS

EXAMPLES = 100
MODES = [CommunicationMode.TEXT, CommunicationMode.WHITEBOARD, CommunicationMode.AUDIO]

#: Fragments that random text rarely produces on its own.
SPECIALS = st.sampled_from(
    [
        "'",
        '"',
        "`",
        "\\",
        "\\\\",
        "\\x00",
        "\\u0000",
        ";",
        "--",
        "/*",
        "*/",
        "%",
        "_",
        "' OR '1'='1",
        "'); DROP TABLE messages; --",
        "$1",
        ":name",
        "?",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "\v",
        "\f",
        "\x1b[31m",
        "\x7f",
        "\x85",
        "\u2028",
        "\u2029",
        "\u202e",
        "\u202d",
        "\u200f",
        "\u200e",
        "\u2066",
        "\u2067",
        "\u2069",
        "\u061c",
        "\u0301",
        "e\u0301",
        "\u0338",
        "\u200b",
        "\u200d",
        "\ufeff",
        "\ufffd",
        "\uffff",
        "😀",
        "👩\u200d💻",
        "🏳️\u200d🌈",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "\U0010ffff",
        "\U000e0001",
        "\ue000",
        "עברית",
        "العربية",
        "中文",
        "   ",
    ]
)
ANY_CHARACTER = st.characters(codec="utf-8", exclude_characters="\x00")  # no surrogates


def _within_limit(text: str) -> str:
    return text[: MAX_MESSAGE_CHARS[CommunicationMode.TEXT]]


TEXTS = (
    st.lists(st.one_of(st.text(ANY_CHARACTER, min_size=1), SPECIALS), min_size=1, max_size=12)
    .map("".join)
    .map(_within_limit)
    .filter(lambda text: text.strip() != "")
)
LONG_TEXTS = st.builds(
    lambda text, times: _within_limit(text * times), TEXTS, st.integers(100, 20_000)
)


def test_any_text_the_rules_accept_round_trips_unchanged(
    manager: SessionManager, figures: Callable[..., None]
) -> None:
    session = manager.create_session(
        SessionConfig(enabled_modes=MODES, duration_minutes=480, resume_data=planted_resume()),
        user_id="round-trip",
    )
    manager.start_session(session.id)
    sent: list[tuple[str, CommunicationMode]] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None)
    @given(text=st.one_of(TEXTS, TEXTS, TEXTS, LONG_TEXTS), mode=st.sampled_from(MODES))
    @example(text="x" * 20_000, mode=CommunicationMode.TEXT)
    @example(text=" \u00a0a\u00a0 ", mode=CommunicationMode.AUDIO)  # edges kept, not stripped
    @example(text="\r\n\t'\"\\%_;--\u202e😀e\u0301\U0010ffff", mode=CommunicationMode.TEXT)
    def round_trip(text: str, mode: CommunicationMode) -> None:
        manager.send_message(session.id, text, mode)
        sent.append((text, mode))
        transcript = manager.get_transcript(session.id)
        candidate = [(m.content, m.mode) for m in transcript if m.role is Role.CANDIDATE]
        assert candidate[-1] == (text, mode)
        assert candidate == sent  # nothing earlier changed either
        assert [m.seq for m in transcript] == list(range(1, len(transcript) + 1))

    round_trip()
    assert len(sent) >= EXAMPLES
    figures(examples=len(sent), characters=sum(len(text) for text, _ in sent))

"""Local token estimates: conservative, no download, and clipping that says what it cut."""

from __future__ import annotations

from interview_orchestrator.llm.tokens import (
    clip_tail_to_tokens,
    clip_to_tokens,
    estimate_messages,
    estimate_tokens,
)
from interview_orchestrator.ports import ChatMessage


def test_ascii_text_counts_about_four_characters_per_token() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2
    assert estimate_tokens("x" * 4000) == 1000


def test_other_characters_count_one_token_each() -> None:
    assert estimate_tokens("日本語") == 3
    assert estimate_tokens("café") == 2  # "caf" -> 1, "é" -> 1


def test_messages_add_a_small_overhead_each() -> None:
    messages = [ChatMessage("system", "x" * 40), ChatMessage("user", "y" * 40)]
    assert estimate_messages(messages) == 10 + 10 + 2 * 4 + 3


def test_text_within_the_budget_is_not_clipped() -> None:
    assert clip_to_tokens("short text", 100) == "short text"


def test_clipped_text_fits_the_budget_and_says_how_much_was_cut() -> None:
    text = "abcd" * 1000
    clipped = clip_to_tokens(text, 50)
    assert estimate_tokens(clipped) <= 50
    assert clipped.startswith("abcd")
    hidden = int(clipped.rsplit("clipped: ", 1)[1].split(" ")[0])
    assert hidden == len(text) - clipped.index(" [… clipped")


def test_tail_clipping_keeps_the_newest_part() -> None:
    text = "old " * 200 + "NEWEST"
    clipped = clip_tail_to_tokens(text, 20)
    assert clipped.startswith("… ") and clipped.endswith("NEWEST")
    assert estimate_tokens(clipped) <= 20

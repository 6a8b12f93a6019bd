"""Token estimates computed locally: nothing is downloaded at run time (no tokenizer files).

The rule is deliberately conservative: about four ASCII characters per token (English text
and code), and one token per other character (accented, CJK, emoji ...), so a budget in
estimated tokens is not exceeded by real ones for the texts an interview produces.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ..ports import ChatMessage

ASCII_CHARS_PER_TOKEN: Final = 4
#: The role and framing each chat message adds (OpenAI documents 3-4 per message).
MESSAGE_OVERHEAD_TOKENS: Final = 4
CLIP_MARKER: Final = " [… clipped: {hidden} more characters]"


def estimate_tokens(text: str) -> int:
    """Estimated tokens of ``text``: ceil(ASCII characters / 4) + other characters."""
    other = sum(1 for char in text if ord(char) > 127)
    ascii_chars = len(text) - other
    return -(-ascii_chars // ASCII_CHARS_PER_TOKEN) + other


def estimate_messages(messages: Iterable[ChatMessage]) -> int:
    """Estimated prompt tokens of a chat request's messages."""
    return sum(estimate_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages) + 3


def clip_to_tokens(text: str, max_tokens: int) -> str:
    """``text`` if it fits ``max_tokens``, else its beginning with a marker saying how much was
    cut (the marker counts against the budget)."""
    if estimate_tokens(text) <= max_tokens:
        return text
    end = _fitting_chars(text, max(max_tokens - 12, 1))
    return text[:end] + CLIP_MARKER.format(hidden=len(text) - end)


def clip_tail_to_tokens(text: str, max_tokens: int) -> str:
    """``text`` if it fits, else its END (the newest part of a rolling summary) after "…"."""
    if estimate_tokens(text) <= max_tokens:
        return text
    kept = _fitting_chars(text[::-1], max(max_tokens - 2, 1))
    return "… " + text[len(text) - kept :]


def _fitting_chars(text: str, max_tokens: int) -> int:
    """How many leading characters of ``text`` fit in ``max_tokens`` estimated tokens."""
    used = 0.0
    for index, char in enumerate(text):
        used += 1 if ord(char) > 127 else 1 / ASCII_CHARS_PER_TOKEN
        if used > max_tokens:
            return index
    return len(text)

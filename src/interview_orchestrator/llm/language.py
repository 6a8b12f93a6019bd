"""How the chat model is told which language to use: the session's BCP 47 tag, with the
language's English name for the common ones (a model follows "German" more reliably than
"de")."""

from __future__ import annotations

from typing import Final

from ..models import SessionConfig

#: English names of common primary language subtags; others are named by their tag alone.
LANGUAGE_NAMES: Final = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "sv": "Swedish",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "zh": "Chinese",
}


def describe_language(tag: str) -> str:
    """``German (de)`` for a known primary subtag, else the tag in quotes."""
    name = LANGUAGE_NAMES.get(tag.split("-", maxsplit=1)[0].lower())
    return f"{name} ({tag})" if name else f"the language {tag!r} (a BCP 47 tag)"


def interview_language_instruction(config: SessionConfig) -> str:
    return (
        f"Conduct the interview in {describe_language(config.language)}: write every "
        "reply in that language, whatever language the candidate writes in."
    )


def report_language_instruction(config: SessionConfig) -> str:
    return (
        f"Write the report's text (rationales, strengths, improvements, summary) in "
        f"{describe_language(config.language)}. The language never changes a score."
    )

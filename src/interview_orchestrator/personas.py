"""Interviewer personas: how the interviewer speaks, never what is assessed.

A persona sets the tone of an interview: the text added to the LLM interviewer's system
prompt (``instructions``), and for the offline interviewer a few short acknowledgements said
before the next question and how many follow-ups it may ask per question
(``follow_up_depth``). The rubric and the scores never depend on it, so two candidates
interviewed by different personas are judged alike. Nothing here does I/O: the YAML files are
read by ``catalog.personas``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

DEFAULT_PERSONA: Final = "neutral"
BUILTIN_PERSONAS: Final = ("neutral", "rigorous", "warm")
MAX_FOLLOW_UP_DEPTH: Final = 3
#: The language of acknowledgements written as a plain list.
ACKNOWLEDGEMENT_LANGUAGE: Final = "en"


@dataclass(frozen=True)
class Persona:
    """One interviewer persona (see the module docstring)."""

    name: str
    title: str
    description: str
    #: Added to the LLM interviewer's system prompt.
    instructions: str
    #: Said by the offline interviewer before its next question, by language (BCP 47 tag);
    #: none in the interview's language: the question alone.
    acknowledgements: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: How many follow-ups per main question the offline interviewer may ask (0-3).
    follow_up_depth: int = 2

    def acknowledgement(self, position: int, language: str = ACKNOWLEDGEMENT_LANGUAGE) -> str:
        """The acknowledgement for the ``position``-th reply in ``language`` (its own tag,
        else its primary language: "pt-BR", then "pt"), or "" when there is none: chosen by
        position, so the same interview state always gives the same words."""
        phrases = self.acknowledgements.get(language) or self.acknowledgements.get(
            language.split("-", maxsplit=1)[0], ()
        )
        return phrases[position % len(phrases)] if phrases else ""


class PersonaCatalog(Protocol):
    """The personas a deployment offers, by name."""

    def get(self, name: str) -> Persona:
        """The persona called ``name``, or ``InvalidInputError`` naming the ones there are."""
        ...

    def names(self) -> list[str]: ...


def with_acknowledgement(acknowledgement: str, text: str) -> str:
    """``text`` preceded by the acknowledgement, if there is one."""
    return f"{acknowledgement} {text}" if acknowledgement else text

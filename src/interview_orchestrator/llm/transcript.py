"""How transcript messages are shown to a model: as JSON data objects labelled by who wrote
them, never as bare text. JSON escaping means nothing a candidate types can close the object
and pose as instructions; the prompts say that these objects are data to assess.

A whiteboard message is the candidate's board export (JSON or text): a JSON export is passed
as structured content, labelled as the whiteboard, and any long message is clipped with a
marker rather than silently cut.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ..models import CommunicationMode, Message, Role
from .tokens import clip_to_tokens, estimate_tokens

CANDIDATE_MESSAGE: Final = "candidate_message"
CANDIDATE_WHITEBOARD: Final = "candidate_whiteboard_export"
INTERVIEWER_MESSAGE: Final = "interviewer_message"
PLATFORM_NOTICE: Final = "platform_notice"


def message_data(message: Message, *, max_tokens: int) -> dict[str, Any]:
    """``{label: {...}}`` for one message, its text clipped to about ``max_tokens``."""
    if message.role is Role.CANDIDATE and message.mode is CommunicationMode.WHITEBOARD:
        return {CANDIDATE_WHITEBOARD: _whiteboard(message, max_tokens)}
    body: dict[str, Any] = {"seq": message.seq}
    if message.role is Role.CANDIDATE:
        label = CANDIDATE_MESSAGE
        body["mode"] = message.mode.value
    elif message.role is Role.INTERVIEWER:
        label = INTERVIEWER_MESSAGE
    else:
        label = PLATFORM_NOTICE
    body["text"] = _clip_escaped(message.content, max_tokens)
    return {label: body}


def message_json(message: Message, *, max_tokens: int) -> str:
    return to_json(message_data(message, max_tokens=max_tokens))


def to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _whiteboard(message: Message, max_tokens: int) -> dict[str, Any]:
    body: dict[str, Any] = {"seq": message.seq}
    try:
        parsed = json.loads(message.content)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict | list):
        compact = json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
        body["format"] = "json"
        if estimate_tokens(compact) <= max_tokens:
            body["content"] = parsed
        else:  # too big to pass whole: the compact JSON text, clipped
            body["content"] = _clip_escaped(compact, max_tokens)
            body["truncated"] = True
        return body
    body["format"] = "text"
    body["content"] = _clip_escaped(message.content, max_tokens)
    if body["content"] != message.content:
        body["truncated"] = True
    return body


def _clip_escaped(text: str, max_tokens: int) -> str:
    """``text`` clipped so that it stays within ``max_tokens`` once escaped inside JSON (JSON
    text in a string doubles its quotes' cost)."""
    escaped = len(json.dumps(text, ensure_ascii=False)) - 2
    ratio = escaped / len(text) if text else 1.0
    return clip_to_tokens(text, max(int(max_tokens / max(ratio, 1.0)), 1))

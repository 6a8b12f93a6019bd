"""One wording for pydantic's validation errors: ``location: message``, where the location is
the path of the bad value (``openai.timeout_seconds``, ``body.enabled_modes[1]``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def error_location(loc: Iterable[object]) -> str:
    """The path of a pydantic error's ``loc``: names joined by dots, list positions in
    brackets (``messages[3].content``); empty for the whole value."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def describe_error(error: Mapping[str, Any], origins: Mapping[str, str] | None = None) -> str:
    """``location: message`` (just the message when the whole value is wrong), followed by
    where the value came from when ``origins`` (dotted location → origin) knows it."""
    location = error_location(error.get("loc", ()))
    message = str(error.get("msg", ""))
    text = f"{location}: {message}" if location else message
    origin = (origins or {}).get(location)
    return f"{text} ({origin})" if origin else text


__all__ = ["describe_error", "error_location"]

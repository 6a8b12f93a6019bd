"""Structured logging: one JSON line per operation on stderr, with personal data redacted.

The library configures a logger of its own (the ``interview_orchestrator`` stdlib logger wrapped
by structlog) rather than structlog's global configuration, so an embedding application keeps
its own set-up; it can also pass any structlog-style logger to ``SessionManager`` instead.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, Final

import structlog
import structlog.tracebacks
from structlog.types import EventDict, Processor, WrappedLogger

LOGGER_NAME: Final = "interview_orchestrator"
REDACTED: Final = "[redacted]"

#: Keys whose values are personal data or secrets whatever they hold.
SENSITIVE_KEYS: Final = frozenset(
    {
        "content",
        "text",
        "message_text",
        "resume",
        "resume_data",
        "answer",
        "transcript",
        "name",
        "full_name",
        "email",
        "phone",
        "address",
        "api_key",
        "authorization",
        "password",
        "secret",
        "token",
        "notes",
    }
)
_TOP_LEVEL: Final = ("timestamp", "level", "component", "operation", "message", "session_id")

_PATTERNS: Final = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}"),  # API keys in the OpenAI style
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    # The service's own tokens (keys, links) and webhook signing secrets, wherever they occur,
    # and any token passed in a query string (WebSocket URLs).
    re.compile(r"\b(?:iok|iol)_[A-Za-z0-9_-]{6,}"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]{8,}"),
    re.compile(r"(?i)(?<=[?&]token=)[^&\s\"']+"),
    re.compile(r"(?<![\w-])\+?\d[\d ().-]{7,}\d(?![\w-])"),  # phone numbers
)


_UUID: Final = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)


def scrub_text(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and API keys replaced. Ids (UUIDs) are
    kept: their digit runs are not phone numbers."""
    ids: list[str] = []

    def hold(match: re.Match[str]) -> str:
        ids.append(match.group(0))
        return f"\x00{len(ids) - 1}\x00"

    text = _UUID.sub(hold, text)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return re.sub("\x00(\\d+)\x00", lambda m: ids[int(m.group(1))], text) if ids else text


def _scrub(value: Any, *, by_key: bool, depth: int = 0) -> Any:
    if depth > 12:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {
            k: (
                REDACTED
                if by_key and str(k).lower() in SENSITIVE_KEYS
                else _scrub(v, by_key=by_key, depth=depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_scrub(v, by_key=by_key, depth=depth + 1) for v in value]
    return value


def redact(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Processor: drop sensitive keys, and scrub personal data from every value, tracebacks too.

    Traceback frames are scrubbed by pattern only (their keys are structure, not data) and
    never carry local variables.
    """
    exception = event_dict.pop("exception", None)
    cleaned: EventDict = _scrub(event_dict, by_key=True)
    if exception is not None:
        cleaned["exception"] = _scrub(exception, by_key=False)
    return cleaned


_METHOD_LEVELS: Final = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}


def drop_below_level(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Processor: drop a line the stdlib logger would not emit, before any work is done on it.
    Asks ``isEnabledFor``, the logger's own decision (a test harness may widen it)."""
    if logger.isEnabledFor(_METHOD_LEVELS.get(method_name, logging.INFO)):
        return event_dict
    raise structlog.DropEvent


def shape(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Processor: the fixed line schema; anything else a caller passed goes under ``metadata``."""
    metadata = dict(event_dict.pop("metadata", None) or {})
    shaped: EventDict = {key: event_dict.pop(key, None) for key in _TOP_LEVEL}
    exception = event_dict.pop("exception", None)
    metadata.update(event_dict)
    shaped["metadata"] = metadata
    if exception is not None:
        shaped["exception"] = exception
    return shaped


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test runners replace it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        ),
        structlog.processors.EventRenamer("message"),
        shape,
        redact,
        structlog.processors.JSONRenderer(ensure_ascii=False, default=str),
    ]


def build_logger(enabled: bool = True, level: str = "INFO") -> structlog.stdlib.BoundLogger:
    """The library's logger. Enabled: JSON lines on stderr at ``level``. Disabled: records go to
    the stdlib logger ``interview_orchestrator`` with no handler of ours (the host decides)."""
    std_logger = logging.getLogger(LOGGER_NAME)
    for handler in list(std_logger.handlers):
        if isinstance(handler, _CurrentStderrHandler):
            std_logger.removeHandler(handler)
    if enabled:
        handler = _CurrentStderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        std_logger.addHandler(handler)
        std_logger.setLevel(level.upper())
        std_logger.propagate = False
    return structlog.wrap_logger(  # type: ignore[no-any-return]
        std_logger,
        # First, the level: a line nobody will see costs nothing more (no redaction regexes).
        processors=[drop_below_level, *processors()],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


class ScrubbingFilter(logging.Filter):
    """Scrubs the records of other libraries' loggers (uvicorn logs a WebSocket's path with its
    query string, which carries a link's token): the message is formatted and scrubbed once."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        scrubbed = scrub_text(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        return True


def scrub_logger(*names: str) -> None:
    """Install ``ScrubbingFilter`` on the named loggers (idempotent)."""
    for name in names:
        target = logging.getLogger(name)
        if not any(isinstance(f, ScrubbingFilter) for f in target.filters):
            target.addFilter(ScrubbingFilter())

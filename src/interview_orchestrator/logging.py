"""Structured logging: one JSON line per operation on stderr, with personal data redacted.

The library configures a logger of its own (the ``interview_orchestrator`` stdlib logger wrapped
by structlog) rather than structlog's global configuration, so an embedding application keeps
its own set-up. Every component takes its logger (``log_events.Logger``) as a required
argument (the container passes ``build_logger``'s); an embedder may pass any structlog-style
bound logger instead, or ``build_logger(enabled=False)`` to leave the output to its own
handlers on the ``interview_orchestrator`` logger.
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

#: Longer string values are clipped (``clip``) before they are scrubbed and logged.
MAX_LOGGED_CHARS: Final = 2000

# Every quantifier that meets a long run is possessive (it never gives back what it took) or
# bounded, and a run is entered only at its start (the look-behinds): scrubbing costs time
# linear in the text, whatever the text.
_SECRETS: Final = (
    # E-mail addresses; not a URL's ``user@host`` (a database URL names a role and a server).
    re.compile(r"(?<![\w.+-])(?<!://)[\w.+-]++@[\w-]++(?:\.[\w-]++)++"),
    re.compile(
        r"\b(?:(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}+"  # API keys in the OpenAI style
        r"|(?i:bearer)\s++[A-Za-z0-9._~+/=-]{8,}+"
        # The service's own tokens (keys, links) and webhook signing secrets, wherever they are.
        r"|(?:iok|iol)_[A-Za-z0-9_-]{6,}+"
        r"|whsec_[A-Za-z0-9+/=_-]{8,}+)"
    ),
    re.compile(r"(?<=[?&](?i:token)=)[^&\s\"']++"),  # any token in a query string (WebSockets)
)
#: Seven digits or more ahead, among the separators of phone numbers.
_SEVEN_DIGITS: Final = r"(?=\(?\d(?:[ ().-]*+\d){6})"
#: Numbers: the shapes kept as they are (ids, ISO dates and times, IPv4 addresses), tried
#: first at each position so that no phone number is seen inside them, then phone-number
#: candidates, which ``_phone_or_number`` tells apart: seven digits or more among the
#: separators of phone numbers, from the start of a run (not inside a word; unless a + opens
#: it, not right after a number and a separator) to its last digit. The cheap look-behinds
#: come first, so that the look-ahead only runs at the start of a run.
_NUMBERS: Final = re.compile(
    r"(?P<kept>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
    r"|\b\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d++)?+)?+(?:Z|[+-]\d\d:?\d\d)?+)?+(?!\d)"
    r"|\b\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d))"
    rf"|(?<![\w+-])(?:\+{_SEVEN_DIGITS}|(?<!\d[ ().-]){_SEVEN_DIGITS})\(?\d++(?:[ ().-]++\d++)*+"
)
_WITHOUT_DIGITS: Final = str.maketrans("", "", "0123456789")
#: Clipping drops a trailing run of these too: the start of a phone number cut in half.
_PHONE_CHARS: Final = "0123456789+() .-\t\n\r"


def _phone_or_number(match: re.Match[str]) -> str:
    """A phone number is redacted: seven digits or more, written with a leading ``+`` or
    separated by spaces, dashes, parentheses or (in three groups or more) dots. Kept: plain
    integers, ranges (``8000-8080``), decimals, dotted versions with a one-digit part, and
    the shapes ``_NUMBERS`` keeps."""
    found = match.group(0)
    separators = found.translate(_WITHOUT_DIGITS)
    if match.group("kept") or separators in ("", "-"):
        return found
    dotted = bool(separators) and set(separators) == {"."}
    if dotted and (len(separators) < 2 or min(map(len, found.split("."))) == 1):
        return found
    return REDACTED


#: A URL's password (``scheme://user:password@host``): the user and host stay readable.
_URL_PASSWORD: Final = re.compile(r"(?<=://)([^\s/@:]++):[^\s/@]++@")


def scrub_text(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers, API keys and tokens replaced, in time
    linear in ``text``. Ids (UUIDs), ISO dates and times, IPv4 addresses and plain integers are
    kept: their digit runs are not phone numbers."""
    text = _URL_PASSWORD.sub(rf"\1:{REDACTED}@", text)
    for pattern in _SECRETS:
        text = pattern.sub(REDACTED, text)
    return _NUMBERS.sub(_phone_or_number, text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, with a marker saying how many were left out.

    The cut never keeps the start of a word it splits (nor a phone number's): a secret cut in
    half would no longer match its pattern and would leak."""
    if len(text) <= limit:
        return text
    kept = text[:limit]
    if not (kept[-1:].isspace() or text[limit].isspace()):
        words = kept.rsplit(None, 1)
        kept = words[0] if len(words) == 2 else ""
    kept = kept.rstrip(_PHONE_CHARS)
    marker = f"[{len(text) - len(kept)} more characters]"
    return f"{kept} {marker}" if kept else marker


def _scrub(value: Any, *, by_key: bool, depth: int = 0) -> Any:
    if depth > 12:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(clip(value, MAX_LOGGED_CHARS))
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
        scrubbed = scrub_text(clip(message, MAX_LOGGED_CHARS))
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        return True


def scrub_logger(*names: str) -> None:
    """Install ``ScrubbingFilter`` on the named loggers (idempotent)."""
    for name in names:
        target = logging.getLogger(name)
        if not any(isinstance(f, ScrubbingFilter) for f in target.filters):
            target.addFilter(ScrubbingFilter())

"""The domain's data: sessions, messages, evaluations and the configuration of an interview.

Plain dataclasses and enums with their own validation; nothing here does I/O.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, TypeVar

from .errors import InvalidInputError

T = TypeVar("T")


class SessionStatus(StrEnum):
    CREATED = "created"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"


class CommunicationMode(StrEnum):
    TEXT = "text"
    WHITEBOARD = "whiteboard"
    AUDIO = "audio"


class Role(StrEnum):
    INTERVIEWER = "interviewer"
    CANDIDATE = "candidate"
    SYSTEM = "system"


class EvaluationStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    READY = "ready"
    NO_EVIDENCE = "no_evidence"
    FAILED = "failed"


class EventType(StrEnum):
    """What an event of the session's log records (``SessionEvent.type``)."""

    SESSION_STARTED = "session.started"
    SESSION_PAUSED = "session.paused"
    SESSION_RESUMED = "session.resumed"
    SESSION_COMPLETED = "session.completed"
    MESSAGE_CREATED = "message.created"
    PHASE_CHANGED = "phase.changed"
    EVALUATION_UPDATED = "evaluation.updated"


class EndReason(StrEnum):
    """Why a session reached COMPLETED."""

    REQUESTED = "requested"
    TIME_LIMIT = "time_limit"
    ABANDONED = "abandoned"
    #: The session's turn budget (``SessionConfig.max_turns``) was spent.
    TURN_LIMIT = "turn_limit"


# Documented input limits (README, "Limits").
MAX_MESSAGE_CHARS: Final[Mapping[CommunicationMode, int]] = {
    CommunicationMode.TEXT: 20_000,
    CommunicationMode.AUDIO: 20_000,
    CommunicationMode.WHITEBOARD: 200_000,
}
MAX_TURNS: Final = 1000
MIN_DURATION_MINUTES: Final = 1
MAX_DURATION_MINUTES: Final = 480
MAX_USER_ID_CHARS: Final = 128
MAX_JSON_BYTES: Final = 256 * 1024
MAX_JSON_DEPTH: Final = 32
MAX_PAGE_SIZE: Final = 1000
MAX_OFFSET: Final = 10_000_000
MAX_CLIENT_MESSAGE_ID_CHARS: Final = 128
MAX_EVENT_PAGE: Final = 1000
MAX_CURSOR: Final = 2**63 - 1
DEFAULT_TENANT: Final = "default"
#: The language of an interview unless its config names another (BCP 47).
DEFAULT_LANGUAGE: Final = "en"
DEFAULT_TEMPLATE: Final = "system_design"
DEFAULT_PROVIDER: Final = "offline"
DEFAULT_PERSONA: Final = "neutral"

# Patterns are matched with ``fullmatch``: ``$`` would also match before a final newline.
_NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
#: Tenant ids name organisations in URLs, logs and keys: short, ASCII, no separators that
#: would need escaping.
_TENANT_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_CLIENT_ID_PATTERN: Final = re.compile(r"[\x21-\x7e]{1,128}")
_CONTROL_CHARS: Final = re.compile(r"[\x00-\x1f\x7f]")
#: Unicode categories a user id may not contain: controls, invisible formatting (bidi
#: overrides such as U+202E, zero-width characters), surrogates, line/paragraph separators.
#: An id is shown in admin tables and logs, where these could disguise one id as another.
_NON_PRINTING_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: Unicode's Default_Ignorable_Code_Point property: code points a renderer shows as nothing
#: (fillers, variation selectors, the combining grapheme joiner, tags ...), so that
#: "admin\u3164" looks exactly like "admin". Python has no API for the property; these are
#: the ranges of DerivedCoreProperties.txt, Unicode 14.0.0 (the version of this Python's
#: ``unicodedata``; unchanged since), https://www.unicode.org/Public/14.0.0/ucd/
#: DerivedCoreProperties.txt, "Total code points: 4174".
DEFAULT_IGNORABLE_RANGES: Final[tuple[tuple[int, int], ...]] = (
    (0x00AD, 0x00AD),  # SOFT HYPHEN
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),  # ARABIC LETTER MARK
    (0x115F, 0x1160),  # HANGUL CHOSEONG FILLER..HANGUL JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ..KHMER VOWEL INHERENT AA
    (0x180B, 0x180D),  # MONGOLIAN FREE VARIATION SELECTOR ONE..THREE
    (0x180E, 0x180E),  # MONGOLIAN VOWEL SEPARATOR
    (0x180F, 0x180F),  # MONGOLIAN FREE VARIATION SELECTOR FOUR
    (0x200B, 0x200F),  # ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
    (0x202A, 0x202E),  # LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
    (0x2060, 0x2064),  # WORD JOINER..INVISIBLE PLUS
    (0x2065, 0x2065),  # <reserved-2065>
    (0x2066, 0x206F),  # LEFT-TO-RIGHT ISOLATE..NOMINAL DIGIT SHAPES
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFE00, 0xFE0F),  # VARIATION SELECTOR-1..VARIATION SELECTOR-16
    (0xFEFF, 0xFEFF),  # ZERO WIDTH NO-BREAK SPACE
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),  # <reserved-FFF0>..<reserved-FFF8>
    (0x1BCA0, 0x1BCA3),  # SHORTHAND FORMAT LETTER OVERLAP..SHORTHAND FORMAT UP STEP
    (0x1D173, 0x1D17A),  # MUSICAL SYMBOL BEGIN BEAM..MUSICAL SYMBOL END PHRASE
    (0xE0000, 0xE0000),  # <reserved-E0000>
    (0xE0001, 0xE0001),  # LANGUAGE TAG
    (0xE0002, 0xE001F),  # <reserved-E0002>..<reserved-E001F>
    (0xE0020, 0xE007F),  # TAG SPACE..CANCEL TAG
    (0xE0080, 0xE00FF),  # <reserved-E0080>..<reserved-E00FF>
    (0xE0100, 0xE01EF),  # VARIATION SELECTOR-17..VARIATION SELECTOR-256
    (0xE01F0, 0xE0FFF),  # <reserved-E01F0>..<reserved-E0FFF>
)
#: Blank-looking characters outside that property: U+2800 BRAILLE PATTERN BLANK renders as
#: an empty cell. (The Hangul fillers U+115F, U+1160, U+3164 and U+FFA0 are default-ignorable.)
BLANK_LOOKING: Final = frozenset({0x2800})
_INVISIBLE: Final = re.compile(
    "["
    + "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in DEFAULT_IGNORABLE_RANGES
    )
    + "".join(re.escape(chr(code)) for code in sorted(BLANK_LOOKING))
    + "]"
)


def new_id() -> str:
    return str(uuid.uuid4())


def parse_session_id(value: object) -> str:
    """The canonical form of a session id, or ``InvalidInputError`` if it is not a UUID."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise InvalidInputError(f"session id must be a UUID string, got {type(value).__name__}")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise InvalidInputError(
            f"malformed session id {_preview(value)}: expected a UUID such as "
            "'3f2b8c1e-5d4a-4e1b-9c7d-2a6f0e8b1c3d'"
        ) from None


def parse_user_id(value: object) -> str:
    """A user id as stored and looked up: a non-blank string of visible characters, at most
    128 long, in Unicode normal form C, so that two spellings of one name ("jos\u00e9" and
    "jose\u0301") are one candidate and no invisible character can make a look-alike."""
    if not isinstance(value, str):
        raise InvalidInputError(f"user id must be a string, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidInputError("user id must not be empty")
    if len(text) > MAX_USER_ID_CHARS:
        raise InvalidInputError(f"user id is longer than {MAX_USER_ID_CHARS} characters")
    if _CONTROL_CHARS.search(text):
        raise InvalidInputError("user id must not contain control characters")
    hidden = next((c for c in text if unicodedata.category(c) in _NON_PRINTING_CATEGORIES), None)
    if hidden is not None:
        raise InvalidInputError(
            f"user id must contain only printable characters, found U+{ord(hidden):04X} "
            "(a control, invisible formatting or bidirectional-override character, or a "
            "lone surrogate)"
        )
    invisible = _INVISIBLE.search(text)
    if invisible is not None:
        code = ord(invisible.group())
        name = unicodedata.name(invisible.group(), "unassigned")
        raise InvalidInputError(
            f"user id must not contain invisible characters, found U+{code:04X} ({name}): "
            "it would look like another id"
        )
    text = unicodedata.normalize("NFC", text)
    if len(text) > MAX_USER_ID_CHARS:
        raise InvalidInputError(f"user id is longer than {MAX_USER_ID_CHARS} characters")
    return text


def parse_tenant_id(value: object) -> str:
    """A tenant id: 1-64 ASCII letters, digits, '_', '-', '.', starting with a letter or digit."""
    if not isinstance(value, str):
        raise InvalidInputError(f"tenant id must be a string, got {type(value).__name__}")
    if not _TENANT_PATTERN.fullmatch(value):
        raise InvalidInputError(
            f"malformed tenant id {_preview(value)}: use 1-64 ASCII letters, digits, '_', '-' "
            "or '.', starting with a letter or digit"
        )
    return value


def parse_client_message_id(value: object) -> str:
    """A caller's idempotency key for one message: 1-128 printable ASCII characters."""
    if not isinstance(value, str):
        raise InvalidInputError(f"client_message_id must be a string, got {type(value).__name__}")
    if not _CLIENT_ID_PATTERN.fullmatch(value):
        raise InvalidInputError(
            f"malformed client_message_id {_preview(value)}: use 1-{MAX_CLIENT_MESSAGE_ID_CHARS} "
            "printable ASCII characters without spaces (a UUID, say)"
        )
    return value


def parse_cursor(value: object, what: str = "after") -> int:
    """An event or message cursor: a non-negative integer (0: from the beginning) that the
    databases can compare (at most 2**63 - 1)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{what} must be a non-negative integer, got {_preview(value)}")
    if value < 0:
        raise InvalidInputError(f"{what} must not be negative, got {value}")
    if value > MAX_CURSOR:
        raise InvalidInputError(f"{what} must be at most {MAX_CURSOR}")
    return value


def validate_page(limit: object, offset: object) -> tuple[int, int]:
    """``(limit, offset)`` checked against the documented bounds."""
    for name, value, high in (("limit", limit, MAX_PAGE_SIZE), ("offset", offset, MAX_OFFSET)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInputError(f"{name} must be an integer, got {type(value).__name__}")
        if value < 0:
            raise InvalidInputError(f"{name} must not be negative, got {value}")
        if value > high:
            raise InvalidInputError(f"{name} must be at most {high}, got {value}")
    assert isinstance(limit, int) and isinstance(offset, int)
    if limit == 0:
        raise InvalidInputError("limit must be at least 1")
    return limit, offset


def validate_message_content(content: object, mode: CommunicationMode) -> str:
    """The message as it will be stored, or ``InvalidInputError`` saying what is wrong with it."""
    if not isinstance(content, str):
        raise InvalidInputError(f"message content must be a string, got {type(content).__name__}")
    if not content.strip():
        raise InvalidInputError("message content must not be empty or only whitespace")
    if "\x00" in content:
        raise InvalidInputError("message content must not contain NUL characters")
    limit = MAX_MESSAGE_CHARS[mode]
    if len(content) > limit:
        raise InvalidInputError(
            f"message is {len(content)} characters long; the limit for {mode.value} is {limit}"
        )
    try:
        content.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError("message content is not valid Unicode text") from None
    return content


def parse_mode(value: object) -> CommunicationMode:
    if isinstance(value, CommunicationMode):
        return value
    try:
        return CommunicationMode(str(value).strip().lower())
    except ValueError:
        known = ", ".join(m.value for m in CommunicationMode)
        raise InvalidInputError(
            f"unknown communication mode {_preview(value)}; expected one of: {known}"
        ) from None


def parse_status(value: object) -> SessionStatus:
    """A session status filter: a ``SessionStatus`` or its value (case and surrounding space
    ignored)."""
    if isinstance(value, SessionStatus):
        return value
    if isinstance(value, str) and len(value) <= 64:
        try:
            return SessionStatus(value.strip().lower())
        except ValueError:
            pass
    known = ", ".join(s.value for s in SessionStatus)
    raise InvalidInputError(f"unknown session status {_preview(value)}; expected one of: {known}")


def plain_json(value: object, what: str) -> Any:
    """A deep copy of ``value`` as plain JSON, refusing anything that would not survive storage."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what} must be JSON-serialisable data: {exc}") from None
    except RecursionError:
        raise InvalidInputError(f"{what} is nested too deeply") from None
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_JSON_BYTES:
        raise InvalidInputError(f"{what} is larger than {MAX_JSON_BYTES // 1024} KiB")
    if "\\u0000" in text:
        raise InvalidInputError(f"{what} must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{what} contains text that is not valid Unicode") from None
    data = json.loads(text)
    if _depth(data) > MAX_JSON_DEPTH:
        raise InvalidInputError(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _depth(value: Any) -> int:
    depth, frontier = 0, [value]
    while frontier:
        nested = [
            child
            for item in frontier
            if isinstance(item, (dict, list))
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        depth += 1
        frontier = nested
    return depth


def _preview(value: object, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


@dataclass(frozen=True)
class SessionConfig:
    """How one interview runs. Values are validated and normalised on construction."""

    enabled_modes: Sequence[CommunicationMode] = (CommunicationMode.TEXT,)
    ai_provider: str = DEFAULT_PROVIDER
    ai_model: str | None = None
    resume_data: Mapping[str, Any] | None = None
    duration_minutes: int = 45
    template: str = DEFAULT_TEMPLATE
    #: The language the interview is held in, a BCP 47 tag such as "en", "de" or "pt-BR".
    language: str = DEFAULT_LANGUAGE
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: A second provider to use when ``ai_provider`` fails (None: no fallback).
    fallback_provider: str | None = None
    #: The turn budget: after this many answered turns the interview ends by itself
    #: (``EndReason.TURN_LIMIT``). None: the deployment's default (``interviewer.max_turns``).
    max_turns: int | None = None
    #: The interviewer persona (its tone; never the rubric or the scores), by name.
    persona: str = DEFAULT_PERSONA

    def __post_init__(self) -> None:
        modes = self.enabled_modes
        if isinstance(modes, (str, CommunicationMode)) or not isinstance(
            modes, Sequence | set | frozenset
        ):
            raise InvalidInputError("enabled_modes must be a list of communication modes")
        parsed = tuple(dict.fromkeys(parse_mode(m) for m in modes))
        if not parsed:
            raise InvalidInputError("enabled_modes must name at least one communication mode")
        object.__setattr__(self, "enabled_modes", parsed)

        object.__setattr__(self, "language", parse_language(self.language, "language"))
        object.__setattr__(self, "ai_provider", _parse_name(self.ai_provider, "ai_provider"))
        object.__setattr__(self, "template", _parse_name(self.template, "template"))
        object.__setattr__(self, "persona", _parse_name(self.persona, "persona"))
        if self.fallback_provider is not None:
            fallback = _parse_name(self.fallback_provider, "fallback_provider")
            if fallback == self.ai_provider:
                raise InvalidInputError("fallback_provider must differ from ai_provider")
            object.__setattr__(self, "fallback_provider", fallback)
        if self.ai_model is not None:
            if not isinstance(self.ai_model, str) or not self.ai_model.strip():
                raise InvalidInputError("ai_model must be a non-empty string or None")
            if len(self.ai_model) > 200 or _CONTROL_CHARS.search(self.ai_model):
                raise InvalidInputError("ai_model must be a model name of at most 200 characters")
            _require_printable(self.ai_model, "ai_model")
            object.__setattr__(self, "ai_model", self.ai_model.strip())

        _check_max_turns(self.max_turns)
        duration = self.duration_minutes
        if isinstance(duration, bool) or not isinstance(duration, int):
            raise InvalidInputError(
                f"duration_minutes must be a whole number of minutes, got {_preview(duration)}"
            )
        if not MIN_DURATION_MINUTES <= duration <= MAX_DURATION_MINUTES:
            raise InvalidInputError(
                f"duration_minutes must be between {MIN_DURATION_MINUTES} and "
                f"{MAX_DURATION_MINUTES}, got {duration}"
            )

        if self.resume_data is not None:
            if not isinstance(self.resume_data, Mapping):
                raise InvalidInputError("resume_data must be a JSON object (a mapping) or None")
            object.__setattr__(self, "resume_data", plain_json(self.resume_data, "resume_data"))
        if not isinstance(self.metadata, Mapping):
            raise InvalidInputError("metadata must be a JSON object (a mapping)")
        object.__setattr__(self, "metadata", plain_json(self.metadata, "metadata"))

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    def to_dict(self, *, include_resume: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "enabled_modes": [m.value for m in self.enabled_modes],
            "ai_provider": self.ai_provider,
            "ai_model": self.ai_model,
            "duration_minutes": self.duration_minutes,
            "template": self.template,
            "language": self.language,
            "metadata": dict(self.metadata),
            "persona": self.persona,
        }
        if self.fallback_provider is not None:
            data["fallback_provider"] = self.fallback_provider
        if self.max_turns is not None:
            data["max_turns"] = self.max_turns
        if include_resume:
            data["resume_data"] = self.resume_data
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionConfig:
        if not isinstance(data, Mapping):
            raise InvalidInputError(
                f"a session config must be a JSON object (a mapping), got {type(data).__name__}"
            )
        known = {
            "enabled_modes",
            "ai_provider",
            "ai_model",
            "resume_data",
            "duration_minutes",
            "template",
            "language",
            "metadata",
            "fallback_provider",
            "max_turns",
            "persona",
        }
        unknown = sorted(_preview(name) for name in set(data) - known)
        if unknown:
            shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" * (len(unknown) > 5))
            raise InvalidInputError(
                f"unknown session config field(s): {shown}; known: {', '.join(sorted(known))}"
            )
        return cls(**{k: v for k, v in data.items()})

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> SessionConfig:
        """A config as the store wrote it (``to_dict``, validated when it was created), built
        without validating it again: re-checking every name and copying the résumé and the
        metadata cost more than reading the row. Fields missing from older rows get their
        defaults; an unknown field, or modes that are not modes, are refused as stored data
        that cannot be read."""
        if not _CONFIG_FIELDS.issuperset(data):
            return cls.from_dict(data)  # refuses the unknown field(s), naming them
        values = {**_CONFIG_DEFAULTS, "metadata": {}, **data}
        values["enabled_modes"] = tuple(_MODES[m] for m in values["enabled_modes"])
        return stored_instance(cls, values)


def stored_instance(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of the frozen dataclass ``cls`` holding ``values`` (every field), built
    without its ``__init__`` or checks: for stored data, which was checked when it was made.
    The fields go into the instance's ``__dict__`` at once, as ``__init__`` would have put
    them one by one."""
    instance = object.__new__(cls)
    object.__setattr__(instance, "__dict__", values)
    return instance


_MODES: Final = {mode.value: mode for mode in CommunicationMode} | {
    mode: mode for mode in CommunicationMode
}
_CONFIG_FIELDS: Final = frozenset(f.name for f in fields(SessionConfig))
_CONFIG_DEFAULTS: Final = {
    f.name: f.default for f in fields(SessionConfig) if f.default is not MISSING
}


#: A BCP 47 tag as used here: a lower-case language (2-3 letters) and an optional upper-case
#: region (2 letters), e.g. "en", "de", "pt-BR".
_LANGUAGE_PATTERN: Final = re.compile(r"[a-z]{2,3}(?:-[A-Z]{2})?")


def parse_language(value: object, what: str = "language") -> str:
    """A language tag exactly as documented (one spelling per language, so stored tags, file
    names and filters agree); a wrong case or separator is refused with the spelling to use."""
    if isinstance(value, str) and _LANGUAGE_PATTERN.fullmatch(value):
        return value
    hint = ""
    if isinstance(value, str):
        language, _, region = value.strip().replace("_", "-").partition("-")
        suggestion = language.lower() + (f"-{region.upper()}" if region else "")
        if _LANGUAGE_PATTERN.fullmatch(suggestion):
            hint = f" (write {suggestion!r})"
    raise InvalidInputError(
        f"{what} must be a BCP 47 language tag: a lower-case language and an optional "
        f"upper-case region, e.g. 'en', 'de' or 'pt-BR', got {_preview(value)}{hint}"
    )


def _check_max_turns(value: object) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TURNS
    ):
        raise InvalidInputError(
            f"max_turns must be a whole number between 1 and {MAX_TURNS}, got {_preview(value)}"
        )


def _parse_name(value: object, what: str) -> str:
    """A provider or template name exactly as documented: lower case, no surrounding space
    (one spelling per name, so that a stored name and a filter always agree)."""
    if isinstance(value, str) and _NAME_PATTERN.fullmatch(value):
        return value
    hint = ""
    if isinstance(value, str) and _NAME_PATTERN.fullmatch(value.strip().lower()):
        hint = f" (did you mean {value.strip().lower()!r}?)"
    raise InvalidInputError(
        f"{what} must be a short lowercase name (1-64 letters, digits, '_', '-', '.', spelled "
        f"exactly: no capitals, no surrounding spaces), got {_preview(value)}{hint}"
    )


def _require_printable(text: str, what: str) -> None:
    """Refuse what cannot be stored or shown as text: lone surrogates (not valid Unicode),
    controls, invisible formatting and line separators."""
    hidden = next((c for c in text if unicodedata.category(c) in _NON_PRINTING_CATEGORIES), None)
    if hidden is not None:
        kind = (
            "is not valid Unicode text"
            if unicodedata.category(hidden) == "Cs"
            else ("must contain only printable characters")
        )
        raise InvalidInputError(f"{what} {kind}: found U+{ord(hidden):04X}")


@dataclass(frozen=True)
class Session:
    """One interview. ``version`` increases with every status change (compare-and-set)."""

    id: str
    user_id: str
    status: SessionStatus
    config: SessionConfig
    created_at: datetime
    #: The organisation the session belongs to; callers scoped to another never see it.
    tenant_id: str = DEFAULT_TENANT
    started_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    overall_score: float | None = None
    message_count: int = 0
    last_activity_at: datetime | None = None
    active_seconds: float = 0.0
    active_since: datetime | None = None
    version: int = 0
    interviewer_state: Mapping[str, Any] = field(default_factory=dict)
    #: The cursor of the session's newest event (0: none yet).
    event_count: int = 0
    #: The candidate message still waiting for the interviewer's reply (one turn at a time),
    #: and until when that claim holds (a crashed process's turn expires).
    turn_seq: int | None = None
    turn_expires_at: datetime | None = None
    #: The interview phase the interviewer reported last (None before the start).
    phase: str | None = None
    #: Turns answered so far (candidate messages with a reply).
    turn_count: int = 0

    def turn_in_progress_at(self, now: datetime) -> bool:
        """True while a candidate message is waiting for a reply that may still come."""
        return (
            self.turn_seq is not None
            and self.turn_expires_at is not None
            and self.turn_expires_at > now
        )

    def active_seconds_at(self, now: datetime) -> float:
        """Time spent ACTIVE up to ``now``; paused time does not count."""
        running = (now - self.active_since).total_seconds() if self.active_since else 0.0
        return self.active_seconds + max(running, 0.0)

    def remaining_seconds_at(self, now: datetime) -> float:
        return self.config.duration.total_seconds() - self.active_seconds_at(now)

    def with_changes(self, **changes: Any) -> Session:
        return replace(self, **changes)


@dataclass(frozen=True)
class NewMessage:
    """A message about to be stored; the store assigns its sequence number."""

    role: Role
    mode: CommunicationMode
    content: str
    created_at: datetime
    #: The caller's idempotency key (candidate messages).
    client_message_id: str | None = None
    #: The candidate message an interviewer reply answers.
    reply_to: int | None = None


@dataclass(frozen=True)
class Message:
    """A stored message. ``seq`` orders the transcript (1, 2, 3 ... per session)."""

    session_id: str
    seq: int
    role: Role
    mode: CommunicationMode
    content: str
    created_at: datetime
    late: bool = False
    client_message_id: str | None = None
    #: For an interviewer reply: the ``seq`` of the candidate message it answers.
    reply_to: int | None = None


@dataclass(frozen=True)
class Turn:
    """One exchange: the candidate's message and the interviewer's reply to it."""

    candidate: Message
    reply: Message


@dataclass(frozen=True)
class SessionEvent:
    """One entry of a session's event log. ``id`` is the session's cursor: it only increases,
    and ``events(session_id, after=id)`` continues right after this event."""

    id: int
    type: EventType
    session_id: str
    data: Mapping[str, Any]
    created_at: datetime
    tenant_id: str = DEFAULT_TENANT


def message_event_data(message: Message) -> dict[str, Any]:
    """A message as a ``message.created`` event carries it (JSON types only; times in UTC)."""
    return {
        "seq": message.seq,
        "role": message.role.value,
        "mode": message.mode.value,
        "content": message.content,
        "created_at": message.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "late": message.late,
        "client_message_id": message.client_message_id,
        "reply_to": message.reply_to,
    }


@dataclass(frozen=True)
class NewEvent:
    """An event about to be written with the change it records; the store numbers it."""

    type: EventType
    data: Mapping[str, Any]


@dataclass(frozen=True)
class InterviewerNote:
    """A private note the interviewer recorded with its message ``message_seq``, for the
    evaluator: stored with the session, never part of the transcript the candidate sees."""

    session_id: str
    message_seq: int
    content: str
    created_at: datetime


@dataclass(frozen=True)
class TransitionRecord:
    """The audit row of one status change."""

    session_id: str
    from_status: SessionStatus
    to_status: SessionStatus
    operation: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class SessionStats:
    """Aggregates over all sessions, for dashboards (``interview-orchestrator stats``)."""

    by_status: Mapping[SessionStatus, int]
    per_day: tuple[tuple[str, int], ...]
    average_active_seconds: float | None
    average_score: float | None
    scored_sessions: int
    #: Counts of overall scores in [0,10), [10,20), ... [90,100].
    score_histogram: tuple[int, ...]
    evaluations_by_status: Mapping[EvaluationStatus, int]
    since: datetime


@dataclass(frozen=True)
class DimensionScore:
    """A rubric dimension's score (1-5, or None: insufficient evidence) and what supports it."""

    dimension: str
    score: int | None
    evidence: tuple[int, ...] = ()
    rationale: str = ""

    @property
    def has_evidence(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class EvaluationReport:
    """The evaluation of one completed session, with its own status."""

    session_id: str
    status: EvaluationStatus
    overall_score: float | None = None
    dimension_scores: Mapping[str, DimensionScore] = field(default_factory=dict)
    strengths: tuple[str, ...] = ()
    improvements: tuple[str, ...] = ()
    summary: str = ""
    provider: str | None = None
    model: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    #: When the latest attempt began (a RUNNING one older than the stale limit died).
    started_at: datetime | None = None
    coverage: float | None = None
    template: str | None = None
    rubric_version: str | None = None
    error: str | None = None
    attempts: int = 0
    provenance: Mapping[str, Any] = field(default_factory=dict)

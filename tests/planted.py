"""Planted secrets: distinctive personal data and keys that fixtures across the suite feed to
the library, and the scan that proves none of them ever reaches a log line.

``tests/conftest.py`` shows ``SCAN`` every record emitted on the ``interview_orchestrator``
logger during the whole run (whatever its level, and also when the library's own logging is
disabled), plus the lines of the packaged ``interview_logs`` fixture; tests that run the
installed command line in a subprocess hand its JSON log lines over with
``record_log_lines``. At the end of the run any hit fails it, with the offending line shown
redacted.

The values are fictitious and chosen so that nothing else in the suite contains them: any
occurrence in a log line is a leak.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

PLANTED_NAME: Final = "Zephyrine Quillfeather-Okafor"
PLANTED_EMAIL: Final = "zephyrine.quillfeather@planted-mail.example"
PLANTED_PHONE: Final = "+44 20 7946 0321"
PLANTED_API_KEY: Final = "sk-planted-9c4e1f7a2b6d8e3051ab"
PLANTED_SCHOOL: Final = "Vexholm Institute of Planted Studies"
#: A candidate's answer (it also scores: requirements, cache, shard, replicas).
PLANTED_MESSAGE: Final = (
    "Let me clarify the requirements of the Quokkaborough ledger first, then put a Redis "
    "cache in front of it, shard it by key and add read replicas."
)

#: What the scan looks for: each secret, and the fragments of it that a partial leak (a
#: clipped preview, a scrubbed-but-not-quite value) would still show.
NEEDLES: Final[dict[str, tuple[str, ...]]] = {
    "name": (PLANTED_NAME, "Quillfeather", "Zephyrine"),
    "email": (PLANTED_EMAIL, "zephyrine.quillfeather", "planted-mail.example"),
    "phone": (PLANTED_PHONE, "7946 0321", "79460321"),
    "api key": (PLANTED_API_KEY, "9c4e1f7a2b6d8e3051ab"),
    "school": (PLANTED_SCHOOL, "Vexholm"),
    "message": (PLANTED_MESSAGE, "Quokkaborough"),
}


def planted_resume(user_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """A résumé carrying every planted personal field, plus the skills that steer the offline
    interviewer (``extra`` adds or replaces fields)."""
    resume: dict[str, Any] = {
        "name": PLANTED_NAME,
        "email": PLANTED_EMAIL,
        "phone": PLANTED_PHONE,
        "school": PLANTED_SCHOOL,
        "skills": ["redis", "kafka"],
        "years_experience": 7,
    }
    if user_id is not None:
        resume["user_id"] = user_id
    resume.update(extra)
    return resume


def planted_in(text: str) -> list[str]:
    """The kinds of planted secret ``text`` contains (empty: none)."""
    lowered = text.lower()
    return [
        kind
        for kind, needles in NEEDLES.items()
        if any(needle.lower() in lowered for needle in needles)
    ]


def redact_planted(text: str) -> str:
    """``text`` with every planted secret replaced by ``<planted KIND>`` (for failure
    messages, which must not repeat the leak)."""
    for kind, needles in NEEDLES.items():
        for needle in sorted(needles, key=len, reverse=True):
            start = text.lower().find(needle.lower())
            while start >= 0:
                text = text[:start] + f"<planted {kind}>" + text[start + len(needle) :]
                start = text.lower().find(needle.lower(), start + 1)
    return text


@dataclass
class Hit:
    source: str
    kinds: list[str]
    line: str


@dataclass
class LogScan:
    """Counts the log lines it is shown and keeps those that carry a planted secret."""

    scanned: int = 0
    hits: list[Hit] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, line: str, source: str) -> None:
        kinds = planted_in(line)
        with self._lock:
            self.scanned += 1
            if kinds:
                self.hits.append(Hit(source, kinds, line))

    def portable_hits(self) -> list[tuple[str, list[str], str]]:
        """The hits as plain data (what a pytest-xdist worker sends to the controller)."""
        return [(hit.source, list(hit.kinds), hit.line) for hit in self.hits]

    def merge(self, scanned: int, hits: list[tuple[str, list[str], str]]) -> None:
        self.scanned += scanned
        self.hits.extend(Hit(source, list(kinds), line) for source, kinds, line in hits)

    def report(self, shown: int = 5, width: int = 400) -> str:
        lines = [f"{len(self.hits)} of {self.scanned} log lines carry planted secrets:"]
        for hit in self.hits[:shown]:
            text = redact_planted(hit.line)
            if len(text) > width:
                text = text[: width - 3] + "..."
            lines.append(f"  [{', '.join(hit.kinds)}] from {hit.source}: {text}")
        if len(self.hits) > shown:
            lines.append(f"  ... and {len(self.hits) - shown} more")
        return "\n".join(lines)


#: The suite-wide scan (wired up in ``tests/conftest.py``).
SCAN: Final = LogScan()


def record_log_lines(lines: Iterable[str], source: str) -> list[str]:
    """Hand log lines produced outside this process (a subprocess's stderr) to the suite-wide
    scan; returns the JSON lines among them."""
    json_lines = [line for line in lines if line.lstrip().startswith("{")]
    for line in json_lines:
        SCAN.check(line, source)
    return json_lines

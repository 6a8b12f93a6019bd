"""What the workload is, shared by the library run and the floor: sizes, texts, step clocks.

This module imports nothing of the library, so that the floor's process carries none of it.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")

STEPS: Final = ("create", "start", "turn", "pause", "transcript", "end", "list")
#: What one operation of each step is, for the results.
STEP_OPERATIONS: Final = {
    "create": "`create_session`",
    "start": "`start_session` (opening question stored)",
    "turn": "`send_message`: candidate message and interviewer reply, each committed",
    "pause": "`pause_session` (frees the user's one ACTIVE slot)",
    "transcript": "`get_transcript`",
    "end": "`end_session` from PAUSED, evaluation generated and stored",
    "list": "`list_sessions(user_id=..., limit=50)`",
}
PROVIDER: Final = "scripted"
TEMPLATE: Final = "system_design"
OPENING: Final = "Design a chat service for a million users."
QUESTIONS: Final = (
    "How would you partition the message store as it grows?",
    "What happens to an in-flight request when a node fails?",
    "Which metrics would you watch first, and why?",
    "How would you roll out a schema change without downtime?",
)
#: A typical candidate answer (about 400 characters).
ANSWER: Final = (
    "I would start by clarifying the requirements: the number of daily active users, the "
    "read to write ratio and the latency target. Then a load balancer in front of stateless "
    "application servers, a cache for the hot keys, and a relational database partitioned by "
    "user id. Writes go through a queue so that bursts do not overload the database, and "
    "every component exposes metrics and health checks."
)
SKILLS: Final = ("python", "postgresql", "redis", "kafka")
#: How many recent messages the interviewer is shown per turn (the library's default).
CONTEXT_MESSAGES: Final = 20
LIST_CALLS_MIN: Final = 100


@dataclass(frozen=True)
class Workload:
    """How much work one run does: ``sessions`` sessions of ``messages`` candidate messages,
    for ``sessions / 10`` users."""

    sessions: int
    messages: int

    @property
    def users(self) -> int:
        return max(1, self.sessions // 10)

    @property
    def list_calls(self) -> int:
        return max(self.users, LIST_CALLS_MIN)

    def user_id(self, index: int) -> str:
        return f"candidate-{index % self.users:05d}"


def resume(user_id: str) -> dict[str, Any]:
    """The résumé data every session of the workload carries."""
    return {"user_id": user_id, "skills": list(SKILLS), "years_experience": 6}


def stored_config() -> dict[str, Any]:
    """The session configuration as the library stores it (``SessionConfig.to_dict`` without
    the résumé)."""
    return {
        "enabled_modes": ["text", "whiteboard"],
        "ai_provider": PROVIDER,
        "ai_model": None,
        "duration_minutes": 45,
        "template": TEMPLATE,
        "metadata": {"source": "benchmark"},
    }


class StepClock:
    """Seconds and operation counts per step."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STEPS, 0.0)
        self.ops = dict.fromkeys(STEPS, 0)

    def run(self, step: str, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``call(*args, **kwargs)``, its time counted as one operation of ``step``."""
        started = time.perf_counter()
        result = call(*args, **kwargs)
        self.seconds[step] += time.perf_counter() - started
        self.ops[step] += 1
        return result

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {s: {"ops": self.ops[s], "seconds": self.seconds[s]} for s in STEPS}


def peak_rss_kib() -> int:
    """This process's peak resident set size so far, in KiB.

    On Linux, ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` of a child process also
    counts the parent's resident memory at the time of the fork, which would hide what the
    child itself used. Elsewhere ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak // 1024 if sys.platform == "darwin" else peak)

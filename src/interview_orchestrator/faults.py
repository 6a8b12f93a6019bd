"""Named fault-injection points, so crash and failure tests can stop the library mid-operation.

A point does nothing unless armed. Tests arm points in-process with ``arm()``, or in a child
process through the environment: ``INTERVIEW_FAULTS="end_session.after_commit=kill"`` (several
separated by commas). Actions: ``kill`` (SIGKILL this process: a crash with no clean-up) and
``raise`` (raise ``InjectedFault``, an ordinary failure).
"""

from __future__ import annotations

import os
import signal
from typing import Final, Literal

Action = Literal["kill", "raise"]
ENV_VAR: Final = "INTERVIEW_FAULTS"

#: Every point the library declares, in the order an operation passes them.
POINTS: Final = (
    "start_session.after_initialize",
    "start_session.before_commit",
    "send_message.after_candidate_stored",
    "send_message.after_reply_generated",
    "send_message.after_reply_stored",
    "end_session.after_commit",
    "end_session.after_channels_closed",
    "evaluation.after_claim",
    "evaluation.before_store",
)


class InjectedFault(RuntimeError):
    """The failure an armed ``raise`` point produces."""


def _parse(spec: str) -> dict[str, Action]:
    armed: dict[str, Action] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, action = item.partition("=")
        if name not in POINTS or action not in ("kill", "raise"):
            raise ValueError(f"{ENV_VAR}: unknown fault {item!r}; points: {', '.join(POINTS)}")
        armed[name] = action  # type: ignore[assignment]
    return armed


_armed: dict[str, Action] = _parse(os.environ.get(ENV_VAR, ""))


def arm(name: str, action: Action = "raise") -> None:
    _armed.update(_parse(f"{name}={action}"))


def disarm_all() -> None:
    _armed.clear()


def fault_point(name: str) -> None:
    """Mark a point an operation passes; fires only when a test armed it."""
    if not _armed:
        return
    action = _armed.get(name)
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "raise":
        raise InjectedFault(f"fault injected at {name}")

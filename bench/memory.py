"""The memory of a process that runs interviews through the library, and nothing else.

This module imports only the library and the workload's plan: the floor's drivers and the
bulk loaders (``psycopg``, ``bench.scaling``) stay out of the process being measured, and the
database is migrated by the parent beforehand, as a deployment's ``db upgrade`` would, so that
Alembic is not loaded either.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from typing import Any

from .plan import ANSWER, peak_rss_kib
from .workload import build_container, session_config


def memory_after_sessions(url: str, synchronous: str, checkpoints: Sequence[int]) -> dict[str, Any]:
    """Handle complete sessions (create, start, one turn, end) one after another in this
    process; at each checkpoint (a number of sessions handled) its peak RSS so far and the
    objects the garbage collector tracks."""
    container = build_container(url, synchronous=synchronous)
    marks = sorted(set(checkpoints))
    reached: list[dict[str, Any]] = []
    try:
        manager = container.session_manager()
        began = time.perf_counter()
        for index in range(1, marks[-1] + 1):
            owner = f"candidate-{index % 1000:04d}"
            created = manager.create_session(session_config(owner), user_id=owner)
            manager.start_session(created.id)
            manager.send_message(created.id, ANSWER)
            manager.end_session(created.id)
            if index in marks:
                gc.collect()
                reached.append(
                    {
                        "sessions": index,
                        "peak_rss_kib": peak_rss_kib(),
                        "gc_objects": len(gc.get_objects()),
                        "seconds": time.perf_counter() - began,
                    }
                )
    finally:
        container.shutdown_resources()
    return {"checkpoints": reached}

"""interview-orchestrator through ``SessionManager``, in the project's interpreter.

Built as ``bench.workload.build_container`` builds it: the real container on a new SQLite file,
the scripted instant interviewer and evaluator, logging off. The file is migrated first by
``interview-orchestrator db upgrade`` in a process of its own, as a deployment does, so that
the measured process does not load Alembic. Append is ``send_message``: the candidate's message
and the interviewer's reply, each committed, so one call stores two messages. Each session is
started before its messages (``start_session`` stores the opening question) and paused after
them (a user may have only one ACTIVE session); read is ``get_transcript``, end is
``end_session`` (evaluated at once), list is ``list_sessions(user_id=..., limit=50)``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from interview_orchestrator import EvaluationStatus, SessionManager

from ..plan import ANSWER, peak_rss_kib
from ..workload import build_container, session_config
from .common import Clock, Sizes, check, message, pragmas, result

_RSS_AFTER_IMPORT = peak_rss_kib()


def run(path: str, sessions: int, messages: int, synchronous: str = "FULL") -> dict[str, Any]:
    """The workload on a new SQLite file at ``path``; ``messages`` must be even."""
    check(messages % 2 == 0, "the library stores messages in pairs: give an even count")
    sizes = Sizes(sessions, messages)
    url = f"sqlite:///{path}"
    command = Path(sys.executable).with_name("interview-orchestrator")
    subprocess.run(
        [str(command), "--database-url", url, "db", "upgrade"], capture_output=True, check=True
    )
    container = build_container(url, synchronous=synchronous)
    try:
        manager: SessionManager = container.session_manager()
        raw = container.engine().raw_connection()
        try:
            settings = pragmas(raw.driver_connection)
        finally:
            raw.close()
        clock = Clock()
        began = time.perf_counter()
        _drive(manager, clock, sizes)
        total = time.perf_counter() - began
    finally:
        container.shutdown_resources()
    return result(clock, total=total, rss_after_import_kib=_RSS_AFTER_IMPORT, settings=settings)


def _drive(manager: SessionManager, clock: Clock, sizes: Sizes) -> None:
    ids: list[str] = []
    for index in range(sizes.sessions):
        owner = sizes.user_id(index)
        with clock.step("create"):
            created = manager.create_session(session_config(owner), user_id=owner)
        ids.append(created.id)
    for sid in ids:
        with clock.step("start", messages=1):
            manager.start_session(sid)
        for _ in range(sizes.messages // 2):
            with clock.step("append", messages=2):
                manager.send_message(sid, ANSWER)
        with clock.step("pause"):
            manager.pause_session(sid)
    expected = 1 + sizes.messages
    for sid in ids:
        with clock.step("read"):
            transcript = manager.get_transcript(sid)
        check(len(transcript) == expected, f"{sid} has {len(transcript)} messages")
        check(transcript[-1].content == message(sizes.messages - 1)[1], f"{sid}'s last reply")
    for sid in ids:
        with clock.step("end"):
            report = manager.end_session(sid)
        check(report.status is EvaluationStatus.READY, f"evaluation of {sid}")
    for call in range(sizes.list_calls):
        owner = sizes.user_id(call)
        with clock.step("list"):
            page = manager.list_sessions(user_id=owner, limit=50)
        check(bool(page) and all(s.user_id == owner for s in page), f"listing of {owner}")

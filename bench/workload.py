"""The main workload, through the library: ``SessionManager`` built by the real container.

Create S sessions for S/10 users; for each session in turn start it, send M candidate messages
one at a time, and pause it (a user may have only one ACTIVE session, so a user's next session
can start only once the previous one has left ACTIVE); read every transcript; end every
session (evaluated at once); list users' sessions newest first. Each step is timed on its own.
"""

from __future__ import annotations

import time
from typing import Any

from dependency_injector import providers

from interview_orchestrator import (
    CommunicationMode,
    Container,
    EvaluationStatus,
    Session,
    SessionConfig,
    SessionManager,
)

from .plan import (
    ANSWER,
    PROVIDER,
    TEMPLATE,
    StepClock,
    Workload,
    peak_rss_kib,
    resume,
    stored_config,
)
from .scripted import InstantEvaluator, ScriptedInterviewer


def session_config(user_id: str) -> SessionConfig:
    """The configuration of every session of the workload (as ``plan.stored_config``)."""
    stored = stored_config()
    return SessionConfig(
        enabled_modes=[CommunicationMode(m) for m in stored["enabled_modes"]],
        ai_provider=PROVIDER,
        resume_data=resume(user_id),
        duration_minutes=stored["duration_minutes"],
        template=TEMPLATE,
        metadata=stored["metadata"],
    )


def build_container(url: str, *, synchronous: str = "FULL") -> Container:
    """The real container on ``url`` (migrated), logging off, the scripted AI providers in."""
    container = Container()
    container.config.database.url.from_value(url)
    container.config.database.sqlite_synchronous.from_value(synchronous)
    container.config.database.auto_migrate.from_value("always")
    container.config.logging.enabled.from_value(False)
    container.interviewers.override(
        providers.Dict({PROVIDER: providers.Singleton(ScriptedInterviewer)})
    )
    container.evaluators.override(providers.Dict({PROVIDER: providers.Singleton(InstantEvaluator)}))
    return container


def run_library(url: str, synchronous: str, sessions: int, messages: int) -> dict[str, Any]:
    """The workload through ``SessionManager``; the migration runs before the clock starts."""
    workload = Workload(sessions, messages)
    container = build_container(url, synchronous=synchronous)
    try:
        manager: SessionManager = container.session_manager()
        clock = StepClock()
        began = time.perf_counter()
        _drive(manager, clock, workload)
        total = time.perf_counter() - began
    finally:
        container.shutdown_resources()
    return {"steps": clock.as_dict(), "total_seconds": total, "peak_rss_kib": peak_rss_kib()}


def _drive(manager: SessionManager, clock: StepClock, workload: Workload) -> None:
    ids: list[str] = []
    for index in range(workload.sessions):
        owner = workload.user_id(index)
        created = clock.run("create", _create, manager, owner)
        ids.append(created.id)
    for sid in ids:
        clock.run("start", manager.start_session, sid)
        for _ in range(workload.messages):
            clock.run("turn", manager.send_message, sid, ANSWER)
        clock.run("pause", manager.pause_session, sid)
    expected = 1 + 2 * workload.messages
    for sid in ids:
        transcript = clock.run("transcript", manager.get_transcript, sid)
        if len(transcript) != expected:
            raise RuntimeError(f"{sid} has {len(transcript)} messages, not {expected}")
    for sid in ids:
        report = clock.run("end", manager.end_session, sid)
        if report.status is not EvaluationStatus.READY:
            raise RuntimeError(f"evaluation of {sid} is {report.status.value}, not ready")
    for call in range(workload.list_calls):
        owner = workload.user_id(call)
        page = clock.run("list", manager.list_sessions, user_id=owner, limit=50)
        if not page or any(s.user_id != owner for s in page):
            raise RuntimeError(f"the listing of {owner} is wrong")


def _create(manager: SessionManager, owner: str) -> Session:
    return manager.create_session(session_config(owner), user_id=owner)

"""Background evaluation: what ``interview-orchestrator worker`` runs (and ``serve`` as a
thread on SQLite).

A worker claims the oldest PENDING evaluation (or a RUNNING one whose runner's lease expired)
with a lease, generates it through the ``EvaluationService`` (which keeps the lease alive) and
stores the result; the claim is a compare-and-set on the evaluations table, with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL so that N workers each take a different row. It sleeps
until woken by a commit (any event of any session) or ``poll_interval`` passes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .clock import Clock, utc_now
from .errors import EvaluationError, InterviewPlatformError
from .evaluation.service import EvaluationService, runner_name
from .log_events import LogEvent, Logger
from .models import EvaluationReport, EvaluationStatus
from .ports import CommunicationManager, DataStore

#: The shortest pause between two looks for work when the previous one found none.
_COALESCE_SECONDS = 0.25


@dataclass
class WorkerReport:
    """What a worker run did, by session id."""

    generated: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "generated": self.generated,
            "failed": self.failed,
            "released": self.released,
            "errors": self.errors,
        }


class EvaluationWorker:
    """Claims and generates pending evaluations until told to stop."""

    def __init__(
        self,
        data_store: DataStore,
        evaluation_service: EvaluationService,
        *,
        communication_manager: CommunicationManager | None = None,
        poll_interval: float = 2.0,
        name: str | None = None,
        clock: Clock = utc_now,
        logger: Logger,
    ) -> None:
        self._store = data_store
        self._service = evaluation_service
        self._channels = communication_manager
        self._poll_interval = poll_interval
        self.name = name or runner_name()
        self._clock = clock
        self._log = logger.bind(component="EvaluationWorker")
        self._wake = threading.Event()

    @property
    def lease(self) -> timedelta:
        return self._service.lease

    def run(
        self,
        stop: threading.Event,
        *,
        once: bool = False,
        on_claim: Callable[[EvaluationReport], None] | None = None,
        report: WorkerReport | None = None,
    ) -> WorkerReport:
        """Work until ``stop`` is set (the evaluation in hand is finished first; ``wake()``
        after setting it ends an idle wait at once); with ``once``, until nothing is left to
        claim. ``on_claim`` is told of each claim (tests, metrics); ``report``, if given, is
        filled as the work goes (a caller may read it before ``run`` returns)."""
        report = report if report is not None else WorkerReport()
        unlisten = self._channels.listen(self._woken) if self._channels is not None else None
        self._info(LogEvent.WORKER_STARTED, {"worker": self.name, "once": once})
        try:
            while not stop.is_set():
                worked = self.run_one(report, on_claim=on_claim)
                if worked:
                    continue
                if once:
                    break
                self._wake.wait(self._poll_interval)
                # Every commit of every session wakes the worker; when the last look found
                # nothing, look again at most every ``_COALESCE_SECONDS``, so a busy service
                # costs a few claims a second, not one per event.
                stop.wait(_COALESCE_SECONDS)
                self._wake.clear()
        finally:
            if unlisten is not None:
                unlisten()
            self._info(LogEvent.WORKER_STOPPED, {"worker": self.name, **report.as_dict()})
        return report

    def run_one(
        self,
        report: WorkerReport | None = None,
        *,
        on_claim: Callable[[EvaluationReport], None] | None = None,
    ) -> bool:
        """Claim one due evaluation and generate it; False if none was due."""
        report = report if report is not None else WorkerReport()
        try:
            claimed = self._store.claim_next_evaluation(
                now=self._clock(), lease=self._service.lease, worker=self.name
            )
        except InterviewPlatformError:
            report.errors += 1
            self._error(LogEvent.WORKER_CLAIM_FAILED)
            return False
        if claimed is None:
            return False
        session_id = claimed.session_id
        self._info(
            LogEvent.WORKER_CLAIMED,
            {"worker": self.name, "attempt": claimed.attempts},
            session_id=session_id,
        )
        if on_claim is not None:
            on_claim(claimed)
        finished = False
        try:
            result = self._service.run_claimed(claimed)
            finished = True
            report.generated.append(session_id)
            self._info(
                LogEvent.EVALUATION_FAILED
                if result.status is EvaluationStatus.FAILED
                else LogEvent.EVALUATION_READY,
                {
                    "worker": self.name,
                    "evaluation": result.status.value,
                    "attempt": result.attempts,
                },
                session_id=session_id,
            )
        except EvaluationError:
            finished = True  # stored as FAILED (or taken over): not ours any more
            report.failed.append(session_id)
            self._error(LogEvent.EVALUATION_FAILED, session_id=session_id)
        except InterviewPlatformError:
            report.errors += 1
            self._error(LogEvent.EVALUATION_NOT_STORED, session_id=session_id)
        finally:
            if not finished:  # interrupted (or the store failed): give it back for another
                self._release(claimed, report)
        return True

    def wake(self) -> None:
        """Cut short an idle wait: ``run`` looks at ``stop`` (and for due work) now."""
        self._wake.set()

    def _release(self, claimed: EvaluationReport, report: WorkerReport) -> None:
        try:
            if self._store.release_evaluation(
                claimed.session_id, attempt=claimed.attempts, now=self._clock()
            ):
                report.released.append(claimed.session_id)
        except InterviewPlatformError:
            self._error(LogEvent.WORKER_RELEASE_FAILED, session_id=claimed.session_id)

    def _woken(self, _session_id: str, _first: int, _last: int) -> None:
        self._wake.set()

    def _info(
        self, event: LogEvent, metadata: dict[str, Any], session_id: str | None = None
    ) -> None:
        self._log.info(event, operation="worker", session_id=session_id, metadata=metadata)

    def _error(self, event: LogEvent, session_id: str | None = None) -> None:
        self._log.error(event, operation="worker", session_id=session_id, exc_info=True)

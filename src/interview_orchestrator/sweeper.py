"""Server-side time enforcement: what ``interview-orchestrator sweep`` runs from cron.

Each decision is taken again by ``SessionManager.enforce_time_rules`` on a fresh load and
stored by compare-and-set, so sweeps may overlap each other and live traffic: a session
another caller changed first is simply counted as ``raced``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from . import lifecycle
from .clock import Clock, utc_now
from .errors import EvaluationError, InterviewPlatformError, InvalidStateTransitionError
from .lifecycle import Operation, TimePolicy
from .log_events import LogEvent, Logger
from .models import EndReason, EvaluationStatus
from .ports import DataStore
from .session_manager import SessionManager


@dataclass
class SweepReport:
    """What one sweep did, by session id."""

    ended_time_limit: list[str] = field(default_factory=list)
    paused_idle: list[str] = field(default_factory=list)
    ended_abandoned: list[str] = field(default_factory=list)
    evaluations_generated: list[str] = field(default_factory=list)
    evaluations_failed: list[str] = field(default_factory=list)
    raced: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ended_time_limit": self.ended_time_limit,
            "paused_idle": self.paused_idle,
            "ended_abandoned": self.ended_abandoned,
            "evaluations_generated": self.evaluations_generated,
            "evaluations_failed": self.evaluations_failed,
            "raced": self.raced,
            "errors": self.errors,
        }


class Sweeper:
    """Ends sessions past their time limit, pauses idle ones, ends abandoned ones, and
    regenerates evaluations a crash left pending."""

    def __init__(
        self,
        data_store: DataStore,
        session_manager: SessionManager,
        *,
        time_policy: TimePolicy,
        pending_grace: timedelta = timedelta(minutes=1),
        batch_size: int = 500,
        clock: Clock = utc_now,
        logger: Logger,
    ) -> None:
        self._store = data_store
        self._manager = session_manager
        self._policy = time_policy
        self._pending_grace = pending_grace
        self._batch_size = batch_size
        self._clock = clock
        self._log = logger.bind(component="Sweeper")

    def run(self) -> SweepReport:
        report = SweepReport()
        now = self._clock()
        after: str | None = None
        while True:
            page = self._store.sessions_to_sweep(
                abandoned_before=now - self._policy.abandon_after,
                after_id=after,
                limit=self._batch_size,
            )
            for session in page:
                if lifecycle.due_action(session, now, self._policy) is not None:
                    self._enforce(session.id, report)
            if len(page) < self._batch_size:
                break
            after = page[-1].id
        for session_id in self._store.evaluations_to_resume(
            pending_before=now - self._pending_grace,
            now=now,
            limit=self._batch_size,
        ):
            self._resume_evaluation(session_id, report)
        self._log.info(
            LogEvent.SWEEP_DONE,
            operation="sweep",
            metadata={k: v if isinstance(v, int) else len(v) for k, v in report.as_dict().items()},
        )
        return report

    def _enforce(self, session_id: str, report: SweepReport) -> None:
        try:
            action = self._manager.enforce_time_rules(session_id)
        except InvalidStateTransitionError:
            report.raced += 1
            return
        except InterviewPlatformError as exc:
            report.errors.append(f"{session_id}: {exc}")
            return
        if action is None:
            report.raced += 1  # changed since it was listed (resumed, ended ...)
        elif action.operation is Operation.PAUSE:
            report.paused_idle.append(session_id)
        elif action.end_reason is EndReason.TIME_LIMIT:
            report.ended_time_limit.append(session_id)
        else:
            report.ended_abandoned.append(session_id)

    def _resume_evaluation(self, session_id: str, report: SweepReport) -> None:
        try:
            self._manager.retry_evaluation(session_id)
        except EvaluationError as exc:
            current = self._store.get_evaluation(session_id)
            if current is not None and current.status is EvaluationStatus.RUNNING:
                report.raced += 1  # another sweep or the ending itself is generating it
            else:
                report.evaluations_failed.append(session_id)
                report.errors.append(f"{session_id}: {exc}")
            return
        except InterviewPlatformError as exc:
            report.errors.append(f"{session_id}: {exc}")
            return
        report.evaluations_generated.append(session_id)

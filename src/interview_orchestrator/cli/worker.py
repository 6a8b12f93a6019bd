"""``worker``: generates the evaluations of sessions ended with ``evaluate="background"``, and
delivers webhooks (the dispatcher runs beside the evaluation worker, on a thread of its own).

The worker runs on a thread of its own; the main thread only waits for it and for signals.
SIGTERM or Ctrl-C (SIGINT) asks it to stop: the evaluation in hand is finished, then the
command exits 0. A second signal gives the evaluation in hand back (PENDING, for another
worker) and exits at once with 128 + the signal's number. The handlers are installed for
the length of the command only.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import app, container_of

if TYPE_CHECKING:
    from ..container import Container
    from ..models import EvaluationReport
    from ..webhooks import WebhookDispatcher
    from ..worker import EvaluationWorker, WorkerReport

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: What ``signal.signal`` returns: the handler that was installed before.
Handler = Callable[[int, FrameType | None], Any] | int | None

Once = Annotated[
    bool,
    typer.Option("--once", help="Work until no evaluation is due, then exit (e.g. from cron)."),
]
PollInterval = Annotated[
    float | None,
    typer.Option(
        "--poll-interval",
        metavar="SECONDS",
        min=0.01,
        max=300,
        help="How often an idle worker looks for due evaluations when no commit woke it "
        "(default from the configuration: worker.poll_interval_seconds).",
    ),
]


@app.command()
def worker(ctx: typer.Context, once: Once = False, poll_interval: PollInterval = None) -> None:
    """Generate pending evaluations (sessions ended with evaluate="background"), and take over
    those whose worker died, until stopped. SIGTERM or Ctrl-C: finish the evaluation in hand,
    then exit 0; a second signal gives it back for another worker and exits at once."""
    container = container_of(ctx)
    overrides = {} if poll_interval is None else {"poll_interval": poll_interval}
    evaluation_worker: EvaluationWorker = container.worker(**overrides)
    # Reachable and migrated, or one line on stderr now rather than errors in a loop later.
    container.data_store().failed_evaluations(limit=1)
    webhooks = WebhookThread(container.webhook_dispatcher(), once=once)
    with SupervisedRun(container, evaluation_worker, once=once) as run:
        webhooks.start()
        # Announced once the handlers are in place: a signal from now on stops it cleanly.
        typer.echo(f"worker {evaluation_worker.name} started" + (" (once)" if once else ""))
        code = run.until_stopped()
    webhooks.finish(forced=code >= 128)
    typer.echo(run.summary())
    if code:
        raise typer.Exit(code)


class WebhookThread:
    """The webhook dispatcher beside the evaluation worker, on a thread of its own: stopped
    with it (sends in flight get their grace; a forced exit leaves them to their leases);
    with ``once``, left to finish what is due."""

    def __init__(self, dispatcher: WebhookDispatcher, *, once: bool) -> None:
        self._dispatcher = dispatcher
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=dispatcher.run,
            args=(self._stop,),
            kwargs={"once": once},
            name="webhook-dispatcher",
            daemon=True,
        )
        self._once = once

    def start(self) -> None:
        self._thread.start()

    def finish(self, *, forced: bool) -> None:
        if forced:
            return
        if not self._once:
            self._stop.set()
            self._dispatcher.wake()
        self._thread.join()


class SupervisedRun:
    """One ``EvaluationWorker.run`` on its own thread, stopped cleanly by signals: the
    handlers are installed for the length of the ``with`` block."""

    def __init__(self, container: Container, evaluation_worker: EvaluationWorker, *, once: bool):
        self._container = container
        self._worker = evaluation_worker
        self._once = once
        self._stop = threading.Event()
        #: Signal numbers from the handlers, and None when the run ended. A SimpleQueue's
        #: ``put`` is safe in a signal handler (no lock the interrupted code might hold).
        self._inbox: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._in_hand: EvaluationReport | None = None
        self._failure: BaseException | None = None
        self._forced_by: str | None = None
        self._previous: dict[int, Handler] = {}
        from ..worker import WorkerReport

        self.report: WorkerReport = WorkerReport()

    def __enter__(self) -> SupervisedRun:
        self._previous = self._install_handlers()
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def until_stopped(self) -> int:
        """Run until the work is done (``once``) or a signal stops it; the exit code."""
        runner = threading.Thread(target=self._run, name="evaluation-worker", daemon=True)
        runner.start()
        signals = 0
        while (signum := self._inbox.get()) is not None:
            signals += 1
            if signals == 1:
                self._stop.set()
                self._worker.wake()
                typer.echo(
                    f"worker {self._worker.name} stopping: finishing the evaluation in hand "
                    "(signal again to give it back and exit now)",
                    err=True,
                )
            else:
                self._forced_by = signal.Signals(signum).name
                self._give_back()
                return 128 + signum
        runner.join()
        if self._failure is not None:
            raise self._failure
        return 1 if self._once and self.report.errors else 0

    def summary(self) -> str:
        report = self.report
        counts = (
            f"{len(report.generated)} generated, {len(report.failed)} failed, "
            f"{len(report.released)} released, {report.errors} errors"
        )
        forced = f" (forced by a second {self._forced_by})" if self._forced_by else ""
        released = f"; given back: {' '.join(report.released)}" if report.released else ""
        return f"worker {self._worker.name} stopped{forced}: {counts}{released}"

    def _run(self) -> None:
        try:
            self._worker.run(
                self._stop, once=self._once, on_claim=self._claimed, report=self.report
            )
        except BaseException as exc:  # handed to the main thread, which raises it
            self._failure = exc
        finally:
            self._inbox.put(None)

    def _claimed(self, claimed: EvaluationReport) -> None:
        with self._lock:
            self._in_hand = claimed

    def _give_back(self) -> None:
        """Release the evaluation in hand (if the worker still holds it) to PENDING."""
        with self._lock:
            claimed, self._in_hand = self._in_hand, None
        if claimed is None:
            return
        now = self._container.clock()()
        if self._container.data_store().release_evaluation(
            claimed.session_id, attempt=claimed.attempts, now=now
        ):
            self.report.released.append(claimed.session_id)

    def _install_handlers(self) -> dict[int, Handler]:
        if threading.current_thread() is not threading.main_thread():
            return {}  # signals reach only the main thread: whoever runs us handles them

        def handle(signum: int, _frame: FrameType | None) -> None:
            self._inbox.put(signum)

        previous: dict[int, Handler] = {}
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, handle)
        return previous

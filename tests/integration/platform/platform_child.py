"""A child process of the platform tests, speaking JSON lines (one object per line on stdout).

    platform_child.py senders URL SESSION_ID THREADS INDEX PROCESSES STAGGER
        A container whose interviewer takes 0.2 s to reply. Says {"ready": true}; on "go"
        (stdin) THREADS threads, released together, send one message each to the session,
        thread i of process INDEX (of PROCESSES) after (i * PROCESSES + INDEX) * STAGGER
        seconds, so that the sends of all processes spread over several turns; says
        {"outcomes": [...]} (one per thread) and exits.
    platform_child.py worker URL LEASE_SECONDS POLL_SECONDS once|run
        An EvaluationWorker with that lease. Says {"ready": true, "worker": name}; on "go"
        works, saying {"claimed": session_id, "attempt": n} at each claim: "once" until
        nothing is due, "run" until stdin ends. Then says {"report": {...}} and exits.
    platform_child.py subscriber URL SESSION_ID AFTER|- POLL_SECONDS
        Subscribes to the session's events after the cursor (from the start with "-"); says
        {"ready": true} once subscribed (on PostgreSQL: once LISTEN is up), then
        {"id": n, "type": ...} per event delivered, until stdin ends.
    platform_child.py command URL finish|hold
        ``interview-orchestrator worker --poll-interval 0.2`` on a container whose evaluator
        says {"evaluating": session_id} and then waits: for a line on stdin ("finish"), or
        forever ("hold"). The command's own lines are plain text on stdout and stderr.

Logging is off; of the INTERVIEW_ variables the parent passes only INTERVIEW_FAULTS.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from dependency_injector import providers

from interview_orchestrator import Container, SessionManager, TurnInProgressError
from interview_orchestrator.evaluation.rubric_evaluator import RubricEvaluator
from interview_orchestrator.ports import (
    EvaluationDraft,
    EvaluationRequest,
    InterviewContext,
    InterviewerReply,
)

INTERVIEWER_DELAY = 0.2
_SAYING = threading.Lock()


def say(payload: dict[str, Any]) -> None:
    """One whole line, even when several threads speak."""
    with _SAYING:
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()


def container_on(url: str) -> Any:
    container = Container()
    container.config.database.url.from_value(url)
    container.config.logging.enabled.from_value(False)
    return container


class SlowInterviewer:
    """The container's interviewer, taking ``delay`` seconds over each reply (a slow
    provider), so that turns overlap."""

    def __init__(self, inner: Any, delay: float) -> None:
        self._inner = inner
        self._delay = delay

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def reply(self, context: InterviewContext) -> InterviewerReply:
        time.sleep(self._delay)
        reply: InterviewerReply = self._inner.reply(context)
        return reply


class WaitingEvaluator:
    """The offline evaluator, after saying it started and waiting as told."""

    def __init__(self, how: str) -> None:
        self._inner = RubricEvaluator()
        self._how = how

    def evaluate(self, request: EvaluationRequest) -> EvaluationDraft:
        say({"evaluating": request.session.id})
        if self._how == "finish":
            sys.stdin.readline()
        else:
            threading.Event().wait()
        return self._inner.evaluate(request)


def senders(
    url: str, session_id: str, *, threads: int, index: int, processes: int, stagger: float
) -> None:
    container = container_on(url)
    container.ai_interviewer.override(
        providers.Object(SlowInterviewer(container.ai_interviewer(), INTERVIEWER_DELAY))
    )
    manager: SessionManager = container.session_manager()
    manager.get_session(session_id)  # a pooled connection, ready for the race
    barrier = threading.Barrier(threads)
    outcomes: list[dict[str, Any]] = [{} for _ in range(threads)]

    def send(thread: int) -> None:
        content = f"process {index} thread {thread}: I would add a read-through cache"
        outcome: dict[str, Any] = {"content": content, "ok": False, "error": None}
        barrier.wait(timeout=30)
        time.sleep((thread * processes + index) * stagger)
        try:
            turn = manager.send_turn(session_id, content)
        except Exception as exc:  # every failure is an outcome for the parent to judge
            outcome.update(
                error=type(exc).__name__,
                message=str(exc),
                turn_in_progress=isinstance(exc, TurnInProgressError),
            )
        else:
            outcome.update(
                ok=True,
                candidate_seq=turn.candidate.seq,
                reply_seq=turn.reply.seq,
                reply_to=turn.reply.reply_to,
            )
        outcomes[thread] = outcome

    say({"ready": True})
    if sys.stdin.readline().strip() != "go":
        return
    workers = [threading.Thread(target=send, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    say({"outcomes": outcomes})
    container.shutdown_resources()


def worker(url: str, lease: int, poll: float, mode: str) -> None:
    container = container_on(url)
    container.config.evaluation.lease_seconds.from_value(lease)
    evaluation_worker = container.worker(poll_interval=poll)
    container.data_store().failed_evaluations(limit=1)  # a pooled connection
    say({"ready": True, "worker": evaluation_worker.name})
    if sys.stdin.readline().strip() != "go":
        return
    stop = threading.Event()

    def claimed(report: Any) -> None:
        say({"claimed": report.session_id, "attempt": report.attempts})

    if mode == "once":
        report = evaluation_worker.run(stop, once=True, on_claim=claimed)
    else:
        result: list[Any] = []
        runner = threading.Thread(
            target=lambda: result.append(evaluation_worker.run(stop, on_claim=claimed))
        )
        runner.start()
        sys.stdin.read()  # until the parent closes our stdin
        stop.set()
        evaluation_worker.wake()
        runner.join()
        (report,) = result
    say({"report": report.as_dict()})
    container.shutdown_resources()


def subscriber(url: str, session_id: str, after: str, poll: float) -> None:
    container = container_on(url)
    manager: SessionManager = container.session_manager()
    channels = container.communication_manager()
    subscription = manager.subscribe(
        lambda event: say({"id": event.id, "type": event.type.value}),
        session_id=session_id,
        after=None if after == "-" else int(after),
        poll_interval=poll,
    )
    listening = getattr(channels, "listening", None)
    if listening is not None and not listening.wait(20):
        raise SystemExit("the PostgreSQL listener did not come up")
    say({"ready": True})
    sys.stdin.read()  # until the parent closes our stdin
    subscription.close()
    container.shutdown_resources()


def command(url: str, how: str) -> None:
    from interview_orchestrator.cli import app

    container = container_on(url)
    container.evaluators.override(providers.Dict(offline=providers.Object(WaitingEvaluator(how))))
    try:
        app(["worker", "--poll-interval", "0.2"], obj=container)
    finally:
        container.shutdown_resources()


def main() -> None:
    role, url, *rest = sys.argv[1:]
    if role == "senders":
        senders(
            url,
            rest[0],
            threads=int(rest[1]),
            index=int(rest[2]),
            processes=int(rest[3]),
            stagger=float(rest[4]),
        )
    elif role == "worker":
        worker(url, int(rest[0]), float(rest[1]), rest[2])
    elif role == "subscriber":
        subscriber(url, rest[0], rest[1], float(rest[2]))
    elif role == "command":
        command(url, rest[0])
    else:
        raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    main()

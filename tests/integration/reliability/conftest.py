"""Shared by the reliability tests: containers on the test databases, racers (threads, or child
processes, started together behind a barrier), and the consistency check of a stored session.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

from interview_orchestrator import (
    Container,
    EvaluationReport,
    Message,
    Role,
    Session,
    SessionManager,
    SessionStatus,
    lifecycle,
)
from interview_orchestrator.lifecycle import Operation
from interview_orchestrator.models import TransitionRecord

WORKER = Path(__file__).with_name("race_worker.py")
THREADS = 16
PROCESSES = 4
#: Bounds every wait of a race: a hung racer fails the test instead of hanging the suite.
RACE_TIMEOUT = 60.0

Outcome = dict[str, Any]
Call = dict[str, Any]


def _load_worker() -> Any:
    spec = importlib.util.spec_from_file_location("reliability_race_worker", WORKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


perform: Callable[[SessionManager, Call], Outcome] = _load_worker().perform


# ---------------------------------------------------------------------- containers


def build_container(url: str) -> Any:
    container = Container()
    container.config.database.url.from_value(url)
    container.config.logging.enabled.from_value(False)
    return container


@pytest.fixture
def make_container() -> Iterator[Callable[[str], Container]]:
    """Builds containers (logging off) on a URL; shuts them all down after the test."""
    built: list[Container] = []

    def make(url: str) -> Any:
        container = build_container(url)
        built.append(container)
        return container

    yield make
    for container in built:
        container.shutdown_resources()


@pytest.fixture
def container(database_url: str, make_container: Callable[[str], Container]) -> Container:
    return make_container(database_url)


@pytest.fixture
def manager(container: Container) -> SessionManager:
    built: SessionManager = container.session_manager()
    return built


# ---------------------------------------------------------------------- racers


def race_threads(manager: SessionManager, jobs: Sequence[Sequence[Call]]) -> list[list[Outcome]]:
    """One thread per job, released together by a barrier; each runs its calls in order."""
    barrier = threading.Barrier(len(jobs))
    results: list[list[Outcome] | None] = [None] * len(jobs)

    def run(index: int, calls: Sequence[Call]) -> None:
        barrier.wait(timeout=RACE_TIMEOUT)
        results[index] = [perform(manager, call) for call in calls]

    threads = [
        threading.Thread(target=run, args=(i, calls), daemon=True) for i, calls in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=RACE_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a racing thread did not finish in time"
    assert all(r is not None for r in results), "a racing thread died"
    return [r for r in results if r is not None]


class ProcessRacers:
    """``size`` long-lived child processes running ``race_worker.py``; a race sends each its
    calls, waits until every child is ready (container built, connection pooled), then fires
    "go" at all of them at once."""

    def __init__(self, size: int, log_dir: Path) -> None:
        self.size = size
        self._log_dir = log_dir
        self._children: list[tuple[subprocess.Popen[str], queue.Queue[str | None], IO[str]]] = []

    def _start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}
        for index in range(self.size):
            errors = (self._log_dir / f"racer-{index}.stderr").open("w+")
            child = subprocess.Popen(
                [sys.executable, str(WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                bufsize=1,
                env=env,
            )
            lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(target=_pump, args=(child.stdout, lines), daemon=True).start()
            self._children.append((child, lines, errors))

    def run(self, url: str, jobs: Sequence[Sequence[Call]]) -> list[list[Outcome]]:
        assert len(jobs) == self.size
        if not self._children:
            self._start()
        try:
            warm = sorted({call["sid"] for calls in jobs for call in calls})
            for (child, _, _), calls in zip(self._children, jobs, strict=True):
                self._send(child, json.dumps({"url": url, "warm": warm, "calls": list(calls)}))
            for index in range(self.size):
                assert self._receive(index).get("ready"), "a racer was not ready"
            for child, _, _ in self._children:  # the starting gun, as close together as can be
                self._send(child, "go")
            return [list(self._receive(index)["outcomes"]) for index in range(self.size)]
        except BaseException:
            self.close()  # a racer in an unknown state is not reused
            raise

    @staticmethod
    def _send(child: subprocess.Popen[str], line: str) -> None:
        assert child.stdin is not None
        child.stdin.write(line + "\n")
        child.stdin.flush()

    def _receive(self, index: int) -> dict[str, Any]:
        child, lines, errors = self._children[index]
        try:
            line = lines.get(timeout=RACE_TIMEOUT)
        except queue.Empty:
            line = None
        if line is None:
            errors.seek(0)
            pytest.fail(
                f"racer process {index} gave no answer (exit {child.poll()}):\n"
                f"{errors.read()[-4000:]}"
            )
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        for child, _, errors in self._children:
            if child.stdin is not None:
                child.stdin.close()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=10)
            errors.close()
        self._children.clear()


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@pytest.fixture(scope="session")
def process_racers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessRacers]:
    racers = ProcessRacers(PROCESSES, tmp_path_factory.mktemp("racers"))
    yield racers
    racers.close()


@dataclass
class Racers:
    """Threads of this process or child processes, behind one interface."""

    kind: str
    size: int
    run: Callable[[Any, Sequence[Sequence[Call]]], list[list[Outcome]]]


@pytest.fixture(params=["threads", "processes"])
def racers(request: pytest.FixtureRequest) -> Racers:
    """16 threads sharing the test's container, or 4 processes with a container each."""
    if request.param == "threads":
        return Racers(
            "threads",
            THREADS,
            lambda container, jobs: race_threads(container.session_manager(), jobs),
        )
    pool: ProcessRacers = request.getfixturevalue("process_racers")
    return Racers(
        "processes",
        PROCESSES,
        lambda container, jobs: pool.run(container.config.database.url(), jobs),
    )


# ---------------------------------------------------------------------- the stored story


@dataclass(frozen=True)
class Story:
    session: Session
    transcript: list[Message]
    transitions: list[TransitionRecord]
    evaluation: EvaluationReport | None


def assert_consistent(container: Container, session_id: str) -> Story:
    """The stored session tells one story: seqs 1..message_count; the transitions a walk of
    the lifecycle table from CREATED to the current status, one per version; one COMPLETED
    transition and an evaluation exactly when ended; late messages only interviewer replies,
    and nothing live after a late one of an ended session."""
    store = container.data_store()
    session = store.get_session(session_id)
    transcript = store.get_transcript(session_id)
    transitions = store.list_transitions(session_id)
    evaluation = store.get_evaluation(session_id)

    assert [m.seq for m in transcript] == list(range(1, session.message_count + 1))
    status = SessionStatus.CREATED
    for record in transitions:
        assert record.from_status is status, transitions
        allowed = lifecycle.TRANSITIONS.get((Operation(record.operation), record.from_status))
        assert allowed is record.to_status, record
        status = record.to_status
    assert status is session.status
    assert session.version == len(transitions)
    ended = session.status is SessionStatus.COMPLETED
    assert sum(t.to_status is SessionStatus.COMPLETED for t in transitions) == int(ended)
    assert (evaluation is not None) == ended
    if transitions:
        assert transcript and transcript[0].role is Role.INTERVIEWER  # the opening question
    else:
        assert transcript == []
    assert all(m.role is Role.INTERVIEWER for m in transcript if m.late)
    if ended and not any(t.to_status is SessionStatus.PAUSED for t in transitions):
        lates = [m.late for m in transcript]
        assert lates == sorted(lates), "a live message was stored after a late one"
    return Story(session, transcript, transitions, evaluation)


@pytest.fixture
def story() -> Callable[[Any, str], Story]:
    """``story(container, session_id)``: the checked stored story of a session."""
    return assert_consistent


# ---------------------------------------------------------------------- figures

FIGURES_ENV = "RELIABILITY_FIGURES"


@pytest.fixture
def figures(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
) -> Callable[..., None]:
    """``figures(threads=16, rounds=5, ...)``: the numbers a test ran with and what came of
    them, as JUnit properties and, with ``RELIABILITY_FIGURES=path``, JSON lines in that file
    (they feed docs/reliability.md)."""

    def record(**values: object) -> None:
        for key, value in values.items():
            record_property(key, value)
        target = os.environ.get(FIGURES_ENV)
        if target:
            with open(target, "a", encoding="utf-8") as out:
                out.write(json.dumps({"test": request.node.nodeid, **values}, default=str) + "\n")

    return record

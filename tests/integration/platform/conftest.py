"""Shared by the platform process tests: a container in the test process on the test's
database, and child processes (``platform_child.py`` or the installed command) whose output
lines are read by threads, so that every wait is on a condition with a deadline."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

import pytest

from interview_orchestrator import SessionConfig, SessionManager

CHILD = Path(__file__).with_name("platform_child.py")
EXE = shutil.which("interview-orchestrator", path=str(Path(sys.executable).parent))
#: Bounds every wait on a child: a hung child fails the test instead of hanging the suite.
DEADLINE = 30.0


def child_env() -> dict[str, str]:
    """This environment without the developer's configuration."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEW_", "OPENAI_"))}


class Child:
    """A child process; its stdout lines are queued by a thread, its stderr collected."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.argv = argv
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._stderr_grew = threading.Condition()
        assert self.process.stdout is not None and self.process.stderr is not None
        threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True).start()
        self._stderr_reader = threading.Thread(
            target=self._collect, args=(self.process.stderr,), daemon=True
        )
        self._stderr_reader.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _collect(self, stream: IO[str]) -> None:
        for line in stream:
            with self._stderr_grew:
                self._stderr.append(line)
                self._stderr_grew.notify_all()
        with self._stderr_grew:
            self._stderr.append("")  # the end: wakes a waiter that must give up
            self._stderr_grew.notify_all()

    @property
    def stderr(self) -> str:
        with self._stderr_grew:
            return "".join(self._stderr)

    def stderr_until(self, text: str, timeout: float = DEADLINE) -> None:
        """Wait until ``text`` appears on stderr; fails the test after ``timeout`` or if the
        process ends without it."""

        def seen() -> bool:
            return text in "".join(self._stderr)

        def ended() -> bool:
            return bool(self._stderr) and self._stderr[-1] == ""

        with self._stderr_grew:
            self._stderr_grew.wait_for(lambda: seen() or ended(), timeout)
            if seen():
                return
        pytest.fail(f"{self._name} did not say {text!r} on stderr:\n{self.stderr[-4000:]}")

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def close_stdin(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def line(self, timeout: float = DEADLINE) -> str:
        """The next stdout line; fails the test at end of output or after ``timeout``."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"{self._name} said nothing for {timeout} s:\n{self.stderr[-4000:]}")
        if line is None:
            self._lines.put(None)  # stays at the end for later readers
            self.process.wait(timeout=DEADLINE)
            pytest.fail(
                f"{self._name} ended (exit {self.process.returncode}) before saying what was "
                f"awaited:\n{self.stderr[-4000:]}"
            )
        return line

    def json(self, timeout: float = DEADLINE) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self.line(timeout))
        return answer

    def until(self, found: Callable[[str], bool], timeout: float = DEADLINE) -> list[str]:
        """The stdout lines up to and including the first that ``found`` accepts."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            seen.append(self.line(max(deadline - time.monotonic(), 0.01)))
            if found(seen[-1]):
                return seen

    def rest(self) -> list[str]:
        """Every stdout line not read yet, once the process has ended."""
        self.wait()
        lines = []
        while (line := self._lines.get(timeout=DEADLINE)) is not None:
            lines.append(line)
        self._lines.put(None)
        return lines

    def wait(self, timeout: float = DEADLINE) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self._name} did not exit within {timeout} s:\n{self.stderr[-4000:]}")
        self._stderr_reader.join(timeout=DEADLINE)
        return code

    def kill(self) -> None:
        self.close_stdin()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=DEADLINE)

    @property
    def _name(self) -> str:
        return f"child {' '.join(self.argv[1:3])}"


@pytest.fixture
def spawn() -> Iterator[Callable[..., Child]]:
    """``spawn(role, *args)`` starts ``platform_child.py role args...``; with
    ``command=True`` the installed ``interview-orchestrator args...``; ``env`` adds variables
    (e.g. ``INTERVIEW_FAULTS``). Children still running after the test are killed."""
    children: list[Child] = []

    def start(
        *args: str, command: bool = False, env: Mapping[str, str] = MappingProxyType({})
    ) -> Child:
        assert EXE is not None, "the interview-orchestrator command is not installed"
        argv = [EXE, *args] if command else [sys.executable, str(CHILD), *args]
        child = Child(argv, {**child_env(), **env})
        children.append(child)
        return child

    yield start
    for child in children:
        child.kill()


@pytest.fixture
def active_session(manager: SessionManager) -> Callable[[], str]:
    """``active_session()``: a new started session (opening question asked) with one
    exchange."""

    def make() -> str:
        session = manager.create_session(SessionConfig())
        manager.start_session(session.id)
        manager.send_message(session.id, "I would shard by user id and cache the hot reads.")
        return session.id

    return make

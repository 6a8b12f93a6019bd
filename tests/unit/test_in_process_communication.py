"""The in-process communication manager: open modes per session, and wake-ups delivered on its
own dispatcher thread, a failing listener logged and skipped."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any, Final

import pytest

from interview_orchestrator.communication import InProcessCommunicationManager
from interview_orchestrator.log_events import LogEvent
from interview_orchestrator.models import CommunicationMode
from interview_orchestrator.testing.pytest_plugin import capturing_logger

WAIT: Final = 5.0
Wake = tuple[str, int, int, str]


@pytest.fixture
def lines() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def channels(lines: list[dict[str, Any]]) -> Iterator[InProcessCommunicationManager]:
    manager = InProcessCommunicationManager(logger=capturing_logger(lines))
    yield manager
    manager.close()


def recorder() -> tuple[queue.Queue[Wake], Any]:
    """A listener that records each wake-up with the name of the thread it ran on."""
    heard: queue.Queue[Wake] = queue.Queue()

    def listener(session_id: str, first: int, last: int) -> None:
        heard.put((session_id, first, last, threading.current_thread().name))

    return heard, listener


def test_modes_are_opened_and_closed_per_session(channels: InProcessCommunicationManager) -> None:
    channels.enable_mode("s-1", CommunicationMode.TEXT)
    channels.enable_mode("s-1", CommunicationMode.WHITEBOARD)
    channels.enable_mode("s-2", CommunicationMode.AUDIO)
    channels.disable_all_modes("s-1")
    assert channels.enabled_modes("s-1") == frozenset()
    assert channels.enabled_modes("s-2") == {CommunicationMode.AUDIO}


def test_a_wake_up_reaches_the_listener_on_the_dispatcher_thread(
    channels: InProcessCommunicationManager,
) -> None:
    heard, listener = recorder()
    channels.listen(listener)
    channels.notify("s-1", 3, 5)
    session_id, first, last, thread = heard.get(timeout=WAIT)
    assert (session_id, first, last) == ("s-1", 3, 5)
    assert thread == "interview-events-dispatch" != threading.current_thread().name


def test_a_failing_listener_is_logged_and_the_others_still_hear(
    channels: InProcessCommunicationManager, lines: list[dict[str, Any]]
) -> None:
    def broken(session_id: str, first: int, last: int) -> None:
        raise RuntimeError("subscriber bug")

    heard, listener = recorder()
    channels.listen(broken)
    channels.listen(listener)
    channels.notify("s-1", 1, 1)
    assert heard.get(timeout=WAIT)[:3] == ("s-1", 1, 1)
    (line,) = lines
    assert line["message"] == LogEvent.LISTENER_FAILED and line["level"] == "error"
    assert line["session_id"] == "s-1" and line["metadata"] == {"first": 1, "last": 1}
    assert line["exception"][0]["exc_type"] == "RuntimeError"


def test_a_stopped_listener_hears_nothing_more(channels: InProcessCommunicationManager) -> None:
    stopped_heard, stopped = recorder()
    heard, listener = recorder()
    stop = channels.listen(stopped)
    channels.listen(listener)
    stop()
    channels.notify("s-1", 1, 1)
    heard.get(timeout=WAIT)  # the wake-up was delivered: the stopped one would have had it too
    assert stopped_heard.empty()


def test_close_stops_the_dispatcher_thread(channels: InProcessCommunicationManager) -> None:
    threads: queue.Queue[threading.Thread] = queue.Queue()
    channels.listen(lambda *_: threads.put(threading.current_thread()))
    channels.notify("s-1", 1, 1)
    dispatcher = threads.get(timeout=WAIT)
    channels.close()
    assert not dispatcher.is_alive()


def test_a_listener_registered_after_close_starts_a_new_dispatcher(
    channels: InProcessCommunicationManager,
) -> None:
    channels.listen(recorder()[1])
    channels.close()
    heard, listener = recorder()
    channels.listen(listener)
    channels.notify("s-2", 7, 7)
    assert heard.get(timeout=WAIT)[:3] == ("s-2", 7, 7)

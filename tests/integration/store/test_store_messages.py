"""The transcript: numbering, refusal outside ACTIVE, late messages, concurrency, Unicode."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interview_orchestrator.errors import InvalidInputError, InvalidStateTransitionError
from interview_orchestrator.lifecycle import Operation
from interview_orchestrator.models import CommunicationMode, NewMessage, Role
from interview_orchestrator.store import SqlAlchemyDataStore

if TYPE_CHECKING:
    from conftest import Driver


def test_append_numbers_messages_one_to_n(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.active()
    stored = [
        store.append_message(session.id, driver.text_message(f"m{i}", driver.t0))
        for i in range(1, 8)
    ]
    assert [m.seq for m in stored] == list(range(1, 8))
    assert store.get_transcript(session.id) == stored
    assert store.get_session(session.id).message_count == 7


def test_append_returns_what_a_read_returns(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.active()
    new = NewMessage(
        Role.CANDIDATE,
        CommunicationMode.WHITEBOARD,
        "[box] -> [db]",
        driver.t0 + timedelta(seconds=3),
    )
    stored = store.append_message(session.id, new)
    assert stored == store.get_transcript(session.id)[0]
    assert stored.mode is CommunicationMode.WHITEBOARD
    assert stored.late is False
    assert store.get_session(session.id).last_activity_at == new.created_at


@pytest.mark.parametrize("state", ["created", "paused", "completed"])
def test_append_outside_active_is_refused_and_stores_nothing(
    store: SqlAlchemyDataStore, driver: Driver, state: str
) -> None:
    session = {
        "created": driver.created,
        "paused": lambda: driver.transition(driver.active(), Operation.PAUSE).session,
        "completed": driver.completed,
    }[state]()
    with pytest.raises(InvalidStateTransitionError) as refused:
        store.append_message(
            session.id, driver.text_message("hello?", driver.t0), interviewer_state={"x": 1}
        )
    assert refused.value.status == state
    assert refused.value.operation == "send a message to"
    assert store.get_transcript(session.id) == []
    assert store.get_session(session.id) == session


def test_late_append_is_stored_marked_late(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.active()
    store.append_message(session.id, driver.text_message("answer", driver.t0))
    ended = driver.transition(store.get_session(session.id), Operation.END).session
    late = store.append_message(
        session.id, driver.text_message("one more thing", driver.t0), allow_late=True
    )
    assert late.late is True
    assert late.seq == 2
    transcript = store.get_transcript(session.id)
    assert [(m.seq, m.late) for m in transcript] == [(1, False), (2, True)]
    assert store.get_session(session.id).status is ended.status


def test_late_append_to_a_never_started_session_is_refused(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.created()
    with pytest.raises(InvalidStateTransitionError):
        store.append_message(session.id, driver.text_message("early", driver.t0), allow_late=True)
    assert store.get_transcript(session.id) == []


def test_append_replaces_the_interviewer_state(store: SqlAlchemyDataStore, driver: Driver) -> None:
    session = driver.active(state={"phase": "intro"})
    store.append_message(session.id, driver.text_message("a", driver.t0))
    assert store.get_session(session.id).interviewer_state == {"phase": "intro"}
    store.append_message(
        session.id,
        driver.text_message("b", driver.t0),
        interviewer_state={"phase": "deep-dive", "asked": ["q1"]},
    )
    assert store.get_session(session.id).interviewer_state == {
        "phase": "deep-dive",
        "asked": ["q1"],
    }


def test_interviewer_state_that_is_not_json_is_refused(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    with pytest.raises(InvalidInputError):
        store.append_message(
            session.id, driver.text_message("a", driver.t0), interviewer_state={"when": object()}
        )
    assert store.get_transcript(session.id) == []


def test_concurrent_appends_from_eight_threads_have_no_gaps_or_duplicates(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    threads_n, per_thread = 8, 15
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        barrier.wait()
        try:
            for i in range(per_thread):
                store.append_message(session.id, driver.text_message(f"{worker}:{i}", driver.t0))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    transcript = store.get_transcript(session.id)
    total = threads_n * per_thread
    assert [m.seq for m in transcript] == list(range(1, total + 1))
    assert sorted(m.content for m in transcript) == sorted(
        f"{w}:{i}" for w in range(threads_n) for i in range(per_thread)
    )
    # Each writer's messages keep their order.
    for worker in range(threads_n):
        mine = [m.content for m in transcript if m.content.startswith(f"{worker}:")]
        assert mine == [f"{worker}:{i}" for i in range(per_thread)]
    assert store.get_session(session.id).message_count == total


def test_recent_messages_returns_the_tail_in_order(
    store: SqlAlchemyDataStore, driver: Driver
) -> None:
    session = driver.active()
    for i in range(1, 11):
        store.append_message(session.id, driver.text_message(f"m{i}", driver.t0))
    assert [m.seq for m in store.recent_messages(session.id, 3)] == [8, 9, 10]
    assert [m.content for m in store.recent_messages(session.id, 1)] == ["m10"]
    assert store.recent_messages(session.id, 50) == store.get_transcript(session.id)
    assert store.recent_messages(session.id, 0) == []
    with pytest.raises(InvalidInputError):
        store.recent_messages(session.id, -1)


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=300,
).filter(lambda text: text.strip() != "")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=_TEXT, key=_TEXT)
def test_arbitrary_unicode_text_round_trips(
    store: SqlAlchemyDataStore, driver: Driver, content: str, key: str
) -> None:
    session = driver.active(user_id=f"unicode-{abs(hash((content, key)))}", state={key: content})
    stored = store.append_message(
        session.id, driver.text_message(content, driver.t0), interviewer_state={key: [content]}
    )
    assert store.get_transcript(session.id) == [stored]
    assert stored.content == content
    assert store.get_session(session.id).interviewer_state == {key: [content]}
    driver.transition(store.get_session(session.id), Operation.END)

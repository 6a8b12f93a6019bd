"""Two spellings of one user id are one candidate, on SQLite and PostgreSQL: "jos\u00e9"
(precomposed) and "jose\u0301" (e + combining acute) share the one-ACTIVE-session rule, every
lookup, and erasure. An id that only looks like another (an invisible character added) is
refused before anything is stored."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlalchemy import text

from interview_orchestrator import (
    InvalidInputError,
    InvalidStateTransitionError,
    SessionConfig,
    SessionManager,
    SessionStatus,
)
from interview_orchestrator.archive import export_sessions, forget_user, import_sessions
from interview_orchestrator.ports import SessionFilter

COMPOSED = "jos\u00e9"
DECOMPOSED = "jose\u0301"
SPELLINGS = pytest.mark.parametrize(
    ("first", "second"),
    [(COMPOSED, DECOMPOSED), (DECOMPOSED, COMPOSED)],
    ids=["composed-first", "decomposed-first"],
)


def stored_user_ids(container: Any) -> list[str]:
    with container.engine().connect() as conn:
        return sorted(conn.execute(text("SELECT user_id FROM sessions")).scalars())


def started(manager: SessionManager, user_id: str) -> str:
    session_id = manager.create_session(SessionConfig(), user_id=user_id).id
    manager.start_session(session_id)
    return session_id


@SPELLINGS
def test_a_second_spelling_of_a_user_id_cannot_start_a_second_active_session(
    manager: SessionManager, container: Any, first: str, second: str
) -> None:
    active = started(manager, first)
    other = manager.create_session(SessionConfig(), user_id=second).id

    with pytest.raises(
        InvalidStateTransitionError, match=f"already has an active session {active}"
    ):
        manager.start_session(other)

    assert manager.get_session(other).status is SessionStatus.CREATED
    assert stored_user_ids(container) == [COMPOSED, COMPOSED]


@SPELLINGS
def test_lookups_by_either_spelling_find_the_same_sessions(
    manager: SessionManager, first: str, second: str
) -> None:
    active = started(manager, first)
    manager.create_session(SessionConfig(), user_id=first)

    by_first = [s.id for s in manager.list_sessions(user_id=first)]
    assert [s.id for s in manager.list_sessions(user_id=second)] == by_first
    assert len(by_first) == 2
    found = manager.get_active_session(second)
    assert found is not None and found.id == active


def test_the_resume_user_id_is_normalised_when_it_names_the_owner(
    manager: SessionManager,
) -> None:
    session = manager.create_session(SessionConfig(resume_data={"user_id": DECOMPOSED}))
    assert session.user_id == COMPOSED


@SPELLINGS
def test_forgetting_either_spelling_erases_every_session_of_the_candidate(
    manager: SessionManager, container: Any, first: str, second: str
) -> None:
    started(manager, first)
    manager.create_session(SessionConfig(), user_id=second)
    manager.create_session(SessionConfig(), user_id="someone-else")

    report = forget_user(container.session_archive(), second)

    assert report.deleted.sessions == 2 and report.user_id == COMPOSED
    assert stored_user_ids(container) == ["someone-else"]


def test_export_filters_and_import_user_maps_match_either_spelling(
    manager: SessionManager, container: Any
) -> None:
    archive = container.session_archive()
    session_id = manager.create_session(
        SessionConfig(resume_data={"user_id": DECOMPOSED}), user_id=DECOMPOSED
    ).id
    out = io.BytesIO()
    assert export_sessions(archive, SessionFilter(user_id=DECOMPOSED), out) == 1
    forget_user(archive, COMPOSED)

    report = import_sessions(archive, [out.getvalue()], user_map={DECOMPOSED: "jose-2"})

    assert [(e.session_id, e.user_id) for e in report.entries] == [(session_id, "jose-2")]
    record = json.loads(out.getvalue())
    assert record["session"]["user_id"] == COMPOSED
    assert manager.get_session(session_id).config.resume_data == {"user_id": "jose-2"}


@pytest.mark.parametrize(
    "invisible", ["\u3164", "\uffa0", "\u2800", "\u034f", "\ufe0f"], ids=lambda c: f"U+{ord(c):04X}"
)
def test_a_look_alike_user_id_is_refused_and_nothing_is_stored(
    manager: SessionManager, container: Any, invisible: str
) -> None:
    manager.create_session(SessionConfig(), user_id="admin")

    with pytest.raises(InvalidInputError, match=f"U\\+{ord(invisible):04X}"):
        manager.create_session(SessionConfig(), user_id=f"admin{invisible}")

    assert stored_user_ids(container) == ["admin"]


def test_a_config_holding_text_that_is_not_unicode_is_refused_and_nothing_is_stored(
    manager: SessionManager, container: Any
) -> None:
    with pytest.raises(InvalidInputError, match="ai_model is not valid Unicode text"):
        manager.create_session(SessionConfig(ai_provider="openai", ai_model="\ud800"))
    assert stored_user_ids(container) == []

"""One turn at a time, decided by the database: sends racing from threads of several processes
to one session are either answered, one exchange after another, or refused with nothing
stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from interview_orchestrator import Role, SessionManager

PROCESSES = 2
THREADS = 8
#: Sends are spread over 16 x 0.03 s, against replies of 0.2 s: each turn is raced by the
#: sends that arrive while it waits for its reply, and several turns are won.
STAGGER = 0.03


def test_racing_sends_from_two_processes_take_turns_and_refusals_store_nothing(
    database_url: str,
    manager: SessionManager,
    active_session: Callable[[], str],
    spawn: Callable[..., Any],
) -> None:
    sid = active_session()
    before = manager.get_transcript(sid)
    senders = [
        spawn("senders", database_url, sid, str(THREADS), str(p), str(PROCESSES), str(STAGGER))
        for p in range(PROCESSES)
    ]
    for child in senders:
        assert child.json() == {"ready": True}
    for child in senders:  # the starting gun, as close together as can be
        child.send("go")
    outcomes: list[dict[str, Any]] = [o for c in senders for o in c.json()["outcomes"]]
    for child in senders:
        assert child.wait() == 0, child.stderr

    accepted = [o for o in outcomes if o["ok"]]
    refused = [o for o in outcomes if not o["ok"]]
    assert len(accepted) + len(refused) == PROCESSES * THREADS
    assert refused, "no send overlapped another: the race was not exercised"
    assert all(o["turn_in_progress"] for o in refused), refused

    transcript = manager.get_transcript(sid)
    assert transcript[: len(before)] == before
    roles = [m.role for m in transcript]
    assert roles == [Role.INTERVIEWER, *[Role.CANDIDATE, Role.INTERVIEWER] * (len(roles) // 2)]
    new = transcript[len(before) :]
    candidates = [m for m in new if m.role is Role.CANDIDATE]
    assert sorted(m.content for m in candidates) == sorted(o["content"] for o in accepted)
    stored = {m.content for m in transcript}
    assert not stored & {o["content"] for o in refused}
    replies = [m for m in new if m.role is Role.INTERVIEWER]
    assert [r.reply_to for r in replies] == [c.seq for c in candidates]
    by_seq = {m.seq: m for m in transcript}
    for outcome in accepted:
        assert by_seq[outcome["candidate_seq"]].content == outcome["content"]
        assert outcome["reply_to"] == outcome["candidate_seq"]
        assert by_seq[outcome["reply_seq"]].reply_to == outcome["candidate_seq"]

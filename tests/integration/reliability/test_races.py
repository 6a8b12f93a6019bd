"""One transition wins: racing calls on one session — from 16 threads of one process and from 4
processes at once, on SQLite and PostgreSQL — resolve to exactly one state change; the losers
get ``InvalidStateTransitionError`` and nothing else; an ending evaluates once; the
transitions table tells one story; concurrent messages are taken one turn at a time (the rest
refused with ``TurnInProgressError``), numbered without gaps or doubles; and a user has at most
one ACTIVE session, which the database itself enforces."""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from interview_orchestrator import (
    EvaluationStatus,
    InvalidStateTransitionError,
    Role,
    SessionConfig,
    SessionManager,
    SessionStatus,
    lifecycle,
)
from interview_orchestrator.lifecycle import Operation

Outcome = dict[str, Any]
FINISHED = {EvaluationStatus.READY.value, EvaluationStatus.NO_EVIDENCE.value}
#: Races per test; each round is a fresh session raced by every racer.
ROUNDS = 3
TARGET = {"start": "active", "pause": "paused", "resume": "active", "end": "completed"}


def new_session(manager: SessionManager, status: SessionStatus, user: str | None = None) -> str:
    sid = manager.create_session(SessionConfig(), user_id=user).id
    if status is not SessionStatus.CREATED:
        manager.start_session(sid)
    if status is SessionStatus.PAUSED:
        manager.pause_session(sid)
    return sid


def flat(results: list[list[Outcome]]) -> list[Outcome]:
    return [outcome for outcomes in results for outcome in outcomes]


REFUSALS = {"InvalidStateTransitionError", "TurnInProgressError"}


def only_refusals(losers: list[Outcome]) -> None:
    """Every failure is a refusal (of the transition, or of a second turn at once) — no
    DataStoreError, no lock error."""
    unexpected = [o for o in losers if o["error"] not in REFUSALS]
    assert not unexpected, "\n".join(
        f"{o['op']}: {o['error']}: {o['message']}\n{o.get('traceback', '')}" for o in unexpected
    )


def split(outcomes: list[Outcome]) -> tuple[list[Outcome], list[Outcome]]:
    winners = [o for o in outcomes if o["ok"]]
    losers = [o for o in outcomes if not o["ok"]]
    only_refusals(losers)
    return winners, losers


def test_racing_ends_have_one_winner_and_one_evaluation(
    container: Any,
    manager: SessionManager,
    racers: Any,
    story: Callable[..., Any],
    figures: Callable[..., None],
) -> None:
    concurrent = 0
    for _ in range(ROUNDS):
        sid = new_session(manager, SessionStatus.ACTIVE)
        manager.send_message(sid, "I would partition by user id and cache the hot reads.")
        winners, losers = split(
            flat(racers.run(container, [[{"op": "end", "sid": sid}]] * racers.size))
        )
        assert len(winners) == 1
        assert len(losers) == racers.size - 1
        assert all(sid in o["message"] for o in losers)
        concurrent += sum(o["concurrent"] for o in losers)
        assert winners[0]["attempts"] == 1 and winners[0]["evaluation"] in FINISHED
        stored = story(container, sid)
        assert stored.session.status is SessionStatus.COMPLETED
        assert stored.evaluation.attempts == 1
        assert stored.evaluation.status.value == winners[0]["evaluation"]
        assert [t.to_status for t in stored.transitions] == [
            SessionStatus.ACTIVE,
            SessionStatus.COMPLETED,
        ]
    figures(
        racers=racers.kind,
        callers=racers.size,
        rounds=ROUNDS,
        winners_per_round=1,
        losers=ROUNDS * (racers.size - 1),
        lost_at_compare_and_set=concurrent,
    )


def test_end_racing_messages_ends_once_and_keeps_every_accepted_message(
    container: Any,
    manager: SessionManager,
    racers: Any,
    story: Callable[..., Any],
    figures: Callable[..., None],
) -> None:
    """Half the callers end the session, the other half keep sending messages; the enders
    start at once, or a little later (so that messages are in flight when the end lands)."""
    half, per_sender = racers.size // 2, 4
    delays = (0.0, 0.01, 0.03)
    tally: collections.Counter[str] = collections.Counter()
    for round_, delay in enumerate(delays):
        sid = new_session(manager, SessionStatus.ACTIVE)
        jobs = [[{"op": "end", "sid": sid, "delay": delay}] for _ in range(half)] + [
            [
                {"op": "send", "sid": sid, "content": f"round {round_} racer {i} message {n}"}
                for n in range(per_sender)
            ]
            for i in range(racers.size - half)
        ]
        results = racers.run(container, jobs)
        outcomes = flat(results)
        calls = [call for job in jobs for call in job]
        ends = [o for o in outcomes if o["op"] == "end"]
        sends = [o for o in outcomes if o["op"] == "send"]
        end_winners, _ = split(ends)
        sent, refused = split(sends)
        assert len(end_winners) == 1
        tally.update(sent=len(sent), refused=len(refused), late=sum(o["late"] for o in sent))
        for job_outcomes in results[half:]:  # once refused by the end, a sender stays so
            ended = [o["ok"] for o in job_outcomes if o["error"] != "TurnInProgressError"]
            assert ended == sorted(ended, reverse=True)

        stored = story(container, sid)
        assert stored.session.status is SessionStatus.COMPLETED
        assert stored.evaluation.attempts == 1
        by_seq = {m.seq: m for m in stored.transcript}
        candidates = [m for m in stored.transcript if m.role is Role.CANDIDATE]
        # Accepted messages are stored once each, refused ones not at all.
        accepted = sorted(
            c["content"]
            for c, o in zip(calls, outcomes, strict=True)
            if o["op"] == "send" and o["ok"]
        )
        assert sorted(m.content for m in candidates) == accepted
        assert not any(m.late for m in candidates)
        # Every accepted message has its reply stored, live or (after the end) late.
        replies = [by_seq[o["seq"]] for o in sent]
        assert all(r.role is Role.INTERVIEWER for r in replies)
        assert [r.late for r in replies] == [o["late"] for o in sent]
        assert len(stored.transcript) == 1 + 2 * len(sent)
    figures(
        racers=racers.kind,
        callers=racers.size,
        enders=half,
        senders=racers.size - half,
        messages_per_sender=per_sender,
        rounds=len(delays),
        end_delays=delays,
        ends_won=len(delays),
        sends_accepted=tally["sent"],
        sends_refused=tally["refused"],
        replies_stored_late=tally["late"],
    )


@pytest.mark.parametrize("initial", [SessionStatus.ACTIVE, SessionStatus.PAUSED])
def test_pause_racing_resume_is_a_valid_walk_one_transition_per_winner(
    container: Any,
    racers: Any,
    story: Callable[..., Any],
    initial: SessionStatus,
    figures: Callable[..., None],
) -> None:
    """Half the callers pause, half resume, all at once. Each transition makes the other
    operation valid, so several may win — but only one at a time: the winners, in version
    order, alternate pause/resume starting with the one the initial status allows, and
    there is exactly one transition row per winner."""
    manager = container.session_manager()
    half = racers.size // 2
    first, second = ("pause", "resume") if initial is SessionStatus.ACTIVE else ("resume", "pause")
    transitions_won = []
    for _ in range(ROUNDS):
        sid = new_session(manager, initial)
        before = story(container, sid)
        jobs = [[{"op": "pause", "sid": sid}] for _ in range(half)] + [
            [{"op": "resume", "sid": sid}] for _ in range(racers.size - half)
        ]
        winners, _ = split(flat(racers.run(container, jobs)))
        assert winners, "the operation the initial status allows must win at least once"
        winners.sort(key=lambda o: o["version"])
        assert [o["version"] for o in winners] == [
            before.session.version + i for i in range(1, len(winners) + 1)
        ]
        assert [o["op"] for o in winners] == [(first, second)[i % 2] for i in range(len(winners))]
        assert all(o["status"] == TARGET[o["op"]] for o in winners)

        after = story(container, sid)
        new_rows = after.transitions[len(before.transitions) :]
        assert len(new_rows) == len(winners)
        assert [r.operation for r in new_rows] == [o["op"] for o in winners]
        assert after.session.status.value == winners[-1]["status"]
        assert after.transcript == before.transcript
        transitions_won.append(len(winners))
    figures(
        racers=racers.kind,
        callers=racers.size,
        pausers=half,
        resumers=racers.size - half,
        rounds=ROUNDS,
        initial=initial.value,
        transitions_per_round=transitions_won,
    )


def test_racing_starts_start_once_with_one_opening_question(
    container: Any,
    manager: SessionManager,
    racers: Any,
    story: Callable[..., Any],
    figures: Callable[..., None],
) -> None:
    concurrent = 0
    for _ in range(ROUNDS):
        sid = new_session(manager, SessionStatus.CREATED)
        winners, losers = split(
            flat(racers.run(container, [[{"op": "start", "sid": sid}]] * racers.size))
        )
        assert len(winners) == 1
        concurrent += sum(o["concurrent"] for o in losers)
        stored = story(container, sid)
        assert stored.session.status is SessionStatus.ACTIVE
        assert len(stored.transcript) == 1 and stored.transcript[0].role is Role.INTERVIEWER
        assert len(stored.transitions) == 1
        if racers.kind == "threads":
            # Losers that failed after opening the channels left the winner's open.
            modes = container.communication_manager().enabled_modes(sid)
            assert modes == set(stored.session.config.enabled_modes)
    figures(
        racers=racers.kind,
        callers=racers.size,
        rounds=ROUNDS,
        winners_per_round=1,
        lost_at_compare_and_set=concurrent,
    )


def test_concurrent_messages_are_taken_one_turn_at_a_time_without_gaps_or_doubles(
    container: Any,
    manager: SessionManager,
    racers: Any,
    story: Callable[..., Any],
    figures: Callable[..., None],
) -> None:
    per_racer = 3 if racers.kind == "threads" else 5
    sid = new_session(manager, SessionStatus.ACTIVE)
    jobs = [
        [
            {"op": "send", "sid": sid, "content": f"racer {r} message {i}: add a queue"}
            for i in range(per_racer)
        ]
        for r in range(racers.size)
    ]
    results = racers.run(container, jobs)
    winners, losers = split(flat(results))
    assert {o["error"] for o in losers} <= {"TurnInProgressError"}
    total = racers.size * per_racer
    assert len(winners) + len(losers) == total

    stored = story(container, sid)  # seqs are exactly 1..message_count
    assert stored.session.message_count == 1 + 2 * len(winners)
    roles = [m.role for m in stored.transcript]
    assert roles == [Role.INTERVIEWER] + [Role.CANDIDATE, Role.INTERVIEWER] * len(winners)
    by_seq = {m.seq: m for m in stored.transcript}
    candidates = [m for m in stored.transcript if m.role is Role.CANDIDATE]
    sent = [
        (c, o)
        for job, outs in zip(jobs, results, strict=True)
        for c, o in zip(job, outs, strict=True)
    ]
    assert sorted(m.content for m in candidates) == sorted(c["content"] for c, o in sent if o["ok"])
    seq_of = {m.content: m.seq for m in candidates}
    for call, outcome in sent:
        if outcome["ok"]:
            reply = by_seq[outcome["seq"]]
            assert reply.role is Role.INTERVIEWER and not reply.late
            assert reply.reply_to == seq_of[call["content"]] == reply.seq - 1
    assert len({o["seq"] for o in winners}) == len(winners)
    figures(
        racers=racers.kind,
        callers=racers.size,
        messages_per_caller=per_racer,
        accepted=len(winners),
        refused_turn_in_progress=len(losers),
        transcript_length=len(stored.transcript),
    )


def test_racing_starts_of_one_users_sessions_leave_exactly_one_active(
    container: Any,
    manager: SessionManager,
    racers: Any,
    story: Callable[..., Any],
    figures: Callable[..., None],
) -> None:
    sessions_n = 4
    how: collections.Counter[str] = collections.Counter()
    for round_ in range(ROUNDS):
        user = f"candidate-{racers.kind}-{round_}"
        sids = [new_session(manager, SessionStatus.CREATED, user) for _ in range(sessions_n)]
        jobs = [[{"op": "start", "sid": sids[i % sessions_n]}] for i in range(racers.size)]
        winners, losers = split(flat(racers.run(container, jobs)))
        assert len(winners) == 1
        winner = winners[0]["sid"]
        # Every refusal names the active session, whichever session it was about.
        assert all(winner in o["message"] for o in losers), losers
        for o in losers:
            if "pause or end it first" in o["message"]:
                how["python_pre_check"] += 1
            elif "already has an active session" in o["message"]:
                how["unique_index"] += 1
            else:
                how["same_session"] += 1
        assert manager.get_active_session(user).id == winner
        for sid in sids:
            stored = story(container, sid)
            if sid == winner:
                assert stored.session.status is SessionStatus.ACTIVE
            else:
                assert stored.session.status is SessionStatus.CREATED
                assert stored.transcript == [] and stored.transitions == []
                if racers.kind == "threads":
                    assert container.communication_manager().enabled_modes(sid) == set()
    figures(
        racers=racers.kind,
        callers=racers.size,
        sessions_of_one_user=sessions_n,
        rounds=ROUNDS,
        active_after_each_round=1,
        refused_by_python_pre_check=how["python_pre_check"],
        refused_by_unique_index=how["unique_index"],
        refused_on_the_winning_session=how["same_session"],
    )


def test_the_database_refuses_a_second_active_session_without_the_python_check(
    container: Any, manager: SessionManager, story: Callable[..., Any]
) -> None:
    """The pre-check in ``start_session`` bypassed: the store's compare-and-set and, below it,
    a raw UPDATE both meet the partial unique index."""
    active = new_session(manager, SessionStatus.ACTIVE, "one-at-a-time")
    waiting = new_session(manager, SessionStatus.CREATED, "one-at-a-time")
    store = container.data_store()
    before = store.get_session(waiting)
    after = lifecycle.apply(before, Operation.START, before.created_at)
    with pytest.raises(InvalidStateTransitionError) as refused:
        store.save_transition(before, after, operation=Operation.START, reason=None)
    assert active in str(refused.value)
    assert store.get_session(waiting) == before

    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(text("UPDATE sessions SET status = 'active' WHERE id = :id"), {"id": waiting})
    assert story(container, waiting).session.status is SessionStatus.CREATED
    assert story(container, active).session.status is SessionStatus.ACTIVE

"""The scripted interview behind ``make demo``: a whole session on the offline provider."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from rich.console import Console
from rich.rule import Rule

from . import render
from .models import CommunicationMode, EvaluationReport, Message, Session, SessionConfig
from .ports import TemplateCatalog
from .session_manager import SessionManager

SAMPLE_RESUME: Final = {
    "name": "Sam Example",
    "email": "sam@example.org",
    "current_role": "Backend engineer",
    "years_experience": 6,
    "skills": ["python", "postgresql", "redis", "kafka"],
}

#: The scripted candidate: for each question, the first unused answer whose cue appears in it.
SCRIPTED_ANSWERS: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (
        ("clarify", "design a url shortener"),
        "Let me clarify the requirements first. I assume 100 million daily users and that reads "
        "dominate writes about 100 to 1. Functional requirements: create a short link, redirect, "
        "and basic analytics. Non-functional: high availability and low latency.",
    ),
    (
        ("first version", "leave out"),
        "In the first version: create, redirect, expiry and click counts. Out of scope for now: "
        "custom domains and editing a link after creation.",
    ),
    (
        ("which numbers", "how fresh"),
        "Users see clicks per day and top referrers; a few minutes of staleness is acceptable, "
        "so the counts can be aggregated in batch rather than on the redirect path.",
    ),
    (
        ("expiration", "expired"),
        "An expired link returns 410 Gone, and its code is never reused, to avoid redirecting "
        "old links to new destinations.",
    ),
    (
        ("per second", "storage"),
        "Back of the envelope: 1,000 writes per second and 100k reads per second at peak; at "
        "500 bytes a link that is about 15 TB over five years.",
    ),
    (
        ("non-functional", "latency"),
        "Availability first, 99.99%, then p99 latency under 50 ms for redirects; durability of "
        "links matters more than strong consistency of the analytics.",
    ),
    (
        ("architecture", "components"),
        "At a high level: clients hit a load balancer, then stateless API servers, a key-value "
        "store for the mappings, a Redis cache in front of it, and a Kafka queue feeding an "
        "analytics pipeline. The redirect path is read-only and served from the cache.",
    ),
    (
        ("load balancer", "unhealthy"),
        "The load balancer spreads requests across the stateless servers and takes a server out "
        "of rotation after failed health checks.",
    ),
    (
        ("eviction policy", "hit rate"),
        "LRU suits the skewed traffic: a small share of links gets most clicks, so I would expect "
        "a cache hit rate above 90%.",
    ),
    (
        ("cache sit", "cache miss"),
        "The cache sits between the API servers and the database; on a miss we read the "
        "database and populate the cache with a TTL. Request coalescing protects the database.",
    ),
    (
        ("short code", "generate"),
        "Instead of hashing, which risks collisions, I'd use a counter range per server "
        "encoded in base62, so there is no coordination per request. The trade-off is that codes "
        "are guessable, which we can accept or salt.",
    ),
    (
        ("single point of failure", "counter"),
        "Each server leases a range of ids from a coordinator such as ZooKeeper; unused ids in a "
        "range are simply skipped, so a crash never produces duplicates.",
    ),
    (
        ("tables", "fields"),
        "The data model is a table keyed by the code with the long URL, owner id, created_at and "
        "an expiry, plus an index on owner id for listing a user's links. The API is POST /links "
        "returning the code and GET /{code} returning a 302.",
    ),
    (
        ("relational", "key-value", "wide-column"),
        "A key-value store fits the redirect lookup by primary key; the owner index lives in a "
        "separate table, at the cost of a second write on creation.",
    ),
    (
        ("caching for redirects", "evict"),
        "Cache the hottest 20% of links, a few hundred GB in Redis with LRU eviction; deleting a "
        "link invalidates its key, and hot keys are replicated across nodes.",
    ),
    (
        ("record clicks", "analytics"),
        "The redirect publishes a click event to Kafka asynchronously and returns at once; a "
        "consumer aggregates counts in batch, so a slow consumer never slows redirects.",
    ),
    (
        ("hundredfold", "partition"),
        "To scale, shard the mapping table by code with consistent hashing, add read replicas, "
        "and put a CDN in front of redirects; rate limit creation per user to stop abuse.",
    ),
    (
        ("failures", "region"),
        "A database node failing promotes its replica; a cold cache is warmed gradually; a region "
        "failure fails over to another region with asynchronous replication, so we trade a few "
        "seconds of durability for latency.",
    ),
    (
        ("least comfortable", "trade-off"),
        "I am least comfortable with asynchronous replication versus synchronous writes: the "
        "downside is losing recent links in a regional failover.",
    ),
    (
        ("improve", "another week"),
        "In summary: a read-heavy design with a cache in front of a sharded key-value store and "
        "asynchronous analytics. With another week I would revisit consistency of the analytics.",
    ),
)
MAX_DEMO_TURNS: Final = 16


def scripted_answer(question: str, used: set[int]) -> str | None:
    """The candidate's answer to ``question``: the first unused one whose cue it contains,
    else the next unused one; None when the script is exhausted."""
    text = question.lower()
    unused = [i for i in range(len(SCRIPTED_ANSWERS)) if i not in used]
    if not unused:
        return None
    chosen = next(
        (i for i in unused if any(cue in text for cue in SCRIPTED_ANSWERS[i][0])), unused[0]
    )
    used.add(chosen)
    return SCRIPTED_ANSWERS[chosen][1]


@dataclass(frozen=True)
class DemoResult:
    session: Session
    transcript: list[Message]
    report: EvaluationReport


def run_demo(
    manager: SessionManager, templates: TemplateCatalog, console: Console | None = None
) -> DemoResult:
    """Create, start, answer, pause, resume and end one interview, printing as it goes."""
    out = console or Console()
    # A candidate of its own per run: an interrupted earlier run may have left one ACTIVE.
    resume = {**SAMPLE_RESUME, "user_id": f"demo-{uuid.uuid4().hex[:8]}"}
    config = SessionConfig(
        enabled_modes=[CommunicationMode.TEXT, CommunicationMode.WHITEBOARD],
        ai_provider="offline",
        resume_data=resume,
        duration_minutes=45,
        template="system_design",
        metadata={"source": "demo"},
    )
    session = manager.create_session(config)
    out.print(Rule(f"Interview {session.id} for {session.user_id}"))
    session = manager.start_session(session.id)
    question = manager.get_transcript(session.id)[-1].content
    out.print(f"[bold cyan]interviewer[/] {question}\n")
    used: set[int] = set()
    pause_after = 4
    for turn in range(1, MAX_DEMO_TURNS + 1):
        answer = scripted_answer(question, used)
        if answer is None:
            break
        out.print(f"[bold green]candidate[/] {answer}")
        question = manager.send_message(session.id, answer).content
        out.print(f"[bold cyan]interviewer[/] {question}\n")
        if turn == pause_after:
            manager.pause_session(session.id)
            out.print("[dim]… session paused (the clock stops) …[/]")
            manager.resume_session(session.id)
            out.print("[dim]… session resumed …[/]\n")
    report = manager.end_session(session.id)
    final = manager.get_session(session.id)
    transcript = manager.get_transcript(session.id)
    out.print(Rule("Transcript"))
    out.print(render.transcript(transcript))
    out.print(Rule("Session"))
    out.print(render.session_summary(final))
    out.print(render.evaluation(report, templates.get(final.config.template)))
    return DemoResult(final, transcript, report)

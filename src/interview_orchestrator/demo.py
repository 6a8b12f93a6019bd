"""The scripted interview behind ``make demo``: a whole session on the offline provider."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from rich.console import Console
from rich.rule import Rule

from . import render
from .interview_template import InterviewTemplate
from .interviewer.offline import CLOSING_ID_PREFIX, OPENING_ID
from .models import CommunicationMode, EvaluationReport, Message, Session, SessionConfig
from .ports import TemplateCatalog
from .session_manager import SessionManager

DEMO_TEMPLATE: Final = "system_design"

SAMPLE_RESUME: Final = {
    "name": "Sam Example",
    "email": "sam@example.org",
    "current_role": "Backend engineer",
    "years_experience": 6,
    "skills": ["python", "postgresql", "redis", "kafka"],
}

#: The scripted candidate: its answer to each question of the ``system_design`` template, by
#: the question's id (the template's question and follow-up ids, ``opening``, ``closing:N``).
#: A question missing here ends the demo rather than get an answer to something else.
SCRIPTED_ANSWERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        OPENING_ID: (
            "Let me clarify the requirements first. I assume 100 million daily users and that "
            "reads dominate writes about 100 to 1. Functional requirements: create a short "
            "link, redirect, and basic analytics. Non-functional: high availability and low "
            "latency."
        ),
        "req_core_features": (
            "In the first version: create, redirect, expiry and click counts. Out of scope for "
            "now: custom domains and editing a link after creation."
        ),
        "req_analytics": (
            "Users see clicks per day and top referrers; a few minutes of staleness is "
            "acceptable, so the counts can be aggregated in batch rather than on the redirect "
            "path."
        ),
        "req_expiry": (
            "An expired link returns 410 Gone, and its code is never reused, to avoid "
            "redirecting old links to new destinations."
        ),
        "req_custom_alias": (
            "The first request for an alias wins through a uniqueness check; the second gets a "
            "conflict and picks another. An alias is never handed out again."
        ),
        "req_scale_estimates": (
            "Back of the envelope: 1,000 new links per second and 100k redirects per second at "
            "peak; at 500 bytes a link that is about 15 TB over five years."
        ),
        "req_read_write_ratio": (
            "A hundred redirects for every new link means the redirect path must be served "
            "from memory, while creation can afford a slower, strongly consistent write."
        ),
        "req_storage_math": (
            "About 500 bytes a link: the long URL, the code, the owner and two timestamps. "
            "1,000 links a second for five years is about 150 billion links, around 15 TB "
            "before replication."
        ),
        "req_non_functional": (
            "Availability first, 99.99%, then p99 latency under 50 ms for redirects; durability "
            "of links matters more than strong consistency of the analytics."
        ),
        "req_latency_target": (
            "Under 50 ms at the 99th percentile for a redirect served from the cache, measured "
            "at the edge of our service."
        ),
        "req_availability_target": (
            "99.99% allows about four minutes of downtime a month; the redirect path must stay "
            "up, while link creation and the dashboards may degrade."
        ),
        "req_abuse": (
            "Anyone may shorten a link, so we should expect spam and phishing links from day "
            "one, and scripted mass creation."
        ),
        "req_malicious_urls": (
            "Check each destination asynchronously against a safe-browsing list after creation "
            "and disable flagged links, so creation itself stays fast."
        ),
        "hld_components": (
            "At a high level: clients hit a load balancer, then stateless API servers, a "
            "key-value store for the mappings, a Redis cache in front of it, and a Kafka queue "
            "feeding an analytics pipeline. The redirect path is read-only and served from the "
            "cache."
        ),
        "hld_load_balancer": (
            "The load balancer spreads requests across the stateless servers and takes a "
            "server out of rotation after failed health checks."
        ),
        "hld_cache_layer": (
            "The cache sits between the API servers and the database; on a miss we read the "
            "database and populate the cache with a TTL. Request coalescing protects the "
            "database."
        ),
        "hld_key_generation": (
            "Instead of hashing, which risks collisions, I'd use a counter range per server "
            "encoded in base62, so there is no coordination per request. The trade-off is that "
            "codes are guessable, which we can accept or salt."
        ),
        "hld_counter_encoding": (
            "Each server leases a range of ids from a coordinator such as ZooKeeper; unused ids "
            "in a range are simply skipped, so a crash never produces duplicates. Shuffling the "
            "bits before encoding hides the creation order."
        ),
        "hld_hash_collisions": (
            "On a collision I would append a salt and hash again, and two users shortening "
            "the same URL each get their own code so that their statistics stay apart."
        ),
        "hld_redirect_flow": (
            "The browser asks for the code, the server looks it up in the cache, then in the "
            "store, and answers 302 with the long URL in the Location header."
        ),
        "hld_apis": (
            "POST /links with the long URL and an optional expiry returns the code; GET /{code} "
            "redirects; GET /links lists the caller's links."
        ),
        "dd_data_model": (
            "The data model is a table keyed by the code with the long URL, owner id, "
            "created_at and an expiry, plus an index on owner id for listing a user's links. "
            "The API is POST /links returning the code and GET /{code} returning a 302."
        ),
        "dd_nosql_choice": (
            "A key-value store fits the redirect lookup by primary key; the owner index lives "
            "in a separate table, at the cost of a second write on creation."
        ),
        "dd_relational_choice": (
            "PostgreSQL is enough for the write rate, and the primary key index on the code "
            "serves the redirect lookup."
        ),
        "dd_cache_design": (
            "Cache the hottest 20% of links, a few hundred GB in Redis with LRU eviction; "
            "deleting a link invalidates its key, and hot keys are replicated across nodes."
        ),
        "dd_eviction": (
            "LRU suits the skewed traffic: a small share of links gets most clicks, so I would "
            "expect a cache hit rate above 90%."
        ),
        "dd_invalidation": (
            "Deleting or flagging a link removes its key from every cache node at once and the "
            "entries carry a short expiry, so within seconds no node serves it."
        ),
        "dd_click_analytics": (
            "The redirect publishes a click event to Kafka asynchronously and returns at once; "
            "a consumer aggregates counts in batch, so a slow consumer never slows redirects."
        ),
        "dd_event_queue": (
            "Events wait in Kafka while a consumer falls behind; a crashed consumer resumes "
            "from its committed offset, so clicks are not lost, and deduplicating by event id "
            "keeps them from being counted twice."
        ),
        "dd_aggregation": (
            "The counts are rolled up per link and per hour into a columnar store; the "
            "dashboard reads them there, a few minutes behind."
        ),
        "dd_code_uniqueness": (
            "Every data centre leases disjoint ranges of ids, and the store refuses a second "
            "row with the same code, so two creations can never share one."
        ),
        "sr_scale_out": (
            "To scale, shard the mapping table by code with consistent hashing, add read "
            "replicas, and put a CDN in front of redirects; rate limit creation per user to "
            "stop abuse."
        ),
        "sr_shard_key": (
            "The short code is the shard key: redirects look it up directly and the load "
            "spreads evenly. With consistent hashing, a new node takes over a few slices of the "
            "ring and only those keys move."
        ),
        "sr_replication_lag": (
            "Right after creation the service writes the new link to the cache, and on a miss "
            "a redirect falls back to the primary before answering 404."
        ),
        "sr_failures": (
            "A database node failing promotes its replica; a cold cache is warmed gradually; a "
            "region failure fails over to another region with asynchronous replication, so we "
            "trade a few seconds of durability for latency."
        ),
        "sr_multi_region": (
            "DNS moves traffic to the healthy region, whose replica is promoted; links created "
            "in the last seconds before the failure may be lost."
        ),
        "sr_thundering_herd": (
            "Request coalescing lets one request per key reach the database, and traffic is "
            "shifted back gradually while the cache fills."
        ),
        "sr_observability": (
            "Redirect latency and error rate against an objective, cache hit rate, and the "
            "lag of the analytics consumer, each with its dashboard."
        ),
        "sr_traffic_spikes": (
            "Per-user quotas on creation, the CDN absorbing redirect spikes, and load shedding "
            "of the dashboards before the redirect path suffers."
        ),
        "wu_weakest_trade_off": (
            "I am least comfortable with asynchronous replication versus synchronous writes: "
            "the downside is losing recent links in a regional failover."
        ),
        "wu_alternative": (
            "If losing a link ever became unacceptable, synchronous writes to a second region "
            "would be worth their extra latency on creation."
        ),
        "wu_failure_in_a_year": (
            "Most likely the analytics pipeline falling behind during a viral spike and "
            "dashboards going stale, while redirects keep working."
        ),
        "wu_mitigation": (
            "Alert on the consumer's lag today and load-test a viral link, which costs a day "
            "of work."
        ),
        "wu_summary": (
            "In summary: a read-heavy design with a cache in front of a sharded key-value store "
            "and asynchronous analytics."
        ),
        f"{CLOSING_ID_PREFIX}0": (
            "With another week I would revisit the consistency of the analytics and measure "
            "the cache hit rate under realistic traffic."
        ),
        f"{CLOSING_ID_PREFIX}1": (
            "How does the team share on-call duty, and how are design reviews run?"
        ),
    }
)
#: A guard against a script that never ends; the built-in template closes well before it.
MAX_DEMO_TURNS: Final = 30
#: The demo pauses and resumes the session after this many answers.
PAUSE_AFTER_TURN: Final = 4


def _normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


def asked_question_id(template: InterviewTemplate, message: str) -> str | None:
    """The id of the template's question that ``message`` asks (a phase change puts a
    sentence before it): ``opening``, ``closing:N``, a question's or a follow-up's id; None
    for anything else."""
    said = _normalized(message)
    if said == _normalized(template.opening):
        return OPENING_ID
    for index, line in enumerate(template.closing):
        if said.endswith(_normalized(line)):
            return f"{CLOSING_ID_PREFIX}{index}"
    for phase in template.phases:
        for question in phase.questions:
            if said.endswith(_normalized(question.text)):
                return question.id
            for follow_up in question.follow_ups:
                if said.endswith(_normalized(follow_up.text)):
                    return follow_up.id
    return None


def scripted_answer(template: InterviewTemplate, message: str) -> str | None:
    """The scripted candidate's answer to the question ``message`` asks; None when the
    script has none for it."""
    question_id = asked_question_id(template, message)
    return None if question_id is None else SCRIPTED_ANSWERS.get(question_id)


@dataclass(frozen=True)
class DemoResult:
    session: Session
    transcript: list[Message]
    report: EvaluationReport


def run_demo(
    manager: SessionManager, templates: TemplateCatalog, console: Console | None = None
) -> DemoResult:
    """Create, start, answer, pause, resume and end one interview, printing each message once
    as it is said, then the session and its evaluation."""
    out = console or Console()
    template = templates.get(DEMO_TEMPLATE)
    # A candidate of its own per run: an interrupted earlier run may have left one ACTIVE.
    resume = {**SAMPLE_RESUME, "user_id": f"demo-{uuid.uuid4().hex[:8]}"}
    config = SessionConfig(
        enabled_modes=[CommunicationMode.TEXT, CommunicationMode.WHITEBOARD],
        ai_provider="offline",
        resume_data=resume,
        duration_minutes=45,
        template=DEMO_TEMPLATE,
        metadata={"source": "demo"},
    )
    session = manager.create_session(config)
    out.print(Rule(f"Transcript of interview {session.id} for {session.user_id}"))
    manager.start_session(session.id)
    shown = _show_new_messages(manager, session.id, out, after_seq=0)
    question = manager.get_transcript(session.id)[-1].content
    for turn in range(1, MAX_DEMO_TURNS + 1):
        answer = scripted_answer(template, question)
        if answer is None:
            break
        question = manager.send_message(session.id, answer).content
        shown = _show_new_messages(manager, session.id, out, after_seq=shown)
        if turn == PAUSE_AFTER_TURN:
            manager.pause_session(session.id)
            out.print("[dim]… session paused (the clock stops) …[/]")
            manager.resume_session(session.id)
            out.print("[dim]… session resumed …[/]")
    report = manager.end_session(session.id)
    final = manager.get_session(session.id)
    transcript = manager.get_transcript(session.id)
    out.print(Rule("Session"))
    out.print(render.session_summary(final))
    out.print(render.evaluation(report, templates.get(final.config.template)))
    return DemoResult(final, transcript, report)


def _show_new_messages(
    manager: SessionManager, session_id: str, out: Console, *, after_seq: int
) -> int:
    """Print the messages stored after ``after_seq``; the last sequence number shown."""
    new = manager.get_transcript(session_id, after_seq=after_seq)
    if new:
        out.print(render.transcript(new))
    return new[-1].seq if new else after_seq

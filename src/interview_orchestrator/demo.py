"""The scripted interview behind ``make demo``: a whole session on the offline provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from rich.console import Console
from rich.rule import Rule

from . import render
from .models import CommunicationMode, EvaluationReport, Message, Session, SessionConfig
from .ports import TemplateCatalog
from .session_manager import SessionManager

SAMPLE_RESUME: Final = {
    "user_id": "demo-candidate",
    "name": "Sam Example",
    "email": "sam@example.org",
    "current_role": "Backend engineer",
    "years_experience": 6,
    "skills": ["python", "postgresql", "redis", "kafka"],
}

#: A candidate who answers with substance across the phases of the system design template.
SCRIPTED_ANSWERS: Final = (
    "Let me clarify the requirements first. I assume 100 million daily users, reads dominate "
    "writes about 100 to 1, and we need p99 latency under 200 ms. Functional requirements: "
    "create a short link, redirect, and basic analytics. Non-functional: high availability.",
    "Back of the envelope: 1,000 writes per second and 100k reads per second at peak, so "
    "storage grows by roughly 5 TB a year. Out of scope for now: custom domains.",
    "At a high level: clients hit a load balancer, then stateless API servers, a key-value "
    "store for the mappings, a Redis cache in front of it, and a Kafka queue feeding an "
    "analytics pipeline. The redirect path is read-only and served from the cache.",
    "The API is POST /links returning the short code, and GET /{code} returning a 301 or 302. "
    "The data model is a table keyed by the code with the long URL, owner id, created_at "
    "and an expiry; an index on owner id supports listing a user's links.",
    "For the deep dive on code generation: instead of hashing, which risks collisions, I'd "
    "use a counter range per server encoded in base62, so there is no coordination per "
    "request. The trade-off is that codes are guessable, which we can accept or salt.",
    "The cache uses a write-through policy with a TTL; hot keys are replicated. A cache "
    "miss falls back to the database; we would protect it with request coalescing.",
    "To scale, shard the mapping table by code with consistent hashing, add read replicas, "
    "and put a CDN in front of redirects. Failover: each shard has a synchronous replica, "
    "and we rate limit creation per user to stop abuse.",
    "Reliability: health checks at the load balancer, multi-region active-passive with "
    "asynchronous replication, so we trade a few seconds of durability for latency. We "
    "monitor p99 latency, error rate and cache hit ratio with alerts.",
    "In summary: a simple read-heavy design, a cache in front of a sharded key-value store, "
    "and asynchronous analytics. With more time I would revisit consistency of the "
    "analytics counts and the cost of the CDN versus serving redirects ourselves.",
)


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
    config = SessionConfig(
        enabled_modes=[CommunicationMode.TEXT, CommunicationMode.WHITEBOARD],
        ai_provider="offline",
        resume_data=SAMPLE_RESUME,
        duration_minutes=45,
        template="system_design",
        metadata={"source": "demo"},
    )
    session = manager.create_session(config)
    out.print(Rule(f"Interview {session.id} for {session.user_id}"))
    session = manager.start_session(session.id)
    opening = manager.get_transcript(session.id)[-1]
    out.print(f"[bold cyan]interviewer[/] {opening.content}\n")
    pause_after = 3
    for turn, answer in enumerate(SCRIPTED_ANSWERS, start=1):
        out.print(f"[bold green]candidate[/] {answer}")
        reply = manager.send_message(session.id, answer)
        out.print(f"[bold cyan]interviewer[/] {reply.content}\n")
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

"""The reviewer's report (``/r/{token}``) in a real browser against ``serve``: an interview
finished with the library (offline provider), then read through its review link."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from service_support import wait_until

from interview_orchestrator import SessionConfig
from interview_orchestrator.clock import utc_now
from interview_orchestrator.models import EvaluationReport

pytestmark = pytest.mark.browser

TENANT = "default"
#: The candidate's turns: the offline rubric scores some dimensions from these and finds no
#: evidence for others; one holds markup that must show as text; one is a whiteboard.
SCRIPT_ANSWER = "<script>window.__injected = 1</script><b>bold?</b> I would cache hot links."
ANSWERS: tuple[tuple[str, str], ...] = (
    (
        "First I'd clarify the requirements: custom alias, analytics and expiration are in "
        "scope; about 100 million new links a day, read-heavy with a 100:1 ratio.",
        "text",
    ),
    (
        json.dumps(
            {
                "elements": [
                    {"id": "lb", "type": "rectangle", "text": "load balancer"},
                    {"id": "api", "type": "rectangle", "text": "stateless API servers"},
                    {"id": "db", "type": "cylinder", "text": "sharded database"},
                    {"type": "arrow", "from": "lb", "to": "api"},
                    {"type": "arrow", "from": "api", "to": "db", "text": "reads via cache"},
                ]
            }
        ),
        "whiteboard",
    ),
    (SCRIPT_ANSWER, "text"),
    (
        "To scale we shard by key with consistent hashing, add read replicas, and fail over "
        "per shard; the trade-off of async replication is a little durability for latency.",
        "text",
    ),
)
#: How long a live update may take: serve's worker looks every 2 s, a socket re-reads its
#: log at least every 5 s.
LIVE = 20_000


@dataclass(frozen=True)
class Finished:
    session_id: str
    token: str
    report: EvaluationReport
    messages: int


class Stepping:
    """A clock that starts an hour ago and moves ``step`` on at each reading: the interview's
    moments spread over minutes, as a real one's do (the replay shows elapsed times)."""

    def __init__(self, step: timedelta = timedelta(seconds=20)) -> None:
        self._now = utc_now() - timedelta(hours=1)
        self._step = step

    def __call__(self) -> datetime:
        self._now += self._step
        return self._now


def _interview(service: Any, evaluate: str) -> tuple[str, EvaluationReport]:
    """A session answered with ``ANSWERS`` (paused and resumed once), then ended."""
    manager = service.container.session_manager(tenant_id=TENANT, clock=Stepping())
    session = manager.create_session(
        SessionConfig(enabled_modes=["text", "whiteboard"], ai_provider="offline"),
        user_id="cand-review",
    )
    manager.start_session(session.id)
    for number, (content, mode) in enumerate(ANSWERS):
        manager.send_turn(session.id, content, mode)
        if number == 1:
            manager.pause_session(session.id)
            manager.resume_session(session.id)
    return str(session.id), manager.end_session(session.id, evaluate=evaluate)


@pytest.fixture(scope="module")
def finished(service: Any) -> Finished:
    """One interview evaluated at its end (READY), and a review link to it."""
    session_id, report = _interview(service, "now")
    assert report.status.value == "ready"
    messages = len(service.container.session_manager(tenant_id=TENANT).get_transcript(session_id))
    return Finished(session_id, service.link(session_id, "review"), report, messages)


@pytest.fixture
def review(service: Any, page: Any, finished: Finished) -> Any:
    """The page of the finished interview's review link."""
    page.goto(service.url(f"/r/{finished.token}"))
    return page


def _templates(service: Any) -> Any:
    return service.container.templates().get("system_design")


def test_the_report_shows_the_score_and_every_dimension_with_its_level(
    review: Any, service: Any, finished: Finished, screenshot: Any
) -> None:
    report = finished.report
    expect(review.locator("#overall-score")).to_have_text(f"{report.overall_score:g}")
    expect(review.locator("#coverage")).to_contain_text(f"{round(report.coverage * 100)}%")
    rubric = _templates(service).rubric
    for dimension in rubric.dimensions:
        card = review.locator(f"#dimension-{dimension.id}")
        expect(card).to_contain_text(dimension.title)
        score = report.dimension_scores[dimension.id].score
        if score is None:
            expect(card.locator(".dimension-score")).to_have_text("Insufficient evidence")
        else:
            expect(card.locator(".dimension-score")).to_have_text(f"{score} / 5")
            expect(card.locator(".level")).to_contain_text(dimension.levels[score])
    expect(review.locator("#provenance")).to_contain_text("offline")
    expect(review.locator("#provenance")).to_contain_text(rubric.version)
    expect(review.locator("#summary")).to_have_text(report.summary)
    screenshot(review, "review-report")


def test_an_evidence_link_scrolls_to_and_highlights_the_cited_message(
    review: Any, finished: Finished
) -> None:
    cited = max(
        (score for score in finished.report.dimension_scores.values() if score.evidence),
        key=lambda score: max(score.evidence),
    )
    seq = max(cited.evidence)
    link = review.locator(f"#dimension-{cited.dimension} a.evidence-link[data-seq='{seq}']")
    message = review.locator(f"#message-{seq}")
    expect(message).not_to_be_in_viewport()
    link.click()
    expect(message).to_be_in_viewport()
    assert message.evaluate("node => node.matches(':target')")
    expect(message).to_have_css("background-color", "rgb(255, 243, 191)")  # --highlight
    expect(message).to_be_focused()


def test_markup_in_a_message_shows_as_text(review: Any) -> None:
    message = review.locator("#messages .message-text", has_text="I would cache hot links")
    expect(message).to_have_text(SCRIPT_ANSWER)
    assert message.locator("script, b").count() == 0
    assert review.evaluate("() => window.__injected") is None


def test_a_whiteboard_export_reads_as_its_shapes_and_connections(review: Any) -> None:
    board = review.locator("#messages .mode-whiteboard .whiteboard-outline")
    expect(board).to_contain_text("rectangle “load balancer”")
    expect(board).to_contain_text(
        "arrow from “stateless API servers” to “sharded database”: “reads via cache”"
    )


def test_the_replay_steps_through_the_timeline_from_the_opening_question_to_the_end(
    review: Any, finished: Finished, screenshot: Any
) -> None:
    slider = review.get_by_label("Replay position")
    shown = review.locator("#replay-messages > li:not([hidden])")
    expect(shown).to_have_count(finished.messages)  # it opens at the end: everything
    slider.fill("0")
    expect(shown).to_have_count(1)
    expect(shown.first).to_contain_text("Hi, and thanks for joining!")
    expect(shown.first.locator(".speaker")).to_have_text("Interviewer")
    expect(review.locator("#timeline > li[aria-current='step']")).to_contain_text(
        "Interview started"
    )
    slider.focus()
    review.keyboard.press("ArrowRight")  # the phase begins: still only the opening question
    review.keyboard.press("ArrowRight")  # the candidate's first answer
    expect(slider).to_have_value("2")
    expect(shown).to_have_count(2)
    review.keyboard.press("End")
    expect(shown).to_have_count(finished.messages)
    expect(review.locator("#replay-position")).to_contain_text("completed")
    last = int(slider.get_attribute("max"))
    review.get_by_role("button", name="Previous step").click()
    expect(slider).to_have_value(str(last - 1))
    expect(review.locator("#timeline > li[aria-current='step']")).to_have_attribute(
        "data-step", str(last - 1)
    )
    review.get_by_role("button", name="Start").click()
    expect(shown).to_have_count(1)
    slider.fill(str(last // 2))
    review.locator("#replay").scroll_into_view_if_needed()
    screenshot(review.locator("#replay"), "review-replay")


def test_printing_shows_the_report_and_transcript_without_controls(
    review: Any, finished: Finished, screenshot: Any
) -> None:
    expect(review.get_by_label("Replay position")).to_be_visible()
    review.emulate_media(media="print")
    for control in ("#replay", "#replay-slider", "#print-button", ".site-header"):
        expect(review.locator(control)).to_be_hidden()
    expect(review.locator("#messages > li.message")).to_have_count(finished.messages)
    expect(review.locator(f"#message-{finished.messages}")).to_be_visible()
    expect(review.locator("#overall-score")).to_be_visible()
    screenshot(review, "review-print")


def test_a_pending_evaluation_says_not_ready_then_appears_without_a_reload(
    service: Any, page: Any
) -> None:
    """The evaluation is held (claimed by this test) while the page opens, so that serve's
    worker cannot finish it first; released, serve's worker generates it."""
    session_id, pending = _interview(service, "background")
    assert pending.status.value == "pending"
    held = _hold(service, session_id)
    page.goto(service.url(f"/r/{service.link(session_id, 'review')}"))
    expect(page.locator("#evaluation-state")).to_contain_text("not ready yet")
    expect(page.locator("#overall-score")).to_have_count(0)
    page.evaluate("() => { window.__sameDocument = true; }")
    store = service.container.data_store()
    assert store.release_evaluation(session_id, attempt=held.attempts, now=utc_now())
    expect(page.locator("#overall-score")).to_be_visible(timeout=LIVE)
    expect(page.locator("#live-status")).to_have_text("The evaluation is ready.")
    expect(page.locator(".dimension").first).to_be_visible()
    assert page.evaluate("() => window.__sameDocument") is True


def test_an_interview_under_way_grows_live_on_the_page(service: Any, page: Any) -> None:
    """The candidate answers through the API (serve commits, so its event stream wakes at
    once): the transcript and the replay's timeline take the new turn without a reload."""
    manager = service.container.session_manager(tenant_id=TENANT)
    session = manager.create_session(SessionConfig(ai_provider="offline"), user_id="cand-live")
    manager.start_session(session.id)
    sid = str(session.id)
    page.goto(service.url(f"/r/{service.link(sid, 'review')}"))
    expect(page.locator("#evaluation-state")).to_contain_text("still going on")
    expect(page.locator("#messages > li")).to_have_count(1)
    page.evaluate("() => { window.__sameDocument = true; }")
    answer = httpx.post(
        service.url(f"/api/v1/sessions/{sid}/messages"),
        json={"content": "I would start with the requirements and a rough traffic estimate."},
        headers={"Authorization": f"Bearer {service.link(sid, 'candidate')}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    expect(page.locator("#messages > li")).to_have_count(3, timeout=LIVE)
    expect(page.locator("#message-2")).to_contain_text("a rough traffic estimate")
    expect(page.locator("#replay-messages > li:not([hidden])")).to_have_count(3)
    assert page.evaluate("() => window.__sameDocument") is True


def test_a_failed_evaluation_says_so_and_shows_no_score(service: Any, page: Any) -> None:
    session_id, _ = _interview(service, "background")
    held = _hold(service, session_id)
    service.container.data_store().fail_evaluation(
        session_id, error="the provider timed out", attempt=held.attempts, now=utc_now()
    )
    page.goto(service.url(f"/r/{service.link(session_id, 'review')}"))
    expect(page.locator("#evaluation-state")).to_contain_text("The evaluation failed")
    expect(page.locator("#evaluation-state")).to_contain_text("the provider timed out")
    expect(page.locator("#overall-score")).to_have_count(0)


def test_an_interview_without_evidence_says_nothing_could_be_scored(
    service: Any, page: Any
) -> None:
    manager = service.container.session_manager(tenant_id=TENANT)
    session = manager.create_session(SessionConfig(ai_provider="offline"), user_id="cand-quiet")
    manager.start_session(session.id)
    assert manager.end_session(session.id, evaluate="now").status.value == "no_evidence"
    page.goto(service.url(f"/r/{service.link(str(session.id), 'review')}"))
    expect(page.locator("#evaluation-state")).to_contain_text("Nothing the candidate said")
    expect(page.locator("#overall-score")).to_have_count(0)
    expect(page.locator(".dimension-score").first).to_have_text("Insufficient evidence")


def test_a_candidate_link_is_refused_with_the_clear_page(
    service: Any, page: Any, finished: Finished
) -> None:
    response = page.goto(service.url(f"/r/{service.link(finished.session_id, 'candidate')}"))
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid")
    expect(page.locator("#evaluation")).to_have_count(0)


def _hold(service: Any, session_id: str) -> EvaluationReport:
    """Claim the session's evaluation for this test, so that serve's worker leaves it alone
    (``force``: should the worker have generated it already, it is taken back; while the
    worker is generating it, for those few milliseconds, it cannot be claimed)."""
    store = service.container.data_store()
    held: EvaluationReport = wait_until(
        lambda: store.claim_evaluation(
            session_id, force=True, now=utc_now(), lease=timedelta(minutes=5), worker="browser"
        ),
        "the evaluation claimed by the test",
        timeout=10,
    )
    return held

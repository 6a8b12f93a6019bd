"""The admin dashboard in Chromium against ``serve``: signing in and out with an API key, the
tenant's sessions (filters, live status), a session's transcript, evaluation and links, the
statistics' charts; what a wrong key, a reviewer key and another tenant's session get; text
that looks like HTML shown as text."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from interview_orchestrator import SessionConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "api"))
from api_support import ANSWERS

pytestmark = pytest.mark.browser

SCRIPT_USER = '<script>document.title="owned"</script>'
SCRIPT_MESSAGE = "I would <script>window.owned = 1</script> shard by key <b>and</b> cache reads."
#: The live refresh asks every 5 s: a change shows within this.
LIVE_MS = 12_000


@dataclass(frozen=True)
class Seeded:
    """Sessions made with the library before the module's tests."""

    completed: str
    active: str
    paused: str
    created: str
    scripted: str
    others: str


@pytest.fixture(scope="module")
def seeded(service: Any) -> Seeded:
    manager = service.container.session_manager(tenant_id="default")

    def made(user: str, *, answers: tuple[str, ...] = (), start: bool = True) -> str:
        session = manager.create_session(SessionConfig(), user_id=user)
        if start:
            manager.start_session(session.id)
        for answer in answers:
            manager.send_message(session.id, answer)
        return str(session.id)

    completed = made("cand-ada", answers=ANSWERS)
    manager.end_session(completed, evaluate="now")
    made("cand-grace", answers=ANSWERS[:2])
    paused = made("cand-cy", answers=ANSWERS[:1])
    manager.pause_session(paused)
    created = made("cand-dee", start=False)
    scripted = made(SCRIPT_USER, answers=(SCRIPT_MESSAGE,))
    active = made("cand-bo", answers=ANSWERS[:1])
    other = service.container.session_manager(tenant_id="other")
    others = str(other.create_session(SessionConfig(), user_id="cand-of-other").id)
    return Seeded(completed, active, paused, created, scripted, others)


def sign_in(page: Any, service: Any, key: str) -> None:
    page.goto(service.url("/sign-in"))
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sessions", level=1)).to_be_visible()


def row_of(page: Any, session_id: str) -> Any:
    return page.locator(f'tr[data-live-session="{session_id}"]')


def test_an_admin_signs_in_and_sees_the_tenants_sessions(
    service: Any, seeded: Seeded, page: Any, screenshot: Any
) -> None:
    page.goto(service.url("/"))
    expect(page).to_have_url(service.url("/sign-in"))
    screenshot(page, "dashboard-sign-in")
    sign_in(page, service, service.key("admin"))

    for session_id in (seeded.completed, seeded.active, seeded.paused, seeded.created):
        expect(row_of(page, session_id)).to_be_visible()
    expect(row_of(page, seeded.others)).to_have_count(0)
    completed = row_of(page, seeded.completed)
    expect(completed.locator("[data-field=status]")).to_have_text("completed")
    expect(completed.locator("[data-field=messages]")).to_have_text("9")
    expect(completed.locator("[data-field=score]")).to_have_text(re.compile(r"^\d+\.\d$"))
    expect(page.get_by_role("columnheader", name="Candidate")).to_be_visible()
    screenshot(page, "dashboard-sessions")


def test_the_sessions_filter_by_status_and_by_user(service: Any, seeded: Seeded, page: Any) -> None:
    sign_in(page, service, service.key("admin"))
    page.get_by_label("Status").select_option("paused")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=paused"))
    expect(row_of(page, seeded.paused)).to_be_visible()
    expect(page.locator("[data-field=status]")).to_have_text(
        ["paused"] * page.locator("[data-field=status]").count()
    )
    expect(row_of(page, seeded.active)).to_have_count(0)

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Candidate (user id)").fill("cand-bo")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(row_of(page, seeded.active)).to_be_visible()


def test_a_session_page_shows_the_evaluation_and_transcript(
    service: Any, seeded: Seeded, page: Any, screenshot: Any
) -> None:
    sign_in(page, service, service.key("admin"))
    row_of(page, seeded.completed).get_by_role("link").click()
    expect(page.get_by_role("heading", name="Evaluation")).to_be_visible()
    dimensions = page.get_by_role("table", name=re.compile("Scores by dimension"))
    expect(dimensions.get_by_role("rowheader", name="Scalability reliability")).to_be_visible()
    expect(dimensions.get_by_role("link", name=re.compile(r"message \d+")).first).to_be_visible()
    expect(page.locator("ol.transcript > li")).to_have_count(9)
    expect(page.get_by_role("button", name="Retry the evaluation")).to_have_count(0)
    screenshot(page, "dashboard-session")


def test_an_admin_makes_a_candidate_link_and_copies_it(
    service: Any, seeded: Seeded, page: Any
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service.url(""))
    key = service.key("admin")
    sign_in(page, service, key)
    page.goto(service.url(f"/sessions/{seeded.active}"))
    page.get_by_label("Who it is for").select_option("candidate")
    page.get_by_label("Valid for").select_option(label="1 day")
    page.get_by_role("button", name="Make link").click()

    shown = page.get_by_label("Link for the candidate")
    expect(shown).to_have_value(re.compile(rf"^{re.escape(service.url('/i/iol_'))}\S+$"))
    expect(page.get_by_text(re.compile(r"It works until \d{4}-\d\d-\d\d"))).to_be_visible()
    copy = page.get_by_role("button", name="Copy link")
    copy.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Link copied to the clipboard.")).to_be_visible()
    url = shown.input_value()
    assert page.evaluate("navigator.clipboard.readText()") == url
    token = url.rsplit("/", 1)[1]
    assert key not in service.server.stderr and token not in service.server.stderr


def test_an_admin_pauses_and_resumes_a_session(service: Any, page: Any) -> None:
    session_id = service.session()
    service.container.session_manager(tenant_id="default").start_session(session_id)
    sign_in(page, service, service.key("admin"))
    page.goto(service.url(f"/sessions/{session_id}"))
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("status").filter(has_text="The session is paused.")).to_be_visible()
    expect(page.locator("h1 [data-field=status]")).to_have_text("paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("h1 [data-field=status]")).to_have_text("active")


def test_signing_out_leaves_nothing_signed_in(service: Any, seeded: Seeded, page: Any) -> None:
    sign_in(page, service, service.key("admin"))
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(service.url(f"/sessions/{seeded.completed}"))
    expect(page).to_have_url(service.url("/sign-in"))
    assert [c["name"] for c in page.context.cookies() if c["name"] == "io_dashboard_key"] == []


@pytest.mark.parametrize("wrong", ["iok_not-a-real-key", "link"])
def test_a_wrong_key_or_a_link_token_shows_only_an_error(
    service: Any, seeded: Seeded, page: Any, wrong: str
) -> None:
    key = service.link(seeded.active) if wrong == "link" else wrong
    page.goto(service.url("/sign-in"))
    page.get_by_label("API key").fill(key)
    with page.expect_navigation() as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text(re.compile("That key does not sign in"))
    expect(page.get_by_label("API key")).to_have_value("")
    assert key not in page.content()
    expect(page.get_by_role("navigation")).to_have_count(0)
    expect(page.locator("table")).to_have_count(0)


def test_a_reviewer_key_sees_sessions_but_no_action(
    service: Any, seeded: Seeded, page: Any
) -> None:
    sign_in(page, service, service.key("reviewer"))
    expect(row_of(page, seeded.active)).to_be_visible()
    expect(page.get_by_role("link", name="Statistics")).to_have_count(0)
    page.goto(service.url(f"/sessions/{seeded.active}"))
    expect(page.get_by_role("heading", name="Transcript")).to_be_visible()
    expect(page.get_by_role("heading", name="Actions")).to_have_count(0)
    expect(page.locator("main button, main form")).to_have_count(0)


def test_another_tenants_session_is_not_found(service: Any, seeded: Seeded, page: Any) -> None:
    sign_in(page, service, service.key("admin"))
    expect(row_of(page, seeded.others)).to_have_count(0)
    answer = page.goto(service.url(f"/sessions/{seeded.others}"))
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")


def test_script_in_a_user_id_and_a_message_shows_as_text(
    service: Any, seeded: Seeded, page: Any
) -> None:
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    sign_in(page, service, service.key("admin"))
    expect(row_of(page, seeded.scripted).locator("td.candidate")).to_have_text(SCRIPT_USER)
    page.goto(service.url(f"/sessions/{seeded.scripted}"))
    expect(page.locator("ol.transcript .message-content").nth(1)).to_have_text(SCRIPT_MESSAGE)
    assert page.evaluate("window.owned") is None
    assert page.title() != "owned"
    expect(page.locator("main b")).to_have_count(0)


def test_a_row_follows_its_session_live(service: Any, page: Any) -> None:
    manager = service.container.session_manager(tenant_id="default")
    session = manager.create_session(SessionConfig(), user_id="cand-live")
    manager.start_session(session.id)
    sign_in(page, service, service.key("admin"))
    page.goto(service.url("/?user_id=cand-live"))
    status = row_of(page, session.id).locator("[data-field=status]")
    expect(status).to_have_text("active")
    manager.pause_session(session.id)
    expect(status).to_have_text("paused", timeout=LIVE_MS)
    expect(page.locator("#live-status")).to_have_text(re.compile("is now paused"))


def test_statistics_are_charts_with_their_figures(
    service: Any, seeded: Seeded, page: Any, screenshot: Any
) -> None:
    sign_in(page, service, service.key("admin"))
    page.get_by_role("link", name="Statistics").click()
    charts = page.locator("svg[role=img]")
    expect(charts).to_have_count(5)
    expect(page.get_by_role("img", name=re.compile("Overall scores"))).to_be_visible()
    statuses = page.get_by_role("table", name="Sessions by status (all time)")
    expect(statuses.get_by_role("row", name=re.compile(r"^Completed \d+$"))).to_be_visible()
    expect(page.get_by_text("Completion rate")).to_be_visible()
    assert page.locator("script[src^=http], link[href^=http]").count() == 0
    screenshot(page, "dashboard-stats")

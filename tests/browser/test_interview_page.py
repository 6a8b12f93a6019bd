"""The candidate's interview page (``/i/{token}``) in headless Chromium against ``serve``.

The page's transcript is the session's event log replayed over the WebSocket, so what it
shows is compared with what the service stores (``GET /messages`` with the same link).
Sessions that must have used part of their time are started through a container whose clock
reads earlier: the time left is then the service's, never a fresh full duration.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from playwright.sync_api import expect

from interview_orchestrator import Container, SessionConfig
from interview_orchestrator.clock import utc_now

pytestmark = pytest.mark.browser

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
#: 35 minutes of 45 left (the session started 10 minutes ago), never the full 45:00.
TEN_MINUTES_USED = re.compile(r"^3[45]:\d\d$")


@contextmanager
def earlier(service: Any, minutes: int) -> Iterator[Any]:
    """A container on the service's database whose clock reads ``minutes`` earlier."""
    past = Container()
    past.config.database.url.from_value(service.database_url)
    past.config.logging.enabled.from_value(False)
    shift = timedelta(minutes=minutes)
    past.clock.override(providers.Object(lambda: utc_now() - shift))
    try:
        yield past
    finally:
        past.shutdown_resources()


def interview_under_way(
    service: Any,
    *,
    minutes_ago: int = 0,
    answers: tuple[str, ...] = (),
    start: bool = True,
    **config: Any,
) -> tuple[str, str]:
    """A session started ``minutes_ago`` minutes ago (unless not ``start``), ``answers``
    exchanged, and a candidate link to it: ``(session id, token)``. Each has a candidate of
    its own (a candidate has one active session at a time)."""
    with earlier(service, minutes_ago) as past:
        manager = past.session_manager(tenant_id="default")
        candidate = f"cand-{uuid.uuid4().hex[:12]}"
        session_id = str(manager.create_session(SessionConfig(**config), user_id=candidate).id)
        if start:
            manager.start_session(session_id)
        for answer in answers:
            manager.send_turn(session_id, answer)
    return session_id, service.link(session_id)


def stored_transcript(service: Any, session_id: str, token: str) -> list[dict[str, Any]]:
    """The transcript as the service gives it to the link's holder."""
    response = httpx.get(
        service.url(f"/api/v1/sessions/{session_id}/messages"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def shown(items: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(item["seq"], item["role"], item["content"]) for item in items]


def shown_transcript(page: Any) -> list[tuple[int, str, str]]:
    """The transcript as the page shows it: (seq, role, text) per message."""
    rows = page.locator("#transcript [data-seq]").evaluate_all(
        """nodes => nodes.map(node => ({
            seq: Number(node.dataset.seq),
            role: node.dataset.role,
            content: node.querySelector(".content").textContent,
        }))"""
    )
    return shown(rows)


def messages(page: Any) -> Any:
    return page.locator("#transcript [data-seq]")


def tab_to(page: Any, target: Any, key: str = "Tab", limit: int = 40) -> None:
    """Press ``key`` until ``target`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("node => node === document.activeElement"):
            return
        page.keyboard.press(key)
    pytest.fail(f"{key} did not reach {target} in {limit} presses")


def send(page: Any, text: str) -> None:
    answer = page.get_by_label("Your answer")
    answer.fill(text)
    answer.press("Enter")


def watch_console(tab: Any, errors: list[str]) -> None:
    """Report a second tab's console errors and uncaught exceptions with the first's."""
    tab.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))


def test_a_candidate_completes_an_interview_by_keyboard_alone(
    service: Any, page: Any, screenshot: Any
) -> None:
    session_id, token = interview_under_way(service, start=False)
    page.goto(service.url(f"/i/{token}"))
    start = page.get_by_role("button", name="Start the interview")
    expect(start).to_be_visible()
    expect(page.locator("#timer")).to_have_text("45:00")
    screenshot(page, "interview-start")

    tab_to(page, start)
    page.keyboard.press("Enter")
    answer = page.get_by_label("Your answer")
    expect(answer).to_be_focused()
    expect(messages(page)).to_have_count(1)
    answers = [
        "I would start with the requirements: short codes, redirects, and analytics.",
        "Reads dominate writes, so a cache in front of the key-value store.",
    ]
    for number, text in enumerate(answers, start=1):
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        expect(messages(page)).to_have_count(1 + 2 * number)
    page.keyboard.type("Two lines:")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("codes are base62 of a counter.")
    page.keyboard.press("Enter")
    expect(messages(page)).to_have_count(7)
    expect(messages(page).nth(5).locator(".content")).to_have_text(
        "Two lines:\ncodes are base62 of a counter."
    )

    tab_to(page, page.get_by_role("button", name="Pause"), "Shift+Tab")
    page.keyboard.press("Space")
    resume = page.get_by_role("button", name="Resume")
    expect(resume).to_be_focused()
    expect(page.get_by_text("The interview is paused and the time has stopped")).to_be_visible()
    expect(page.get_by_text("(stopped while paused)")).to_be_visible()
    expect(answer).to_be_disabled()
    screenshot(page, "interview-paused")
    page.keyboard.press("Enter")
    expect(answer).to_be_focused()
    expect(answer).to_be_enabled()

    tab_to(page, page.get_by_role("button", name="End the interview"), "Shift+Tab")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="End the interview?")
    expect(dialog.get_by_role("button", name="Keep going")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="End the interview")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", name="Thank you")).to_be_focused()
    expect(dialog).to_be_hidden()
    expect(answer).to_be_hidden()
    screenshot(page, "interview-ended")

    stored = stored_transcript(service, session_id, token)
    assert len(stored) == 7
    assert shown_transcript(page) == shown(stored)


def test_a_reload_keeps_the_transcript_and_the_time_left_the_service_counts(
    service: Any, page: Any
) -> None:
    session_id, token = interview_under_way(
        service, minutes_ago=10, answers=("A counter, encoded in base62.",)
    )
    page.goto(service.url(f"/i/{token}"))
    timer = page.locator("#timer")
    expect(messages(page)).to_have_count(3)
    expect(timer).to_have_text(TEN_MINUTES_USED)
    before = timer.inner_text()

    page.reload()
    expect(messages(page)).to_have_count(3)
    expect(timer).to_have_text(TEN_MINUTES_USED)
    assert timer.inner_text() <= before
    expect(timer).not_to_have_text(timer.inner_text())  # counting down
    assert shown_transcript(page) == shown(stored_transcript(service, session_id, token))


def test_an_answer_being_sent_during_a_reload_is_sent_once_under_its_id(
    service: Any, page: Any, screenshot: Any
) -> None:
    session_id, token = interview_under_way(
        service, minutes_ago=12, answers=("Short codes from a counter.",)
    )
    page.goto(service.url(f"/i/{token}"))
    expect(messages(page)).to_have_count(3)
    held: list[Any] = []

    def hold(route: Any) -> None:  # never answered: the request stays in flight
        held.append(route)

    page.route("**/api/v1/sessions/*/messages", hold, times=1)
    text = "I would keep the mapping in a key-value store."
    with page.expect_request(lambda request: request.method == "POST") as sending:
        send(page, text)
    expect(page.get_by_text("The interviewer is thinking")).to_be_visible()
    expect(page.locator("#transcript .message.pending")).to_contain_text(text)
    screenshot(page, "interview-thinking")

    page.reload()  # the held request never reaches the service
    mine = page.locator("#transcript .message.candidate", has_text=text)
    expect(mine).to_have_count(1)
    expect(messages(page)).to_have_count(5)
    expect(page.get_by_text("The interviewer is thinking")).to_be_hidden()
    stored = stored_transcript(service, session_id, token)
    [sent] = [m for m in stored if m["content"] == text]
    assert sent["client_message_id"] == sending.value.post_data_json["client_message_id"]
    assert len(stored) == 5
    assert len(held) == 1


def test_two_tabs_on_one_link_show_each_message_once(service: Any, page: Any) -> None:
    session_id, token = interview_under_way(service)
    other = page.context.new_page()
    watch_console(other, page.console_errors)
    for tab in (page, other):
        tab.goto(service.url(f"/i/{token}"))
        expect(messages(tab)).to_have_count(1)

    for count, (sender, text) in enumerate(
        ((page, "Sent from the first tab."), (other, "Sent from the second tab.")), start=1
    ):
        send(sender, text)
        for tab in (page, other):
            expect(tab.locator(".message.candidate", has_text=text)).to_have_count(1)
            expect(messages(tab)).to_have_count(1 + 2 * count)

    stored = shown(stored_transcript(service, session_id, token))
    assert shown_transcript(page) == shown_transcript(other) == stored


def test_markup_in_an_answer_shows_as_text(service: Any, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _, token = interview_under_way(service)
    page.goto(service.url(f"/i/{token}"))
    send(page, HOSTILE)
    expect(messages(page)).to_have_count(3)
    expect(page.locator("#transcript .message.candidate .content")).to_have_text(HOSTILE)
    assert page.locator("#transcript script, #transcript img").count() == 0
    assert dialogs == []


def test_a_whiteboard_answer_is_sent_in_whiteboard_mode(
    service: Any, page: Any, screenshot: Any
) -> None:
    session_id, token = interview_under_way(service, enabled_modes=["text", "whiteboard"])
    page.goto(service.url(f"/i/{token}"))
    page.get_by_label("Notes").fill("Client -> load balancer -> app -> key-value store")
    canvas = page.get_by_role("img", name="Drawing area")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 120, steps=6)
    page.mouse.up()
    page.get_by_role("button", name="Send the whiteboard").click()
    expect(messages(page)).to_have_count(3)
    expect(page.get_by_role("img", name="Drawing with 1 stroke")).to_be_visible()
    screenshot(page, "interview-whiteboard")

    [sent] = [m for m in stored_transcript(service, session_id, token) if m["role"] == "candidate"]
    assert sent["mode"] == "whiteboard"
    board = json.loads(sent["content"])
    assert board["text"] == "Client -> load balancer -> app -> key-value store"
    [stroke] = board["strokes"]
    assert len(stroke) >= 2 and all(len(point) == 2 for point in stroke)


def test_an_expired_link_shows_the_clear_page(service: Any, page: Any) -> None:
    session_id, _ = interview_under_way(service, start=False)
    with earlier(service, minutes=120) as past:
        session = past.session_manager(tenant_id="default").get_session(session_id)
        _, token = past.access_manager().create_link(session, "candidate", 60)
    response = page.goto(service.url(f"/i/{token}"))
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")


def test_the_page_never_asks_for_the_evaluation(service: Any, page: Any) -> None:
    requested: list[str] = []
    sockets: list[Any] = []
    page.on("request", lambda request: requested.append(request.url))

    def opened(socket: Any) -> None:
        sockets.append(socket)

    page.on("websocket", opened)
    _, token = interview_under_way(service, answers=("Short codes from a counter.",))
    page.goto(service.url(f"/i/{token}"))
    expect(messages(page)).to_have_count(3)
    [socket] = sockets

    def scored(payload: str | bytes) -> bool:
        event = json.loads(payload)
        return bool(event["type"] == "evaluation.updated" and event["data"]["status"] != "pending")

    page.get_by_role("button", name="End the interview").click()
    with socket.expect_event("framereceived", predicate=scored, timeout=20_000):
        page.get_by_role("dialog").get_by_role("button", name="End the interview").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert not [url for url in requested if "/evaluation" in url]
    expect(page.get_by_text(re.compile("score|evaluation", re.IGNORECASE))).to_have_count(0)

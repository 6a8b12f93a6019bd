"""What the dashboard's pages show: keyset pages that cover every session once, the filters
(the highest score applied by the dashboard itself), a session's evaluation, and statistics
with how sessions ended."""

from __future__ import annotations

import re
from collections.abc import Callable

from api_support import ANSWERS, Callers
from dashboard_support import Visitor

from interview_orchestrator import SessionConfig
from interview_orchestrator.models import EndReason
from interview_orchestrator.web.dashboard_views import PAGE_SIZE

ROW = re.compile(r'<tr data-live-session="([0-9a-f-]{36})">')
NEXT = re.compile(r'<a class="button secondary" href="([^"]+)" rel="next">')


def listed(page: str) -> list[str]:
    return ROW.findall(page)


def scored(callers: Callers, user: str) -> str:
    """A completed session of ``user`` with a READY evaluation (score above 0)."""
    manager = callers.container.session_manager(tenant_id="acme")
    sid = str(manager.create_session(SessionConfig(), user_id=user).id)
    manager.start_session(sid)
    for answer in ANSWERS:
        manager.send_message(sid, answer)
    manager.end_session(sid, evaluate="now")
    return sid


def test_keyset_pages_list_every_session_once_newest_first(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    made = [callers.session(started=False) for _ in range(PAGE_SIZE + 3)]
    visitor = visitors()
    visitor.sign_in(callers.key("admin"))
    first = visitor.get("/").text
    following = NEXT.search(first)
    assert following is not None
    second = visitor.get(following.group(1).replace("&amp;", "&")).text
    assert NEXT.search(second) is None
    seen = listed(first) + listed(second)
    assert len(listed(first)) == PAGE_SIZE
    assert sorted(seen) == sorted(made)


def test_filters_by_status_and_user(visitors: Callable[..., Visitor], callers: Callers) -> None:
    manager = callers.container.session_manager(tenant_id="acme")
    waiting = str(manager.create_session(SessionConfig(), user_id="cand-wait").id)
    running = str(manager.create_session(SessionConfig(), user_id="cand-run").id)
    manager.start_session(running)
    visitor = visitors()
    visitor.sign_in(callers.key("admin"))
    assert listed(visitor.get("/?status=created").text) == [waiting]
    assert listed(visitor.get("/?user_id=cand-run").text) == [running]
    assert listed(visitor.get("/?status=created&user_id=cand-run").text) == []


def test_the_score_range_keeps_the_sessions_within_it(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    sid = scored(callers, "cand-scored")
    callers.session(started=False)
    score = callers.container.session_manager(tenant_id="acme").get_session(sid).overall_score
    assert score is not None
    visitor = visitors()
    visitor.sign_in(callers.key("admin"))
    assert listed(visitor.get(f"/?score_min={score - 1}&score_max={score + 1}").text) == [sid]
    assert listed(visitor.get(f"/?score_max={score - 1}").text) == []
    assert listed(visitor.get(f"/?score_min={score + 1}").text) == []


def test_invalid_filters_are_named_and_nothing_is_listed(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    callers.session()
    visitor = visitors()
    visitor.sign_in(callers.key("admin"))
    answer = visitor.get("/?status=lost&created_from=yesterday&score_min=70&score_max=20")
    assert answer.status_code == 200
    assert "Status: choose one of the listed statuses." in answer.text
    assert "Created from: give a date as YYYY-MM-DD." in answer.text
    assert "Lowest score must not be above Highest score." in answer.text
    assert listed(answer.text) == []


def test_a_session_page_shows_each_dimension_with_evidence_links(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    sid = scored(callers, "cand-eval")
    report = callers.container.session_manager(tenant_id="acme").get_evaluation(sid)
    assert report is not None
    visitor = visitors()
    visitor.sign_in(callers.key("reviewer"))
    page = visitor.get(f"/sessions/{sid}").text
    assert page.count('<th scope="row">') == len(report.dimension_scores)
    evidence = {seq for score in report.dimension_scores.values() for seq in score.evidence}
    assert evidence and all(f'href="#m-{seq}"' in page for seq in evidence)
    assert all(f'id="m-{seq}"' in page for seq in evidence)


def test_a_link_is_shown_once_with_its_address(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    sid = callers.session()
    visitor = visitors()
    visitor.sign_in(callers.key("service"))
    visitor.get(f"/sessions/{sid}")
    answer = visitor.post(f"/sessions/{sid}/links", kind="review", expires_in_minutes="60")
    assert answer.status_code == 200
    address = re.search(r'id="new-link-url"[^>]*value="([^"]+)"', answer.text)
    assert address is not None and address.group(1).startswith("http://testserver/r/iol_")
    link = callers.access.link_of(address.group(1).rsplit("/", 1)[1])
    assert link is not None and link.session_id == sid
    assert "iol_" not in visitor.get(f"/sessions/{sid}").text


def test_statistics_count_abandoned_endings(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    manager = callers.container.session_manager(tenant_id="acme")
    for reason in (EndReason.ABANDONED, EndReason.REQUESTED):
        sid = callers.session()
        manager.end_session(sid, reason=reason, evaluate="background")
    callers.session()
    visitor = visitors()
    visitor.sign_in(callers.key("admin"))
    page = visitor.get("/stats").text
    assert "1 of 2 completed sessions in the window were abandoned" in page
    assert "2 of 3 completed" in page
    assert page.count('role="img"') == 5
    assert re.search(r'<th scope="row">Abandoned</th><td class="number">1</td>', page)


def test_the_live_refresh_follows_rows_that_left_the_pages_filter(
    visitors: Callable[..., Visitor], callers: Callers
) -> None:
    shown = [callers.session() for _ in range(5)]
    visitor = visitors()
    visitor.sign_in(callers.key("admin"))
    assert sorted(listed(visitor.get("/?status=active").text)) == sorted(shown)
    callers.container.session_manager(tenant_id="acme").pause_session(shown[0])
    ids = "&".join(f"id={sid}" for sid in shown)
    answer = visitor.get(f"/dashboard/sessions.json?status=active&{ids}").json()
    statuses = {item["id"]: item["status"] for item in answer["items"]}
    assert statuses == {sid: "paused" if sid == shown[0] else "active" for sid in shown}

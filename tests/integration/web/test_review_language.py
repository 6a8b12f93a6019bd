"""The review page reads a session's template in the session's language."""

from __future__ import annotations

from interview_orchestrator import Container, SessionConfig
from interview_orchestrator.web.review import read_report


def test_a_german_sessions_report_uses_the_german_template(container: Container) -> None:
    manager = container.session_manager()
    session = manager.create_session(SessionConfig(language="de"), user_id="review-de")
    manager.start_session(session.id)
    manager.send_message(session.id, "Ich würde zuerst die Anforderungen klären.")
    manager.end_session(session.id)

    report = read_report(manager, container.templates(), session.id, container.clock()())

    german = container.templates().get("system_design", "de")
    assert report.template is not None
    assert report.template.language == "de"
    assert report.template.title == german.title
    assert report.template.title != container.templates().get("system_design").title

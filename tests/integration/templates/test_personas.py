"""Interviewer personas through the real container, each database in turn: whole offline
interviews whose wording and follow-up depth follow the persona while the scores do not, an
unknown persona refused before anything is stored, custom personas from the settings checked
at start-up, and, over the real openai client and the scripted server, the persona and the
language in the interviewer's system prompt and only the language in the evaluator's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from interview_orchestrator import (
    Container,
    EvaluationReport,
    EvaluationStatus,
    InvalidInputError,
    Role,
    SessionConfig,
    SessionManager,
)
from interview_orchestrator.api import create_app
from interview_orchestrator.api.app import API_PREFIX
from interview_orchestrator.catalog.personas import YamlPersonaCatalog
from interview_orchestrator.cli import app
from interview_orchestrator.evaluation.rubric_evaluator import RubricEvaluator
from interview_orchestrator.ports import EvaluationRequest
from interview_orchestrator.testing import (
    RecordedRequest,
    ScriptedOpenAIServer,
    plausible_responder,
)

PERSONAS = YamlPersonaCatalog()
#: One answer touching every follow-up topic of system_design, given at every turn, so that
#: only the persona's depth limits the follow-ups.
ANSWER = (
    "Shorten and redirect, with custom alias support, click analytics and links that expire. "
    "Read-heavy ratio, terabytes of storage, p99 latency in ms, availability nines, spam and "
    "phishing abuse. Load balancer, redis cache, base62 counter, hash collisions, a key "
    "service, 301 vs 302, api key auth, idempotent retries. Postgres or cassandra key-value, "
    "lru eviction with ttl, invalidation, hot key, kafka queue events."
)
TURNS = 16
#: A résumé skill that brings the cache question (three follow-ups) first in its phase.
RESUME = {"skills": ["redis"]}


def offline_interview(manager: SessionManager, persona: str) -> tuple[str, EvaluationReport]:
    session = manager.create_session(SessionConfig(persona=persona, resume_data=RESUME))
    manager.start_session(session.id)
    for _ in range(TURNS):
        manager.send_message(session.id, ANSWER)
    return session.id, manager.end_session(session.id)


def follow_ups_asked(container: Container, session_id: str) -> int:
    return sum(
        n.content.startswith("probed:") for n in container.data_store().get_notes(session_id)
    )


def replies_to_answers(manager: SessionManager, session_id: str) -> list[str]:
    transcript = manager.get_transcript(session_id)
    return [m.content for m in transcript[1:] if m.role is Role.INTERVIEWER]


@pytest.mark.parametrize("persona", ["warm", "rigorous"])
def test_each_reply_to_an_answer_opens_with_the_personas_acknowledgements_in_turn(
    container: Container, manager: SessionManager, persona: str
) -> None:
    session_id, report = offline_interview(manager, persona)

    phrases = PERSONAS.get(persona).acknowledgements["en"]
    replies = replies_to_answers(manager, session_id)
    questions = [r for r in replies if not r.startswith("That's all the questions")]
    assert report.status is EvaluationStatus.READY and len(questions) >= 8
    assert all(any(r.startswith(p + " ") for p in phrases) for r in questions)
    assert {p for p in phrases for r in questions if r.startswith(p)} == set(phrases)


def test_the_neutral_persona_asks_its_questions_without_acknowledgements(
    manager: SessionManager,
) -> None:
    session_id, _ = offline_interview(manager, "neutral")
    every_phrase = {
        p for name in ("warm", "rigorous") for p in PERSONAS.get(name).acknowledgements["en"]
    }
    replies = replies_to_answers(manager, session_id)
    assert replies and not any(r.startswith(p) for r in replies for p in every_phrase)


def test_the_same_interview_state_gets_the_same_wording(manager: SessionManager) -> None:
    first, _ = offline_interview(manager, "warm")
    second, _ = offline_interview(manager, "warm")
    assert replies_to_answers(manager, first) == replies_to_answers(manager, second)


def test_rigorous_asks_more_follow_ups_than_neutral_and_warm_fewer_on_the_same_answers(
    container: Container, manager: SessionManager
) -> None:
    asked = {
        persona: follow_ups_asked(container, offline_interview(manager, persona)[0])
        for persona in ("warm", "neutral", "rigorous")
    }
    assert asked["warm"] < asked["neutral"] < asked["rigorous"], asked


def test_the_same_answers_get_the_same_scores_under_every_persona(manager: SessionManager) -> None:
    reports = [offline_interview(manager, p)[1] for p in ("warm", "neutral", "rigorous")]
    scores = {
        (r.overall_score, tuple((d, s.score) for d, s in sorted(r.dimension_scores.items())))
        for r in reports
    }
    assert len(scores) == 1 and reports[0].overall_score is not None


def test_one_transcript_evaluated_under_two_personas_gets_identical_scores(
    container: Container, manager: SessionManager
) -> None:
    session_id, _ = offline_interview(manager, "warm")
    session = manager.get_session(session_id)
    transcript = tuple(manager.get_transcript(session_id))
    template = container.templates().get("system_design")
    as_rigorous = session.with_changes(config=SessionConfig(persona="rigorous", resume_data=RESUME))

    drafts = [
        RubricEvaluator().evaluate(EvaluationRequest(s, transcript, template))
        for s in (session, as_rigorous)
    ]
    assert drafts[0].dimension_scores == drafts[1].dimension_scores


def test_an_unknown_persona_is_refused_at_create_session_and_nothing_is_stored(
    manager: SessionManager,
) -> None:
    with pytest.raises(
        InvalidInputError, match=r"unknown persona 'grumpy'.*neutral, rigorous, warm"
    ):
        manager.create_session(SessionConfig(persona="grumpy"))
    assert manager.list_sessions() == []


# ---------------------------------------------------------------------- custom personas


@pytest.fixture
def persona_directory(tmp_path: Path) -> Path:
    directory = tmp_path / "personas"
    directory.mkdir()
    (directory / "socratic.yaml").write_text(
        "name: socratic\ntitle: Socratic\ndescription: Asks why.\n"
        "instructions: Answer every answer with a deeper why.\n"
        "acknowledgements: ['Why so?']\nfollow_up_depth: 0\n",
        encoding="utf-8",
    )
    return directory


@pytest.fixture
def custom_container(database_url: str, persona_directory: Path) -> Iterator[Container]:
    built = Container.from_settings(
        database_url=database_url,
        logging={"enabled": False},
        personas={"directories": [str(persona_directory)]},
    )
    yield built
    built.shutdown_resources()


def test_a_persona_from_the_settings_directory_runs_an_interview_without_follow_ups(
    custom_container: Container,
) -> None:
    manager = custom_container.session_manager()
    session_id, report = offline_interview(manager, "socratic")
    assert report.status is EvaluationStatus.READY
    assert replies_to_answers(manager, session_id)[0].startswith("Why so? ")
    assert follow_ups_asked(custom_container, session_id) == 0


# ---------------------------------------------------------------------- the openai provider


def system_prompt(request: RecordedRequest) -> str:
    return "\n".join(str(m.get("content")) for m in request.messages if m.get("role") == "system")


def openai_interview(manager: SessionManager, persona: str) -> EvaluationReport:
    session = manager.create_session(SessionConfig(ai_provider="openai", persona=persona))
    manager.start_session(session.id)
    manager.send_message(session.id, ANSWER)
    return manager.end_session(session.id)


def interviewer_and_evaluator_requests(
    server: ScriptedOpenAIServer,
) -> tuple[list[RecordedRequest], list[RecordedRequest]]:
    requests = server.chat_requests
    turns = [r for r in requests if r.schema_name == "interviewer_turn"]
    evaluations = [r for r in requests if r.schema_name == "evaluation"]
    return turns, evaluations


def test_the_interviewers_system_prompt_carries_the_persona_and_the_language(
    container: Container, scripted_openai_server: ScriptedOpenAIServer
) -> None:
    scripted_openai_server.connect(container)
    scripted_openai_server.handler = plausible_responder
    openai_interview(container.session_manager(), "rigorous")

    turns, _ = interviewer_and_evaluator_requests(scripted_openai_server)
    assert len(turns) == 2
    for request in turns:
        prompt = system_prompt(request)
        assert PERSONAS.get("rigorous").instructions in prompt
        assert "Conduct the interview in English (en)" in prompt


def test_the_evaluators_request_carries_the_language_and_no_persona(
    container: Container, scripted_openai_server: ScriptedOpenAIServer
) -> None:
    scripted_openai_server.connect(container)
    scripted_openai_server.handler = plausible_responder
    manager = container.session_manager()
    reports = [openai_interview(manager, persona) for persona in ("warm", "rigorous")]

    _, evaluations = interviewer_and_evaluator_requests(scripted_openai_server)
    prompts = [system_prompt(request) for request in evaluations]
    assert len(prompts) == 2 and prompts[0] == prompts[1]
    assert "Write the report's text" in prompts[0] and "English (en)" in prompts[0]
    for name in PERSONAS.names():
        assert all(PERSONAS.get(name).instructions not in r.text for r in evaluations)
    assert reports[0].overall_score == reports[1].overall_score is not None


def test_a_german_session_asks_the_interviewer_and_the_evaluator_for_german(
    container: Container, scripted_openai_server: ScriptedOpenAIServer
) -> None:
    scripted_openai_server.connect(container)
    scripted_openai_server.handler = plausible_responder
    manager = container.session_manager()
    config = SessionConfig(ai_provider="openai", language="de", persona="warm")
    session = manager.create_session(config)
    manager.start_session(session.id)
    manager.send_message(session.id, ANSWER)
    manager.end_session(session.id)

    turns, evaluations = interviewer_and_evaluator_requests(scripted_openai_server)
    german_title = container.templates().get("system_design", "de").title
    assert all("Conduct the interview in German (de)" in system_prompt(r) for r in turns)
    assert german_title in system_prompt(turns[0])
    assert "Write the report's text" in system_prompt(evaluations[0])
    assert "German (de)" in system_prompt(evaluations[0])


def test_a_german_offline_interview_acknowledges_in_german(manager: SessionManager) -> None:
    session = manager.create_session(SessionConfig(language="de", persona="warm"))
    manager.start_session(session.id)
    manager.send_message(session.id, "Kurze URLs, Weiterleitung und Statistiken.")

    reply = manager.get_transcript(session.id)[-1].content
    german = PERSONAS.get("warm").acknowledgements["de"]
    assert any(reply.startswith(phrase + " ") for phrase in german), reply


# ---------------------------------------------------------------------- the service


@pytest.fixture
def api(container: Container) -> Iterator[tuple[TestClient, dict[str, str]]]:
    token = container.access_manager().create_key("admin of acme", "admin", "acme")[1]
    with TestClient(create_app(container)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_the_service_stores_and_returns_the_sessions_persona(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = api
    created = client.post(
        f"{API_PREFIX}/sessions", json={"config": {"persona": "rigorous"}}, headers=headers
    )
    assert created.status_code == 201, created.text
    shown = client.get(f"{API_PREFIX}/sessions/{created.json()['id']}", headers=headers)
    assert shown.json()["config"]["persona"] == "rigorous"


def test_the_service_refuses_an_unknown_persona_as_a_problem_naming_the_personas(
    api: tuple[TestClient, dict[str, str]], manager: SessionManager
) -> None:
    client, headers = api
    refused = client.post(
        f"{API_PREFIX}/sessions", json={"config": {"persona": "grumpy"}}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "neutral, rigorous, warm" in refused.json()["detail"]
    assert manager.list_sessions() == []


def test_a_container_configured_with_a_bad_persona_file_is_refused_when_built(
    database_url: str, persona_directory: Path
) -> None:
    bad = persona_directory / "loud.yaml"
    bad.write_text("name: loud\ntitle: Loud\ndescription: d\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        Container.from_settings(
            database_url=database_url, personas={"directories": [str(persona_directory)]}
        )
    assert str(bad) in str(caught.value) and "instructions" in str(caught.value)


def test_a_bad_persona_file_stops_a_command_with_one_line_naming_the_file_and_the_field(
    sqlite_url: str, persona_directory: Path, tmp_path: Path
) -> None:
    bad = persona_directory / "loud.yaml"
    bad.write_text(
        "name: loud\ntitle: Loud\ndescription: d\ninstructions: i\nfollow_up_depth: 9\n",
        encoding="utf-8",
    )
    config = tmp_path / "config.yaml"
    config.write_text(f"personas:\n  directories: [{persona_directory}]\n", encoding="utf-8")

    result = CliRunner().invoke(
        app, ["--config", str(config), "--database-url", sqlite_url, "templates", "list"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: persona file ") and result.output.count("\n") == 1
    assert str(bad) in result.output and "follow_up_depth" in result.output

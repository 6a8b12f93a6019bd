"""Interviews in another language: a whole offline interview in German (each database in
turn), a language without a question bank refused at create, and a malformed custom template
refused when the container builds its catalog (the library and the command line)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from interview_orchestrator import (
    Container,
    EvaluationStatus,
    InvalidInputError,
    Role,
    SessionConfig,
    SessionManager,
)
from interview_orchestrator.archive import export_sessions, import_sessions, purge_sessions
from interview_orchestrator.catalog.yaml_catalog import builtin_templates_directory
from interview_orchestrator.cli import app
from interview_orchestrator.ports import SessionFilter
from interview_orchestrator.store.schema import SESSIONS

GERMAN = SessionConfig(language="de", resume_data={"skills": ["python"]})

STRONG = (
    "Zuerst möchte ich die Anforderungen klären. Funktionale Anforderungen: Links kürzen, "
    "weiterleiten, ein eigener Alias und ein Ablaufdatum. Nicht-funktionale Anforderungen: "
    "hohe Verfügbarkeit und geringe Latenz. Statistiken lasse ich in der ersten Version weg.",
    "Eigene Aliasse sind eindeutig: ein Unique Constraint in der Datenbank verhindert "
    "Doppelte, und ein Alias wird nach dem Ablauf nie wiederverwendet.",
    "Meine Schätzung: 100 Millionen neue Links pro Monat, also etwa 40 pro Sekunde beim "
    "Schreiben; das Verhältnis ist leselastig, 100 zu 1, also rund 4000 Weiterleitungen pro "
    "Sekunde. Speicherbedarf: 500 Bytes pro Link, etwa 3 Terabyte in fünf Jahren.",
    "Die Architektur: ein Load Balancer vor zustandslosen Servern, ein Cache mit Redis auf "
    "dem Lesepfad, die Datenbank dahinter und ein Schlüsseldienst für den Kurzcode, base62 "
    "kodiert. Auf dem Schreibpfad landet jeder Datensatz mit einem Primärschlüssel.",
    "Beim Cache-Miss lesen wir aus der Datenbank und schreiben den Eintrag mit einer TTL "
    "zurück, cache-aside mit LRU-Verdrängung; die Trefferquote sollte über 90 Prozent liegen.",
    "Für Skalierung: Sharding nach dem Kurzcode mit konsistentem Hashing, Replikation mit "
    "Leader und Follower, Failover in eine zweite Region, Monitoring mit Alarm auf p99 und "
    "eine Ratenbegrenzung gegen Missbrauch.",
    "Der Zielkonflikt: ein Zähler ist einfacher, aber ein Engpass; stattdessen ein "
    "vorab erzeugter Bereich pro Server, auf Kosten einiger ungenutzter Codes. Zusammenfassend: "
    "Lesepfad mit Cache, Schreibpfad mit Schlüsseldienst, und die Konsistenz ist letztendlich.",
)
WEAK = (
    "Ich würde einfach eine Webseite bauen.",
    "Das weiß ich nicht genau.",
    "Irgendein Server, denke ich.",
    "Keine Ahnung, vielleicht mehr Rechner.",
)


def german_interview(manager: SessionManager, answers: tuple[str, ...]) -> tuple[str, list[str]]:
    session = manager.create_session(GERMAN)
    manager.start_session(session.id)
    replies = [manager.send_message(session.id, answer).content for answer in answers]
    return session.id, replies


def test_a_german_session_opens_with_the_german_opening(
    container: Container, manager: SessionManager
) -> None:
    session_id, _ = german_interview(manager, ())
    transcript = manager.get_transcript(session_id)
    german = container.templates().get("system_design", "de")
    assert transcript[0].role is Role.INTERVIEWER
    assert transcript[0].content == german.opening
    assert manager.get_session(session_id).config.language == "de"


def test_german_answers_trigger_the_german_follow_ups(
    container: Container, manager: SessionManager
) -> None:
    german = container.templates().get("system_design", "de")
    texts = {
        item.id: item.text
        for phase in german.phases
        for question in phase.questions
        for item in (question, *question.follow_ups)
    }
    _, replies = german_interview(manager, STRONG[:3])
    assert replies[0].endswith(texts["req_core_features"])
    # "ein eigener Alias" is a German trigger of the custom-alias follow-up.
    assert replies[1].endswith(texts["req_custom_alias"])
    assert replies[2].endswith(texts["req_scale_estimates"])


def test_the_interviewer_moves_to_the_next_phase_in_german(manager: SessionManager) -> None:
    _, replies = german_interview(manager, STRONG[:4])
    assert replies[3].startswith("Kommen wir zum nächsten Teil: Grobentwurf. Skizzieren Sie")


def test_a_strong_german_answer_scores_above_a_weak_one(manager: SessionManager) -> None:
    strong_id, _ = german_interview(manager, STRONG)
    weak_id, _ = german_interview(manager, WEAK)
    strong = manager.end_session(strong_id)
    weak = manager.end_session(weak_id)
    assert strong.status is EvaluationStatus.READY
    assert strong.overall_score is not None
    assert weak.overall_score is None or weak.overall_score < strong.overall_score
    assert strong.dimension_scores["requirements_scoping"].score is not None
    assert strong.dimension_scores["requirements_scoping"].score >= 4


def test_an_offline_session_in_a_language_without_a_bank_is_refused_at_create(
    manager: SessionManager,
) -> None:
    with pytest.raises(InvalidInputError, match=r"no 'fr' version; its languages: de, en"):
        manager.create_session(SessionConfig(language="fr"))
    assert manager.list_sessions() == []


def test_a_session_stored_before_languages_existed_reads_as_english(
    container: Container, manager: SessionManager
) -> None:
    session = manager.create_session(SessionConfig())
    engine = container.engine()
    with engine.begin() as conn:
        stored = conn.execute(select(SESSIONS.c.config).where(SESSIONS.c.id == session.id))
        config = dict(stored.scalar_one())
        assert config.pop("language") == "en"
        conn.execute(update(SESSIONS).where(SESSIONS.c.id == session.id).values(config=config))
    assert manager.get_session(session.id).config.language == "en"


def test_an_exported_german_session_is_imported_in_german(
    container: Container, manager: SessionManager
) -> None:
    session_id, _ = german_interview(manager, STRONG[:2])
    manager.end_session(session_id)
    archive = container.session_archive()
    out = io.BytesIO()
    export_sessions(archive, SessionFilter(session_id=session_id), out)
    assert json.loads(out.getvalue())["session"]["config"]["language"] == "de"
    purge_sessions(archive, timedelta(0))
    assert manager.list_sessions() == []

    import_sessions(archive, out.getvalue().splitlines(keepends=True))

    assert manager.get_session(session_id).config.language == "de"


# --------------------------------------------------------------------------- start-up checks


@pytest.fixture
def broken_templates(tmp_path: Path) -> tuple[Path, int]:
    """A custom directory whose one template has a word where a number belongs, and its line."""
    directory = tmp_path / "templates"
    directory.mkdir()
    text = builtin_templates_directory().joinpath("system_design.yaml").read_text("utf-8")
    broken = text.replace("name: system_design", "name: billing", 1).replace(
        "    max_turns: 4\n", "    max_turns: four\n", 1
    )
    (directory / "billing.yaml").write_text(broken, encoding="utf-8")
    return directory, broken.splitlines().index("    max_turns: four") + 1


def test_a_malformed_custom_template_stops_the_container_naming_file_line_and_field(
    database_url: str, broken_templates: tuple[Path, int]
) -> None:
    directory, line = broken_templates
    with pytest.raises(InvalidInputError) as caught:
        Container.from_settings(
            database_url=database_url, interviewer={"template_dirs": [str(directory)]}
        )
    message = str(caught.value)
    assert str(directory / "billing.yaml") in message
    assert f"line {line}: phases[2].max_turns: expected a whole number" in message


def test_a_malformed_custom_template_stops_the_command_line_with_one_error_line(
    sqlite_url: str, broken_templates: tuple[Path, int], tmp_path: Path
) -> None:
    directory, line = broken_templates
    config = tmp_path / "config.yaml"
    config.write_text(f"interviewer:\n  template_dirs: ['{directory}']\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["--config", str(config), "--database-url", sqlite_url, "sessions", "list"]
    )
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: template file ")
    assert f"billing.yaml is invalid: line {line}: phases[2].max_turns" in lines[0]

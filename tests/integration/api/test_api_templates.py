"""``GET /templates``, ``GET /templates/{name}`` and ``GET /personas``: the catalog a platform
offers its users, read with any API key, never with a session's link."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import API, Callers, bearer, build_container
from fastapi.testclient import TestClient

from interview_orchestrator import Container
from interview_orchestrator.api import create_app
from interview_orchestrator.catalog.yaml_catalog import builtin_templates_directory


def test_the_list_names_every_template_of_the_catalog(
    client: TestClient, callers: Callers, container: Container
) -> None:
    response = client.get(f"{API}/templates", headers=bearer(callers.key("reviewer")))
    assert response.status_code == 200
    names = [item["name"] for item in response.json()["items"]]
    assert names == container.templates().names()


def test_the_list_gives_languages_and_the_dimensions_weights(
    client: TestClient, callers: Callers
) -> None:
    response = client.get(f"{API}/templates", headers=bearer(callers.key("service")))
    item = next(i for i in response.json()["items"] if i["name"] == "system_design")
    assert item["title"] == "System design: a URL shortener"
    assert "en" in item["languages"]
    weights = {d["id"]: d["weight"] for d in item["dimensions"]}
    assert weights["deep_dive"] == 0.2
    assert sum(weights.values()) == pytest.approx(1.0)


def test_a_template_in_detail_has_its_phases_and_levels(
    client: TestClient, callers: Callers, container: Container
) -> None:
    response = client.get(f"{API}/templates/system_design", headers=bearer(callers.key()))
    assert response.status_code == 200
    detail = response.json()
    template = container.templates().get("system_design")
    assert [
        (p["id"], p["share"], p["max_turns"], p["question_count"]) for p in detail["phases"]
    ] == [(p.id, p.share, p.max_turns, len(p.questions)) for p in template.phases]
    levels = detail["dimensions"][-1]["levels"]
    assert sorted(levels) == ["1", "2", "3", "4", "5"]
    assert levels["5"] == template.rubric.dimensions[-1].levels[5]
    assert detail["language"] == "en"


def test_a_language_version_is_served_with_the_same_dimensions(
    client: TestClient, callers: Callers
) -> None:
    headers = bearer(callers.key("reviewer"))
    url = f"{API}/templates/system_design"
    german = client.get(url, params={"language": "de"}, headers=headers).json()
    english = client.get(url, headers=headers).json()
    assert german["language"] == "de"
    assert german["title"] != english["title"]
    assert [(d["id"], d["weight"]) for d in german["dimensions"]] == [
        (d["id"], d["weight"]) for d in english["dimensions"]
    ]


def test_an_unknown_template_is_a_404_problem_naming_the_templates(
    client: TestClient, callers: Callers
) -> None:
    response = client.get(f"{API}/templates/no_such_kind", headers=bearer(callers.key()))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/not-found")
    assert "no_such_kind" in problem["detail"] and "system_design" in problem["detail"]


def test_a_name_that_is_a_path_outside_the_catalog_is_not_found(
    client: TestClient, callers: Callers
) -> None:
    response = client.get(f"{API}/templates/..%2F..%2Fsettings", headers=bearer(callers.key()))
    assert response.status_code == 404


def test_a_language_the_template_lacks_is_a_422_problem_naming_its_languages(
    client: TestClient, callers: Callers
) -> None:
    response = client.get(
        f"{API}/templates/system_design",
        params={"language": "xx"},
        headers=bearer(callers.key()),
    )
    assert response.status_code == 422
    assert "'xx'" in response.json()["detail"] and "en" in response.json()["detail"]


@pytest.mark.parametrize("kind", ["candidate", "review"])
def test_a_sessions_link_may_not_read_the_catalog(
    client: TestClient, callers: Callers, kind: str
) -> None:
    token = callers.link(callers.session(), kind)
    response = client.get(f"{API}/templates", headers=bearer(token))
    assert response.status_code == 403


def test_the_list_needs_a_token(client: TestClient) -> None:
    assert client.get(f"{API}/templates").status_code == 401


def test_a_custom_template_directory_is_offered(database_url: str, tmp_path: Path) -> None:
    text = builtin_templates_directory().joinpath("system_design.yaml").read_text("utf-8")
    (tmp_path / "billing.yaml").write_text(
        text.replace("name: system_design", "name: billing", 1), encoding="utf-8"
    )
    custom = build_container(database_url, interviewer={"template_dirs": [str(tmp_path)]})
    try:
        token = Callers(custom).key("reviewer")
        with TestClient(create_app(custom)) as custom_client:
            response = custom_client.get(f"{API}/templates/billing", headers=bearer(token))
        assert response.status_code == 200
        assert response.json()["name"] == "billing"
    finally:
        custom.shutdown_resources()


def test_the_personas_on_offer_are_listed_with_their_manner(
    client: TestClient, callers: Callers
) -> None:
    response = client.get(f"{API}/personas", headers=bearer(callers.key("reviewer")))
    assert response.status_code == 200
    personas = {item["name"]: item for item in response.json()["items"]}
    assert {"warm", "neutral", "rigorous"} <= set(personas)
    assert personas["warm"]["description"].strip()
    assert personas["rigorous"]["follow_up_depth"] > personas["warm"]["follow_up_depth"]


def test_a_candidates_link_may_not_list_the_personas(client: TestClient, callers: Callers) -> None:
    token = callers.link(callers.session(), "candidate")
    assert client.get(f"{API}/personas", headers=bearer(token)).status_code == 403

"""The OpenAPI document describes every route of the table: its answer's shape (no bare ``{}``
for a 2xx body) and, for guarded routes, the bearer scheme."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import API, build_container
from fastapi.testclient import TestClient

from interview_orchestrator.api import create_app
from interview_orchestrator.api.permissions import ROUTE_CAPABILITIES

#: Routes of the table served over HTTP and built here (webhooks come with their own work).
HTTP_ROUTES = sorted(
    (method, template)
    for method, template in ROUTE_CAPABILITIES
    if method != "WEBSOCKET" and not template.startswith("/webhooks")
)


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document as the app serves it (built without touching the database, so one
    fetch serves the module on either backend)."""
    container = build_container(f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'none.db'}")
    with TestClient(create_app(container)) as client:
        answer = client.get(f"{API}/openapi.json")
    container.shutdown_resources()
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _bearer_schemes(document: dict[str, Any]) -> set[str]:
    schemes = document["components"]["securitySchemes"]
    return {
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
    }


@pytest.mark.parametrize(("method", "template"), HTTP_ROUTES, ids=str)
def test_every_route_has_its_answer_model(
    document: dict[str, Any], method: str, template: str
) -> None:
    operation = document["paths"][API + template][method.lower()]
    successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
    assert successes, "no 2xx answer documented"
    for code, response in successes.items():
        if code == "204":
            assert not response.get("content")
            continue
        schema = _resolved(document, response["content"]["application/json"]["schema"])
        assert schema.get("properties") or schema.get("items") or schema.get("type"), (
            f"{code}: bare schema {schema}"
        )


@pytest.mark.parametrize(("method", "template"), HTTP_ROUTES, ids=str)
def test_guarded_routes_ask_for_a_bearer_token(
    document: dict[str, Any], method: str, template: str
) -> None:
    operation = document["paths"][API + template][method.lower()]
    required = {name for requirement in operation.get("security", []) for name in requirement}
    if ROUTE_CAPABILITIES[(method, template)] is None:
        assert not required
    else:
        assert required & _bearer_schemes(document)


def test_the_document_has_a_bearer_scheme(document: dict[str, Any]) -> None:
    assert _bearer_schemes(document)

"""The README's configuration examples for OpenAI-compatible servers, as written there: each is
loaded as a configuration file and runs an interview (opening question, one reply, the
evaluation) through the real client against ``ScriptedOpenAIServer`` emulating that server's
quirks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from interview_orchestrator import EvaluationStatus, SessionConfig
from interview_orchestrator.testing import (
    AZURE_OPENAI,
    LITELLM_PROXY,
    OLLAMA,
    VLLM,
    ScriptedOpenAIServer,
    ServerQuirks,
    plausible_responder,
)

README = Path(__file__).resolve().parents[3] / "README.md"
SERVERS = {"ollama": OLLAMA, "litellm": LITELLM_PROXY, "vllm": VLLM, "azure": AZURE_OPENAI}


def readme_examples() -> dict[str, str]:
    """The YAML blocks of the README's "OpenAI-compatible servers" section, by the first word
    of their opening comment (lower case)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### OpenAI-compatible servers", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    return {block.split()[1].rstrip(":").lower(): block for block in blocks}


def test_the_readme_has_an_example_for_each_emulated_server() -> None:
    assert set(readme_examples()) == set(SERVERS)


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_a_readme_example_runs_an_interview_against_its_server(
    server: str,
    interview_container: Any,
    scripted_openai_server: ScriptedOpenAIServer,
    tmp_path: Path,
) -> None:
    quirks: ServerQuirks = SERVERS[server]
    example = readme_examples()[server]
    configured = yaml.safe_load(example)["openai"]
    assert urlsplit(configured["base_url"]).path.rstrip("/") == quirks.path_prefix
    config_file = tmp_path / f"{server}.yaml"
    config_file.write_text(example, encoding="utf-8")

    scripted_openai_server.quirks = quirks
    scripted_openai_server.handler = plausible_responder
    interview_container.config.from_yaml(str(config_file))
    scripted_openai_server.connect(interview_container)
    manager = interview_container.session_manager()
    session = manager.create_session(SessionConfig(ai_provider="openai"))
    manager.start_session(session.id)
    reply = manager.send_message(session.id, "A load balancer, stateless servers and a cache.")
    report = manager.end_session(session.id)

    assert reply.content.startswith("Thanks. Could you walk me through")
    assert report.status is EvaluationStatus.READY and report.provider == "openai"
    sent = scripted_openai_server.chat_requests
    assert len(sent) == 3
    assert {r.json["model"] for r in sent} == {configured["model"]}
    assert all("store" not in r.json for r in sent)

"""The scripted server's own contract: what answers a request, what it records, how it stops."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from interview_orchestrator.testing import (
    ScriptedOpenAIServer,
    completion,
    stalled,
)


def post(
    server: ScriptedOpenAIServer, body: dict[str, Any], path: str = "/v1/chat/completions"
) -> tuple[int, Any]:
    root = server.base_url.removesuffix("/v1")
    request = urllib.request.Request(
        root + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as failed:
        return failed.code, json.loads(failed.read())


def test_the_queue_answers_first_then_the_handler_then_a_400(
    scripted_openai_server: ScriptedOpenAIServer,
) -> None:
    scripted_openai_server.enqueue(completion("queued"))
    scripted_openai_server.handler = lambda r: completion("handled") if r.json["n"] == 2 else None
    answers = [post(scripted_openai_server, {"n": n}) for n in (1, 2, 3)]
    assert answers[0][1]["choices"][0]["message"]["content"] == "queued"
    assert answers[1][1]["choices"][0]["message"]["content"] == "handled"
    assert answers[2][0] == 400 and "no scripted response" in answers[2][1]["error"]["message"]


def test_requests_are_recorded_with_body_and_arrival_time(
    scripted_openai_server: ScriptedOpenAIServer,
) -> None:
    scripted_openai_server.enqueue(completion("a"), completion("b"))
    before = time.monotonic()
    post(scripted_openai_server, {"model": "m", "messages": []})
    post(scripted_openai_server, {"model": "m2"}, path="/chat/completions")
    first, second = scripted_openai_server.chat_requests
    assert first.json == {"model": "m", "messages": []} and first.size == len(first.body)
    assert first.path == "/v1/chat/completions" and second.path == "/chat/completions"
    assert second.json["model"] == "m2"
    assert before <= first.arrived_at <= second.arrived_at


def test_other_paths_are_not_found(scripted_openai_server: ScriptedOpenAIServer) -> None:
    status, body = post(scripted_openai_server, {}, path="/v1/embeddings")
    assert status == 404 and "/v1/chat/completions" in body["error"]["message"]


def test_closing_abandons_a_stalled_response_at_once() -> None:
    server = ScriptedOpenAIServer(stalled(30.0)).start()
    caller = threading.Thread(target=lambda: _ignore_errors(post, server, {}), daemon=True)
    caller.start()
    while not server.requests:
        time.sleep(0.01)
    started = time.monotonic()
    server.close()
    assert time.monotonic() - started < 2.0


def _ignore_errors(call: Any, *args: Any) -> None:
    with contextlib.suppress(OSError):
        call(*args)

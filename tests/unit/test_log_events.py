"""The names of the log lines, the split between refusals and failures, and the one logger
policy: every component takes a logger, required and typed."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

from interview_orchestrator.access_manager import AccessManager
from interview_orchestrator.communication import InProcessCommunicationManager
from interview_orchestrator.communication.postgres import PostgresCommunicationManager
from interview_orchestrator.errors import (
    DataStoreError,
    RateLimitedError,
    ResourceNotFoundError,
    TurnInProgressError,
)
from interview_orchestrator.evaluation.service import EvaluationService, LeaseKeeper
from interview_orchestrator.interviewer.router import InterviewerRouter
from interview_orchestrator.log_events import LogEvent, Logger, log_failure
from interview_orchestrator.session_manager import SessionManager
from interview_orchestrator.subscriptions import Subscription
from interview_orchestrator.sweeper import Sweeper
from interview_orchestrator.testing.pytest_plugin import capturing_logger
from interview_orchestrator.webhooks import WebhookDispatcher, WebhookService
from interview_orchestrator.worker import EvaluationWorker

COMPONENTS = [
    SessionManager,
    AccessManager,
    Sweeper,
    EvaluationWorker,
    EvaluationService,
    LeaseKeeper,
    WebhookService,
    WebhookDispatcher,
    Subscription,
    InProcessCommunicationManager,
    PostgresCommunicationManager,
    InterviewerRouter,
]


def test_every_event_name_is_a_dotted_lower_case_name() -> None:
    for event in LogEvent:
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", event.value), event


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_component_requires_a_typed_logger(component: type) -> None:
    logger = inspect.signature(component).parameters["logger"]
    assert logger.default is inspect.Parameter.empty
    assert logger.annotation in ("Logger", Logger)


def logged(exc: BaseException) -> dict[str, Any]:
    lines: list[dict[str, Any]] = []
    try:
        raise exc
    except BaseException as caught:
        log_failure(capturing_logger(lines), caught)
    (line,) = lines
    return line


@pytest.mark.parametrize(
    "refusal",
    [
        ResourceNotFoundError("link", "k-1"),
        RateLimitedError("too many requests", retry_after=30),
        TurnInProgressError("s-1", "active", 4),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_refusal_is_a_warning_with_the_error_and_its_words_and_no_stack(
    refusal: Exception,
) -> None:
    line = logged(refusal)
    assert (line["level"], line["message"]) == ("warning", LogEvent.OPERATION_REFUSED)
    assert line["metadata"] == {"error": type(refusal).__name__, "reason": str(refusal)}
    assert "exception" not in line


def test_a_platform_failure_is_an_error_with_its_words_and_its_stack() -> None:
    line = logged(DataStoreError("the database could not be reached"))
    assert (line["level"], line["message"]) == ("error", LogEvent.OPERATION_FAILED)
    assert line["metadata"]["reason"] == "the database could not be reached"
    assert line["exception"][0]["exc_type"] == "DataStoreError"


def test_a_foreign_failure_is_logged_by_its_class_and_stack_only() -> None:
    line = logged(KeyError("an internal detail"))
    assert line["metadata"] == {"error": "KeyError"}
    assert line["exception"][0]["exc_type"] == "KeyError"

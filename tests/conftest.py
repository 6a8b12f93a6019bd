"""Suite-wide settings: tests never reach the network, CI insists on PostgreSQL, and no log
line of the whole run carries a planted secret (``tests/planted.py``)."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pytest

from tests.planted import SCAN

_postgres_outcomes: dict[str, int] = {"passed": 0, "skipped": 0}
_browser_outcomes: dict[str, int] = {"passed": 0, "skipped": 0}


class _PlantedSecretScan(logging.Handler):
    """Shows every record of the library's logger to the suite-wide scan of planted secrets."""

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        SCAN.check(text, record.name)


class _EveryRecordLogger(logging.Logger):
    """The ``interview_orchestrator`` logger during the run: it creates every record whatever
    the configured level (a test that set ERROR must not hide a leak in an INFO line), shows
    it to the scan, and hands it on to the other handlers only if the level lets it through,
    so what the tests observe is unchanged."""

    scan = _PlantedSecretScan()

    def isEnabledFor(self, level: int) -> bool:
        return not self.disabled

    def callHandlers(self, record: logging.LogRecord) -> None:
        self.scan.handle(record)
        if record.levelno >= self.getEffectiveLevel():
            super().callHandlers(record)


def pytest_sessionstart(session: pytest.Session) -> None:
    logging.getLogger("interview_orchestrator").__class__ = _EveryRecordLogger


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """The packaged ``interview_logs`` fixture renders lines without the stdlib logger: scan
    them too."""
    lines: Any = getattr(item, "funcargs", {}).get("interview_logs")
    for line in lines or ():
        SCAN.check(json.dumps(line, ensure_ascii=False, default=str), "interview_logs fixture")


def _is_worker(config: pytest.Config) -> bool:
    """True in a pytest-xdist worker process (the controller merges what workers saw)."""
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Under pytest-xdist: fold each worker's scan into the controller's."""
    scanned = getattr(node, "workeroutput", {}).get("planted_scan")
    if scanned is not None:
        SCAN.merge(scanned["scanned"], scanned["hits"])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SCAN.hits:
        terminalreporter.write_line(f"log redaction scan FAILED: {SCAN.report()}", red=True)
    else:
        terminalreporter.write_line(
            f"log redaction scan: {SCAN.scanned} log lines scanned, no planted secret found"
        )


@pytest.fixture(autouse=True)
def _no_ambient_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's database, API key or provider endpoint."""
    for name in ("INTERVIEW_DATABASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for marker, outcomes in (("postgres", _postgres_outcomes), ("browser", _browser_outcomes)):
        if marker in report.keywords and report.when in ("setup", "call"):
            if report.skipped:
                outcomes["skipped"] += 1
            elif report.passed and report.when == "call":
                outcomes["passed"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A planted secret in any log line fails the run. With REQUIRE_POSTGRES=1 or
    REQUIRE_BROWSER=1 (CI), skipped or absent PostgreSQL or browser tests fail it too. Under
    pytest-xdist a worker hands its scan to the controller, which judges the whole run."""
    if _is_worker(session.config):
        session.config.workeroutput["planted_scan"] = {  # type: ignore[attr-defined]
            "scanned": SCAN.scanned,
            "hits": SCAN.portable_hits(),
        }
        return
    if SCAN.hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if exitstatus != 0:
        return
    for variable, kind, outcomes in (
        ("REQUIRE_POSTGRES", "PostgreSQL", _postgres_outcomes),
        ("REQUIRE_BROWSER", "browser", _browser_outcomes),
    ):
        if os.environ.get(variable) != "1":
            continue
        if outcomes["skipped"] or not outcomes["passed"]:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            print(
                f"\n{variable}=1 but {kind} tests passed={outcomes['passed']} "
                f"skipped={outcomes['skipped']}: they must run in CI"
            )

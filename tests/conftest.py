"""Suite-wide settings: tests never reach the network, and CI insists on PostgreSQL."""

from __future__ import annotations

import os

import pytest

_postgres_outcomes: dict[str, int] = {"passed": 0, "skipped": 0}


@pytest.fixture(autouse=True)
def _no_ambient_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's database, API key or provider endpoint."""
    for name in ("INTERVIEW_DATABASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgres" in report.keywords and report.when in ("setup", "call"):
        if report.skipped:
            _postgres_outcomes["skipped"] += 1
        elif report.passed and report.when == "call":
            _postgres_outcomes["passed"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With REQUIRE_POSTGRES=1 (CI), skipped or absent PostgreSQL tests fail the run."""
    if os.environ.get("REQUIRE_POSTGRES") != "1" or exitstatus != 0:
        return
    if _postgres_outcomes["skipped"] or not _postgres_outcomes["passed"]:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(
            f"\nREQUIRE_POSTGRES=1 but PostgreSQL tests passed={_postgres_outcomes['passed']} "
            f"skipped={_postgres_outcomes['skipped']}: they must run in CI"
        )

"""The pages in a real browser: headless Chromium (Debian's package, driven by Playwright with
``executable_path``: browsers cannot be downloaded here) against ``interview-orchestrator serve``
on loopback, on a SQLite file of the module's own.

Fixtures: ``service`` (the running server and a ``Container`` on its database, to make keys,
sessions and links directly), ``browser`` (one Chromium per worker), ``page`` (a fresh
context per test whose console errors and uncaught exceptions fail the test), and
``screenshot`` (a PNG; into ``docs/screenshots/``, which the README shows, with
``UPDATE_SCREENSHOTS=1``).
Without Chromium every test here is skipped — unless ``REQUIRE_BROWSER=1`` (CI), which makes
the run fail instead.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e" / "service"))
from service_support import Processes, Server

from interview_orchestrator import Container, SessionConfig

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class Service:
    """The running server, its database, and a container on that database."""

    server: Server
    database_url: str
    container: Any
    base_url: str
    made: list[str] = field(default_factory=list)

    def key(self, role: str = "admin", tenant: str = "default") -> str:
        _, token = self.container.access_manager().create_key(f"browser {role}", role, tenant)
        return str(token)

    def session(self, tenant: str = "default", **config: Any) -> str:
        manager = self.container.session_manager(tenant_id=tenant)
        return str(manager.create_session(SessionConfig(**config), user_id="cand-browser").id)

    def link(self, session_id: str, kind: str = "candidate", tenant: str = "default") -> str:
        manager = self.container.session_manager(tenant_id=tenant)
        session = manager.get_session(session_id)
        _, token = self.container.access_manager().create_link(session, kind, 120)
        return str(token)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``interview-orchestrator serve`` on a SQLite file (its evaluation worker a thread)."""
    if chromium_path() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): browser tests skipped")
    directory = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{directory / 'pages.db'}"
    processes = Processes(directory)
    server = processes.serve(url).wait_ready()
    container = Container()
    container.config.database.url.from_value(url)
    container.config.logging.enabled.from_value(False)
    try:
        yield Service(server, url, container, server.base_url)
    finally:
        container.shutdown_resources()
        processes.finish()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@dataclass
class Console:
    """What a page said on its console and what it threw."""

    errors: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context; any console error or uncaught exception fails the test.
    Chromium reports a page whose own document answered 404 or 410 (a dead link's page) as
    a failed resource: that one is the test's to assert, not an error of the page's."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    console = Console()
    documents: set[str] = set()

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if message.text.startswith("Failed to load resource") and where in documents:
            return
        console.errors.append(f"console: {message.text} ({where})")

    opened.on("framenavigated", lambda frame: documents.add(frame.url))
    opened.on("console", on_console)
    opened.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
    opened.console_errors = console.errors
    yield opened
    context.close()
    assert console.errors == [], "\n".join(console.errors)


@pytest.fixture
def screenshot(tmp_path: Path) -> Any:
    """``screenshot(page, "name")``: a full-page PNG. With ``UPDATE_SCREENSHOTS=1`` it goes to
    docs/screenshots/ (what the README shows; ``make screenshots``), otherwise to the test's
    temporary directory, so that a test run does not rewrite tracked files."""
    target_dir = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path

    def take(target: Any, name: str) -> Path:
        target_dir.mkdir(parents=True, exist_ok=True)
        path = target_dir / f"{name}.png"
        if hasattr(target, "goto"):  # a page: all of it
            target.screenshot(path=str(path), full_page=True)
        else:  # a locator: that element
            target.screenshot(path=str(path))
        return path

    return take

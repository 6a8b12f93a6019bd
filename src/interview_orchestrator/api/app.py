"""``create_app``: the ASGI application, for ``interview-orchestrator serve`` or embedding.

Routes live in ``api/routes/`` (one module per resource, all under ``/api/v1``); errors become
problem+json in ``api/problems.py``; the caller is resolved in ``api/deps.py``. The synchronous
library runs in a bounded thread pool. Every request writes one JSON log line (method, route
template, status, duration, caller id — never a token) and carries a request id, echoed in
``X-Request-ID`` and bound into the library's log lines.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import anyio
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..container import Container
from ..log_events import LogEvent, Logger
from ..logging import scrub_logger
from . import problems
from .hub import close_hub
from .routes import ROUTERS
from .schemas import Problem

API_PREFIX: Final = "/api/v1"
#: The errors any route may answer with, documented once (problem+json).
ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    code: {
        "model": Problem,
        "description": words,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    for code, words in (
        (401, "No token, or an unknown, revoked or expired one"),
        (403, "The token's role or link may not do this"),
        (404, "No such resource (or not the caller's tenant's)"),
        (409, "Refused in the session's state, a turn in progress, or an idempotency conflict"),
        (422, "Invalid input"),
        (429, "Rate limited: see Retry-After"),
        (502, "The AI provider failed (the body says whether the message was kept)"),
        (503, "The database is unavailable"),
    )
}
_REQUEST_ID: Final = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _swagger_assets() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def create_app(container: Container | None = None, *, background_work: bool = False) -> FastAPI:
    """The service's ASGI app on ``container`` (default: a ``Container()`` from the
    configuration). ``background_work`` runs the evaluation worker and the webhook dispatcher
    as threads of this process (``serve`` does so on SQLite, or with ``--with-worker``)."""
    built = container if container is not None else Container()
    settings = built.settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.thread_limiter = anyio.CapacityLimiter(settings.service.thread_limit)
        background = _Background(built) if background_work else None
        if background is not None:
            background.start()
        try:
            yield
        finally:
            close_hub(app)
            if background is not None:
                background.stop()
            if container is None:
                built.shutdown_resources()

    app = FastAPI(
        title="interview-orchestrator",
        summary="The orchestration core of AI-led interviews: sessions, turns, live events, "
        "evaluations.",
        version=_version(),
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        lifespan=lifespan,
    )
    app.state.container = built
    # uvicorn logs a WebSocket's path with its query string (a link's token): scrub its lines.
    scrub_logger("uvicorn", "uvicorn.error", "uvicorn.access")
    # Usable before the lifespan runs (TestClient without a context manager, embedding).
    app.state.thread_limiter = anyio.CapacityLimiter(settings.service.thread_limit)
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    _install_docs(app)
    from ..web import install_pages  # the pages use the API's dependencies: imported last

    install_pages(app)
    _install_request_log(app)
    return app


class _Background:
    """The evaluation worker and the webhook dispatcher running as threads of this process."""

    def __init__(self, container: Container) -> None:
        self._stop = threading.Event()
        self._runners: list[Any] = [container.worker()]
        if hasattr(container, "webhook_dispatcher"):
            self._runners.append(container.webhook_dispatcher())
        self._threads = [
            threading.Thread(
                target=runner.run, args=(self._stop,), name=f"background-{index}", daemon=True
            )
            for index, runner in enumerate(self._runners)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop: the work in hand is finished; idle runners are woken so they stop at once."""
        self._stop.set()
        for runner in self._runners:
            wake = getattr(runner, "wake", None)
            if wake is not None:
                wake()
        for thread in self._threads:
            thread.join(timeout=timeout)


def _install_docs(app: FastAPI) -> None:
    """The OpenAPI page at ``/docs`` with its assets served from the installed package: no
    CDN (many deployments have no internet)."""
    app.mount("/docs/assets", StaticFiles(directory=_swagger_assets()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json",
            title="interview-orchestrator API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )


def _install_request_log(app: FastAPI) -> None:
    log: Logger = app.state.container.logger().bind(component="api")

    @app.middleware("http")
    async def request_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            response = await call_next(request)
            route = request.scope.get("route")
            principal = getattr(request.state, "principal", None)
            log.info(
                LogEvent.REQUEST_HANDLED,
                operation="request",
                session_id=request.path_params.get("session_id"),
                metadata={
                    "method": request.method,
                    "route": getattr(route, "path", None) or "unmatched",
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "principal": None if principal is None else f"{principal.kind}:{principal.id}",
                },
            )
        response.headers["X-Request-ID"] = request_id
        return response


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("interview-orchestrator")
    except PackageNotFoundError:
        return "0"


__all__ = ["API_PREFIX", "create_app"]

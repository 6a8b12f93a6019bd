"""``app_from_environment``: the app of each process of ``serve --workers N``.

uvicorn starts several processes from an import string, so they cannot be handed a container:
``serve`` passes the settings it validated (its ``--config`` file, the environment, and its
``--database-url`` and ``--log-level`` already applied) as JSON in ``INTERVIEW_SERVICE_SETTINGS``,
and each process builds its container from exactly those (``Container.from_settings``: above
the environment, so nothing in a process can differ from what ``serve`` checked). Without the
variable the container comes from the configuration as usual, so that
``uvicorn --factory interview_orchestrator.api.factory:app_from_environment`` works as well.

These processes do no background work: evaluations (and webhook deliveries) are the business of
``interview-orchestrator worker`` processes, or of the one ``serve --with-worker`` starts.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio
from fastapi import FastAPI

from ..container import Container
from ..errors import InvalidInputError
from ..settings import Settings
from .app import create_app

#: The settings ``serve`` validated, as JSON, for the processes uvicorn starts.
SETTINGS_VARIABLE: Final = "INTERVIEW_SERVICE_SETTINGS"


def settings_environment(settings: Settings) -> dict[str, str]:
    """The variables that make ``app_from_environment`` build ``settings`` (they may hold the
    database URL's password: the environment of one's own processes, as for
    ``INTERVIEW_DATABASE_URL``, never a command line)."""
    return {SETTINGS_VARIABLE: settings.model_dump_json()}


def container_from_environment(environ: Mapping[str, str] | None = None) -> Container:
    """The container of ``SETTINGS_VARIABLE`` if it is set, else of the configuration."""
    raw = (os.environ if environ is None else environ).get(SETTINGS_VARIABLE, "").strip()
    if not raw:
        return Container()
    try:
        given: dict[str, Any] = json.loads(raw)
    except ValueError:
        raise InvalidInputError(f"{SETTINGS_VARIABLE} is not JSON") from None
    return Container.from_settings(given)


def app_from_environment() -> FastAPI:
    """The service's app on a container of its own, shut down with the app (its listener
    thread stopped, its connections closed) when uvicorn stops the process."""
    container = container_from_environment()
    app = create_app(container)
    serve_app = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        try:
            async with serve_app(app) as state:
                yield state
        finally:
            await anyio.to_thread.run_sync(container.shutdown_resources)

    app.router.lifespan_context = lifespan
    return app


__all__ = [
    "SETTINGS_VARIABLE",
    "app_from_environment",
    "container_from_environment",
    "settings_environment",
]

"""What routes depend on: the container, the caller (a principal resolved from the bearer
token), a ``SessionManager`` scoped to the caller's tenant, and a bounded thread pool in
which the synchronous library runs, so that nothing blocks the event loop. Most take any
connection, so that WebSocket routes share them with the HTTP routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from anyio import to_thread
from fastapi import Depends, Request, WebSocket
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from ..access import Capability, Principal
from ..access_manager import AccessManager
from ..container import Container
from ..errors import PermissionDeniedError, SessionNotFoundError
from ..models import parse_session_id
from ..session_manager import SessionManager

T = TypeVar("T")

#: Tenants whose managers are kept at once (beyond that the cache starts again).
_MANAGERS_KEPT = 1024
_bearer = HTTPBearer(auto_error=False, description="An API key or a session link's token.")


def container_of(connection: HTTPConnection) -> Container:
    container: Container = connection.app.state.container
    return container


async def run_sync(connection: HTTPConnection, call: Callable[..., T], *args: Any) -> T:
    """Run a library call in a worker thread, at most ``service.thread_limit`` at once
    (``connection``: the request or WebSocket it serves)."""
    limiter: anyio.CapacityLimiter = connection.app.state.thread_limiter
    return await to_thread.run_sync(call, *args, limiter=limiter)


async def authenticate(connection: HTTPConnection, token: str | None) -> Principal:
    """Who ``token`` stands for (``AuthenticationError`` if no one), remembered on the
    connection for the log."""
    access: AccessManager = container_of(connection).access_manager()
    principal = await run_sync(connection, access.authenticate, token)
    connection.state.principal = principal
    return principal


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller: ``Authorization: Bearer <token>`` (401 without a valid one)."""
    token = credentials.credentials if credentials is not None else None
    return await authenticate(request, token)


def websocket_token(websocket: WebSocket) -> str | None:
    """A WebSocket's token: the ``token`` query parameter (browsers cannot set headers on a
    WebSocket), else ``Authorization: Bearer``."""
    given = websocket.query_params.get("token")
    if given:
        return given
    scheme, _, credentials = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


Caller = Annotated[Principal, Depends(current_principal)]


def allowed(principal: Principal, capability: Capability) -> None:
    """403 unless the caller's role grants ``capability``."""
    if not principal.may(capability):
        raise PermissionDeniedError(
            f"a {principal.role} {principal.kind} may not {capability.value.replace('_', ' ')}"
        )


def requires(capability: Capability) -> Callable[..., Any]:
    """A dependency: the caller, if its role grants ``capability`` (403 otherwise)."""

    async def check(principal: Caller) -> Principal:
        allowed(principal, capability)
        return principal

    return check


def manager_for(connection: HTTPConnection, principal: Principal) -> SessionManager:
    """A manager that sees only the caller's tenant. Endings it causes by itself (a turn
    budget spent, a time limit passed) are evaluated in the background: a request never waits
    for an evaluation. Managers hold no request's state, so one per tenant is kept and reused
    (building one re-reads the settings)."""
    state = connection.app.state
    managers: dict[str, SessionManager] | None = getattr(state, "tenant_managers", None)
    if managers is None:
        managers = state.tenant_managers = {}
    manager = managers.get(principal.tenant_id)
    if manager is None:
        manager = container_of(connection).session_manager(
            tenant_id=principal.tenant_id, evaluate="background"
        )
        if len(managers) >= _MANAGERS_KEPT:
            managers.clear()
        managers[principal.tenant_id] = manager
    return manager


def session_of(principal: Principal, session_id: str) -> str:
    """The session id in canonical form, if the caller may address it: a link only its own
    session (another is "not found", never "forbidden": it must not learn that it exists)."""
    sid = parse_session_id(session_id)
    if not principal.may_see(sid):
        raise SessionNotFoundError(sid)
    return sid


async def count_ai_request(request: Request, principal: Principal, kind: str) -> None:
    """Count a request that spends AI against the caller's limit (429 with ``Retry-After``
    when over it); counted in the database, so the limit holds across processes."""
    access: AccessManager = container_of(request).access_manager()
    await run_sync(request, access.count_request, principal, kind)

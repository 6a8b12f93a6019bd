"""Who may call which route: one table, ``(method, path template) → capability``.

Routes ask for their caller with ``Authorized``, which looks the matched route up in
``ROUTE_CAPABILITIES`` and checks the caller's role against ``access.GRANTS``; so the table is
what the service enforces, and the tests generate the role × route matrix from it. What a role
may do is ``GRANTS``; which session a link may address is ``deps.session_of``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final

from fastapi import Depends, Request

from ..access import Capability, Principal
from .deps import Caller, allowed

#: The prefix every route of the table is mounted under (the app's ``API_PREFIX``).
API_PREFIX: Final = "/api/v1"

#: ``(method, path template below API_PREFIX) → capability``; None: anyone, no token needed.
#: WebSocket routes are listed under the method ``WEBSOCKET``.
ROUTE_CAPABILITIES: Final[Mapping[tuple[str, str], Capability | None]] = MappingProxyType(
    {
        ("GET", "/healthz"): None,
        ("GET", "/readyz"): None,
        ("POST", "/sessions"): Capability.CREATE_SESSION,
        ("GET", "/sessions"): Capability.LIST_SESSIONS,
        ("GET", "/sessions/{session_id}"): Capability.READ_SESSION,
        ("POST", "/sessions/{session_id}/start"): Capability.CONDUCT,
        ("POST", "/sessions/{session_id}/pause"): Capability.CONDUCT,
        ("POST", "/sessions/{session_id}/resume"): Capability.CONDUCT,
        ("POST", "/sessions/{session_id}/end"): Capability.CONDUCT,
        ("POST", "/sessions/{session_id}/messages"): Capability.CONDUCT,
        ("POST", "/sessions/{session_id}/messages/retry"): Capability.CONDUCT,
        ("GET", "/sessions/{session_id}/messages"): Capability.READ_TRANSCRIPT,
        ("GET", "/sessions/{session_id}/evaluation"): Capability.READ_EVALUATION,
        ("POST", "/sessions/{session_id}/evaluation/retry"): Capability.RETRY_EVALUATION,
        ("POST", "/sessions/{session_id}/links"): Capability.MANAGE_LINKS,
        ("DELETE", "/links/{link_id}"): Capability.MANAGE_LINKS,
        ("POST", "/webhooks"): Capability.MANAGE_WEBHOOKS,
        ("GET", "/webhooks"): Capability.MANAGE_WEBHOOKS,
        ("DELETE", "/webhooks/{webhook_id}"): Capability.MANAGE_WEBHOOKS,
        ("GET", "/webhooks/{webhook_id}/deliveries"): Capability.MANAGE_WEBHOOKS,
        ("GET", "/stats"): Capability.READ_STATS,
        ("GET", "/sessions/{session_id}/events"): Capability.READ_EVENTS,
        ("WEBSOCKET", "/sessions/{session_id}/events"): Capability.READ_EVENTS,
        ("GET", "/templates"): Capability.READ_CATALOG,
        ("GET", "/templates/{name}"): Capability.READ_CATALOG,
        ("GET", "/personas"): Capability.READ_CATALOG,
    }
)


def capability_for(method: str, route_path: str) -> Capability:
    """The capability a guarded route needs (``route_path`` as mounted, with the prefix).
    A route missing from the table, or listed as public, is a programming error: it fails
    closed (500) rather than let anyone in."""
    template = route_path.removeprefix(API_PREFIX)
    capability = ROUTE_CAPABILITIES.get((method.upper(), template))
    if capability is None:
        raise LookupError(f"route {method} {route_path} has no capability in ROUTE_CAPABILITIES")
    return capability


async def authorized(request: Request, principal: Caller) -> Principal:
    """The caller, if its role grants what the matched route needs (403 otherwise)."""
    route = request.scope.get("route")
    allowed(principal, capability_for(request.method, getattr(route, "path", request.url.path)))
    return principal


#: A route's caller, checked against the table (401 without a valid token, 403 without the
#: capability).
Authorized = Annotated[Principal, Depends(authorized)]

"""The service's routers, one module per resource; ``ROUTERS`` is what the app mounts."""

from fastapi import APIRouter

from . import evaluations, events, health, links, messages, sessions, stats, templates, webhooks

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    sessions.router,
    messages.router,
    evaluations.router,
    links.router,
    webhooks.router,
    stats.router,
    events.router,
    templates.router,
)

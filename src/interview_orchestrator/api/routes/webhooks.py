"""Webhooks (admins of a tenant: ``MANAGE_WEBHOOKS`` in the route table): register an endpoint,
list, delete, read its deliveries.

The signing secret is shown once, in the answer to the registration: it has to be stored to
sign (encrypted at rest when keys are configured), but listings show only a hint of it, so
that it does not travel with every read. A tenant that lost it deletes the webhook and
registers it again. Another tenant's webhook is "not found" (404), never "forbidden".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from ...models import EventType
from ...ports import DeliveryStatus, Webhook, WebhookDelivery
from ...serialization import UtcDatetime
from ...webhooks import WebhookService, message_id, secret_hint
from ..deps import container_of, run_sync
from ..permissions import Authorized

router = APIRouter(tags=["webhooks"])


class CreateWebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        description="Where to POST the events: an absolute http(s) URL without credentials "
        "(verify the webhook-signature header instead)."
    )
    events: list[str] = Field(
        default_factory=list,
        description="The event types to send (session.started, session.paused, "
        "session.resumed, session.completed, message.created, phase.changed, "
        "evaluation.updated); empty: all of them.",
    )


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[EventType] = Field(description="The event types it hears; empty: all.")
    secret_hint: str = Field(description="The start of the signing secret, to tell it apart.")
    created_at: UtcDatetime

    @classmethod
    def from_domain(cls, webhook: Webhook) -> WebhookOut:
        return cls(
            id=webhook.id,
            url=webhook.url,
            events=list(webhook.event_types),
            secret_hint=secret_hint(webhook.secret),
            created_at=webhook.created_at,
        )


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(
        description="The signing secret (Standard Webhooks, whsec_...), shown only here: "
        "verify each delivery's webhook-signature with it."
    )


class WebhookPage(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: int
    message_id: str = Field(
        description="The webhook-id header: the same on every attempt (de-duplicate by it)."
    )
    session_id: str
    event_id: int = Field(description="The event's cursor within its session.")
    event_type: EventType
    status: DeliveryStatus = Field(description="pending, delivered or failed.")
    attempts: int
    next_attempt_at: UtcDatetime | None = Field(
        description="When the next attempt is due; null once delivered or failed."
    )
    created_at: UtcDatetime
    delivered_at: UtcDatetime | None
    last_status_code: int | None = Field(description="The endpoint's last HTTP status.")
    last_error: str | None = Field(description="Why the last attempt failed.")

    @classmethod
    def from_domain(cls, delivery: WebhookDelivery) -> DeliveryOut:
        pending = delivery.status is DeliveryStatus.PENDING
        return cls(
            id=delivery.id,
            message_id=message_id(delivery.event_id),
            session_id=delivery.session_id,
            event_id=delivery.event_seq,
            event_type=delivery.event_type,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if pending else None,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
        )


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last page."
    )


def _service(request: Request) -> WebhookService:
    service: WebhookService = container_of(request).webhook_service()
    return service


@router.post(
    "/webhooks",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreatedOut,
    summary="Register an endpoint for the tenant's events (its secret is shown only here)",
)
async def create_webhook(
    request: Request, body: CreateWebhookIn, principal: Authorized
) -> WebhookCreatedOut:
    service = _service(request)
    webhook = await run_sync(
        request, lambda: service.register(principal.tenant_id, body.url, body.events)
    )
    return WebhookCreatedOut(**WebhookOut.from_domain(webhook).model_dump(), secret=webhook.secret)


@router.get("/webhooks", response_model=WebhookPage, summary="List the tenant's webhooks")
async def list_webhooks(request: Request, principal: Authorized) -> WebhookPage:
    service = _service(request)
    webhooks = await run_sync(request, service.list_webhooks, principal.tenant_id)
    return WebhookPage(items=[WebhookOut.from_domain(w) for w in webhooks])


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a webhook with its secret and deliveries",
)
async def delete_webhook(request: Request, webhook_id: str, principal: Authorized) -> Response:
    service = _service(request)
    await run_sync(request, service.delete, principal.tenant_id, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    summary="A webhook's deliveries, newest first: pending, delivered or failed, with the "
    "last status and error",
)
async def list_deliveries(
    request: Request,
    webhook_id: str,
    principal: Authorized,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many.")] = 50,
    cursor: Annotated[
        int | None,
        Query(ge=1, le=2**63 - 1, description="The `next_cursor` of the previous page."),
    ] = None,
) -> DeliveryPage:
    service = _service(request)
    page = await run_sync(
        request,
        lambda: service.deliveries(principal.tenant_id, webhook_id, limit=limit + 1, before=cursor),
    )
    items = page[:limit]
    more = len(page) > limit
    return DeliveryPage(
        items=[DeliveryOut.from_domain(d) for d in items],
        next_cursor=str(items[-1].id) if more and items else None,
    )

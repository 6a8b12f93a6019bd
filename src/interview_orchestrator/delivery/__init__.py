"""Adapters that deliver webhooks: ``HttpWebhookSender`` (httpx, signed per Standard Webhooks)."""

from .http_sender import HttpWebhookSender, open_http_webhook_sender

__all__ = ["HttpWebhookSender", "open_http_webhook_sender"]

"""The HTTP and WebSocket service: a thin layer over ``SessionManager`` (FastAPI)."""

from .app import create_app

__all__ = ["create_app"]

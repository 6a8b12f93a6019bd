"""Communication adapters: which channels are open per session, and event delivery."""

from .in_process import InProcessCommunicationManager

__all__ = ["InProcessCommunicationManager"]

"""The conversation itself. ``bot/`` reaches it through ``route`` only."""

from .flow import route

__all__ = ["route"]

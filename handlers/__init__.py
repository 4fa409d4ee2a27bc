"""The conversation itself. ``bot/`` reaches it through this package only: ``route``
(what happens to a message) and ``Understanding`` (free text -> intents, owned by
the app)."""

from .flow import route
from .intents import Understanding

__all__ = ["Understanding", "route"]

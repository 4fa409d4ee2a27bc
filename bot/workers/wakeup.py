"""Events that wake the workers, and where request handlers find them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Wakeup:
    """Events that wake the workers: set ``inbox`` after storing a message,
    ``outbox`` after queueing one."""

    inbox: asyncio.Event = field(default_factory=asyncio.Event)
    outbox: asyncio.Event = field(default_factory=asyncio.Event)


# Where channel request handlers find the Wakeup: ``request.app[WAKEUP].inbox.set()``.
WAKEUP = web.AppKey("casecheck_wakeup", Wakeup)

"""Events that wake the workers, and where request handlers find them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

# aiohttp.web's own name for it: the workers' process, which serves nothing, does not
# import aiohttp.web (2.4 MB of each process).
from aiohttp.helpers import AppKey


@dataclass
class Wakeup:
    """Events that wake the workers: set ``inbox`` after storing a message,
    ``outbox`` after queueing one."""

    inbox: asyncio.Event = field(default_factory=asyncio.Event)
    outbox: asyncio.Event = field(default_factory=asyncio.Event)


# Where channel request handlers find the Wakeup: ``request.app[WAKEUP].inbox.set()``.
WAKEUP = AppKey("casecheck_wakeup", Wakeup)

"""Telegram flood limits, applied at the moment a message is sent.

Telegram allows about 30 messages a second overall, one a second per private
chat and 20 a minute per group. The outbox worker's token bucket already
meters how many rows are claimed; this pacer spaces the actual requests:
a chat waits for its own gap first, then takes the next slot of an evenly
spaced global schedule, so neither a burst nor a chat's wait can put more
than ``rate`` sends into one second. (PTB's ``AIORateLimiter`` lets a burst
of a whole second's worth through at once and has no per-private-chat limit.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

PRIVATE_GAP = 1.0  # seconds between two messages to one person
GROUP_GAP = 3.0  # 20 a minute in a group (negative chat ids)
_PURGE_AT = 10_000  # forget idle chats once this many are remembered


class Pacer:
    def __init__(self, rate_per_second: float, *, private_gap: float = PRIVATE_GAP,
                 group_gap: float = GROUP_GAP,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.gap = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self.private_gap = private_gap
        self.group_gap = group_gap
        self._clock = clock
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}

    def _chat_gap(self, chat_id: int) -> float:
        return self.private_gap if chat_id > 0 else self.group_gap

    @asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        """Wait until ``chat_id`` may get a message; the chat's next gap counts from
        the moment the request is answered, so arrivals are at least a gap apart."""
        gap = self._chat_gap(chat_id)
        now = self._clock()
        start = max(now, self._next_chat.get(chat_id, 0.0))
        self._next_chat[chat_id] = start + gap  # reserved: a concurrent send waits behind
        if start > now:
            await asyncio.sleep(start - now)
        now = self._clock()
        at = max(now, self._next_global)
        self._next_global = at + self.gap
        if at > now:
            await asyncio.sleep(at - now)
        try:
            yield
        finally:
            done = self._clock()
            self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), done + gap)
            if len(self._next_chat) > _PURGE_AT:
                self._purge(done)

    def _purge(self, now: float) -> None:
        self._next_chat = {chat: at for chat, at in self._next_chat.items() if at > now}

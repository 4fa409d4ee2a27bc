"""Telegram flood limits, applied at the moment a message is sent.

Telegram allows about 30 messages a second overall, one a second per private
chat and 20 a minute per group. The outbox worker's token bucket already
meters how many rows are claimed; this pacer spaces the actual requests:

- per chat: the next message to a chat starts a full gap after the previous
  one was *answered*, so two arrivals at Telegram are at least a gap apart;
- overall: requests start evenly spaced (``1/rate``), and a request starts
  only when fewer than ``rate`` others were in flight or answered in the last
  second, so no one-second window at Telegram ever holds more than ``rate``.

(PTB's ``AIORateLimiter`` lets a whole second's worth through at once and has
no per-private-chat limit.)
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

PRIVATE_GAP = 1.0  # seconds between two messages to one person
GROUP_GAP = 3.0  # 20 a minute in a group (negative chat ids)
WINDOW = 1.0  # the overall limit is per second
_POLL = 0.005  # how often a full window is looked at again
_PURGE_AT = 10_000  # forget idle chats once this many are remembered


class Pacer:
    def __init__(self, rate_per_second: float, *, private_gap: float = PRIVATE_GAP,
                 group_gap: float = GROUP_GAP,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.gap = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self.per_window = max(1, math.floor(rate_per_second)) if rate_per_second > 0 else 0
        self.private_gap = private_gap
        self.group_gap = group_gap
        self._clock = clock
        self._next_global = 0.0
        self._in_flight = 0
        self._answered: collections.deque[float] = collections.deque()  # last second's
        self._next_chat: dict[int, float] = {}  # when each chat may get its next message
        self._chat_locks: dict[int, asyncio.Lock] = {}

    def _chat_gap(self, chat_id: int) -> float:
        return self.private_gap if chat_id > 0 else self.group_gap

    @asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        """Wait until a message may go to ``chat_id``; send it inside the block.

        One chat's messages go one at a time, in order (its lock is first come,
        first served), each a full gap after the previous one was answered, and
        the overall spacing is claimed at the moment a request really starts, so
        a late wake-up (a loaded machine, a slow answer) never squeezes two together.
        """
        gap = self._chat_gap(chat_id)
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            while (wait := self._next_chat.get(chat_id, 0.0) - self._clock()) > 0:
                await asyncio.sleep(wait)
            await self._global_slot()
            try:
                yield
            finally:
                done = self._clock()
                self._in_flight -= 1
                if self.per_window:
                    self._answered.append(done)
                self._next_chat[chat_id] = done + gap
        if len(self._next_chat) > _PURGE_AT:
            self._purge(self._clock())

    async def _global_slot(self) -> None:
        while (wait := self._next_global - self._clock()) > 0:
            await asyncio.sleep(wait)
        self._next_global = self._clock() + self.gap  # claimed now: no await since the check
        while self.per_window:
            now = self._clock()
            while self._answered and self._answered[0] <= now - WINDOW:
                self._answered.popleft()
            if self._in_flight + len(self._answered) < self.per_window:
                break
            wait = self._answered[0] + WINDOW - now if self._answered else _POLL
            await asyncio.sleep(max(wait, _POLL))
        self._in_flight += 1

    def _purge(self, now: float) -> None:
        self._next_chat = {chat: at for chat, at in self._next_chat.items() if at > now}
        self._chat_locks = {chat: lock for chat, lock in self._chat_locks.items()
                            if lock.locked() or chat in self._next_chat}

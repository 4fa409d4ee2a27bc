"""One pacer for every send rate: replies per channel, Telegram's flood limits, campaigns.

A ``Pacer`` keeps a schedule of start slots ``1 / rate`` apart and a sliding
window that never holds more than ``cap`` starts (``round(rate)`` per
``cap / rate`` seconds: one second for a whole rate). Three ways to use it:

- **Slots** (campaigns): ``reserve()`` takes the next slot and says how long to
  wait for it; ``sent()`` when the send really starts; ``hold(s)`` when the
  provider asks everyone to slow down. Each reservation moves the schedule one
  interval on, whatever a send took (no drift); a sender that fell behind
  catches up, as far as the window allows; more than ``slack`` behind, the
  schedule restarts from now. So n sends take at least (n - 1) / rate seconds.
- **Batches** (the outbox worker): ``available()`` slots may be taken at once
  (``take()`` each), at most ``burst`` seconds' worth after a pause;
  ``wait_time()`` until the next one. ``grant(n)`` takes what it may of ``n``
  and ``ungrant`` returns the unused ones (``take_up_to`` and ``give_back``, as
  ``bot/shared_rates.py``'s pacer for several instances has them); ``dump`` and
  ``load`` carry the schedule between instances.
- **Per chat** (Telegram): ``async with pacer.slot(chat_id)`` sends one
  message to a chat at a time, each ``chat_gap`` (``group_gap`` for a group,
  a negative id) after the previous one was *answered*; the window counts a
  request from its start until a window after its answer, so no one-second
  window at the provider holds more than ``cap``, whatever the latency. Here
  the overall spacing is claimed when a request really starts (no catch-up),
  so a late wake-up never squeezes two together.

A rate of 0 or less means no limit.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

CHAT_GAP = 1.0  # Telegram: seconds between two messages to one person
GROUP_GAP = 3.0  # Telegram: 20 a minute in a group (negative chat ids)
_POLL = 0.005  # how often a window full of requests in flight is looked at again
_PURGE_AT = 10_000  # forget idle chats once this many are remembered
_EPSILON = 1e-9


class Pacer:
    def __init__(self, rate: float, *, burst: float = 0.0, slack: float = 1.0,
                 chat_gap: float = CHAT_GAP, group_gap: float = GROUP_GAP,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limited = rate > 0
        self.interval = 1.0 / rate if self.limited else 0.0
        self.cap = max(1, round(rate)) if self.limited else 0
        self.window = self.cap / rate if self.limited else 0.0
        self.burst = burst
        self.slack = max(self.interval, slack, burst)
        self.chat_gap = chat_gap
        self.group_gap = group_gap
        self._clock = clock
        self._next: float | None = None  # the next free slot
        self._recent: deque[float] = deque(maxlen=self.cap or 1)  # last starts (or answers)
        self._in_flight = 0  # per-chat requests started and not answered
        self._next_chat: dict[int, float] = {}  # when each chat may get its next message
        self._chat_locks: dict[int, asyncio.Lock] = {}

    # -- slots -------------------------------------------------------------------------
    def _schedule(self, now: float) -> float:
        """The next free slot, restarted if the schedule fell too far behind."""
        if self._next is None or self._next < now - self.slack:
            self._next = now - max(0.0, self.burst - self.interval)
        return self._next

    def _in_window(self, now: float) -> int:
        """Starts (or answers) in the window ending now; older ones are forgotten (they
        cannot hold back a start at ``now`` or later)."""
        recent = self._recent
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return len(recent)

    def _earliest(self, now: float) -> float:
        """When the next slot may start, by the schedule and the window."""
        at = self._schedule(now)
        self._in_window(now)
        if self.limited and len(self._recent) == self.cap:
            at = max(at, self._recent[0] + self.window)
        return at

    def reserve(self) -> float:
        """Take the next slot; return the seconds to wait for it. Call ``sent`` when
        the send really starts (a busy loop may start it late)."""
        if not self.limited:
            return 0.0
        now = self._clock()
        at = self._earliest(now)
        self._next = at + self.interval
        return max(0.0, at - now)

    def sent(self) -> None:
        """The send of the slot just reserved starts now (the window counts real
        starts, so a late loop cannot burst past it)."""
        if self.limited:
            self._recent.append(self._clock())

    def hold(self, seconds: float) -> None:
        """The provider asked us to slow down: no slot before ``seconds`` from now."""
        until = self._clock() + seconds
        self._next = until if self._next is None else max(self._next, until)

    # -- batches -----------------------------------------------------------------------
    def available(self) -> int:
        """How many slots are due now (each to be taken with ``take``)."""
        if not self.limited:
            return 1_000_000
        now = self._clock()
        at = self._schedule(now)
        if at > now:
            return 0
        due = math.floor((now - at) / self.interval + _EPSILON) + 1
        room = self.cap - self._in_window(now)
        return max(0, min(due, room))

    def take(self) -> None:
        """Take one slot that ``available`` counted."""
        self.reserve()
        self.sent()

    def grant(self, want: int) -> int:
        """Take as many of ``want`` slots as are due now; how many."""
        granted = min(want, self.available())
        if granted > 0 and self.limited:
            # ``granted`` takes at once: ``available`` left room in the window for
            # all of them, so each would only move the schedule one interval on.
            now = self._clock()
            self._next = self._earliest(now) + granted * self.interval
            self._recent.extend([now] * granted)
        return granted

    def ungrant(self, unused: int) -> None:
        """Return slots ``grant`` took that were not used: as if never taken."""
        if not self.limited or unused <= 0:
            return
        for _ in range(min(unused, len(self._recent))):
            self._recent.pop()
        if self._next is not None:
            self._next -= unused * self.interval

    async def take_up_to(self, want: int) -> int:
        """``grant``, as ``bot.shared_rates.SharedPacer`` does it (which must await)."""
        return self.grant(want)

    async def give_back(self, unused: int) -> None:
        self.ungrant(unused)

    def dump(self) -> str:
        """The schedule and the window, as text (wall-clock times: see ``load``)."""
        runs: list[list[float]] = []
        for at in self._recent:  # starts taken at one moment are one entry
            if runs and runs[-1][0] == at:
                runs[-1][1] += 1
            else:
                runs.append([at, 1])
        return json.dumps({"next": self._next, "recent": runs})

    def load(self, text: str | None) -> None:
        """Take up a schedule ``dump`` wrote (a pacer on the same clock and rate)."""
        state = json.loads(text) if text else {}
        self._next = state.get("next")
        self._recent.clear()
        for at, count in state.get("recent", ()):
            self._recent.extend([at] * int(count))

    def wait_time(self) -> float:
        """Seconds until the next slot."""
        if not self.limited:
            return 0.0
        now = self._clock()
        return max(0.0, self._earliest(now) - now)

    # -- per chat ----------------------------------------------------------------------
    @asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        """Wait until a message may go to ``chat_id``; send it inside the block.

        One chat's messages go one at a time, in order (its lock is first come,
        first served), each a full gap after the previous one was answered.
        """
        gap = self.chat_gap if chat_id > 0 else self.group_gap
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            while (wait := self._next_chat.get(chat_id, 0.0) - self._clock()) > 0:
                await asyncio.sleep(wait)
            await self._start_now()
            try:
                yield
            finally:
                done = self._clock()
                if self.limited:
                    self._in_flight -= 1
                    self._recent.append(done)
                self._next_chat[chat_id] = done + gap
        if len(self._next_chat) > _PURGE_AT:
            self._purge(self._clock())

    async def _start_now(self) -> None:
        """Wait for the overall spacing and for room in the window, then start."""
        if not self.limited:
            return
        while (wait := (self._next or 0.0) - self._clock()) > 0:
            await asyncio.sleep(wait)
        self._next = self._clock() + self.interval  # claimed now: no await since the check
        while True:
            now = self._clock()
            if self._in_flight + self._in_window(now) < self.cap:
                break
            wait = self._recent[0] + self.window - now if self._recent else _POLL
            await asyncio.sleep(max(wait, _POLL))
        self._in_flight += 1

    def _purge(self, now: float) -> None:
        self._next_chat = {chat: at for chat, at in self._next_chat.items() if at > now}
        self._chat_locks = {chat: lock for chat, lock in self._chat_locks.items()
                            if lock.locked() or chat in self._next_chat}

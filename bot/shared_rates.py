"""Send rates for the deployment as a whole, not per instance (issue 13).

Two instances on one PostgreSQL database each pacing their own outbox would send
replies at twice a channel's configured rate. ``SharedPacer`` keeps the pacer's
schedule in the database instead (``bot/storage/send_rates.py``): each batch of
slots is taken in one short transaction that the other instances wait for, with the
same rules as ``bot.pacing.Pacer`` (the window never holds more than the rate's
worth of starts, ``burst`` seconds' worth after a pause), on the wall clock that
the instances share. The same holds for several workers' processes on one SQLite
database (``[server] workers``); one alone keeps its pacer in memory, as cheap as
ever. Campaigns need none of this: one instance, the leader, sends them
(``bot/leadership.py``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from .pacing import Pacer
from .storage import send_rates

if TYPE_CHECKING:
    from .app import App

Change = Callable[[str | None], tuple[str, int]]


class SharedPacer:
    """The batch side of ``Pacer`` (``take_up_to``, ``give_back``, ``wait_time``) on a
    schedule stored in the database."""

    def __init__(self, rate: float, update: Callable[[Change], Awaitable[int]], *,
                 burst: float = 0.0, clock: Callable[[], float] = time.time) -> None:
        self.rate = rate
        self.burst = burst
        self._update = update
        self._clock = clock
        self._wait = 0.0

    def _pacer(self, state: str | None, now: float) -> Pacer:
        pacer = Pacer(self.rate, burst=self.burst, clock=lambda: now)
        pacer.load(state)
        return pacer

    async def take_up_to(self, want: int) -> int:
        """Take as many of ``want`` slots as the deployment's schedule has due now."""
        if want <= 0:
            return 0
        now = self._clock()

        def take(state: str | None) -> tuple[str, int]:
            pacer = self._pacer(state, now)
            granted = pacer.grant(want)
            self._wait = pacer.wait_time() if granted == 0 else 0.0
            return pacer.dump(), granted

        return await self._update(take)

    async def give_back(self, unused: int) -> None:
        """Return slots taken but not used (fewer rows were due than slots taken)."""
        if unused <= 0:
            return
        now = self._clock()

        def back(state: str | None) -> tuple[str, int]:
            pacer = self._pacer(state, now)
            pacer.ungrant(unused)
            return pacer.dump(), unused

        await self._update(back)

    def wait_time(self) -> float:
        """Seconds until the next slot, as the last ``take_up_to`` that got none saw it."""
        return self._wait


def outbox_pacer(app: App, channel: str) -> Pacer | SharedPacer:
    """The pacer of ``channel``'s replies: shared by the instances on PostgreSQL and by
    the workers' processes when there are several (``[server] workers``), this process's
    own otherwise. A second's worth may go at once after a pause."""
    rate = app.channels.rate(channel, app.config)
    alone = app.db.dialect != "postgresql" and app.config.server.workers <= 1
    if alone or rate <= 0:
        return Pacer(rate, burst=1.0)
    return SharedPacer(rate, partial(send_rates.update, app.db, f"outbox:{channel}"),
                       burst=1.0)

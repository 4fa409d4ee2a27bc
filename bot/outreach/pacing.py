"""Pacing by absolute time slots (quiet hours are parsed with the config: bot/hours.py)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class Pacer:
    """Send slot k at ``start + k / rate``, and never more than ``rate`` sends in any
    one second.

    Each reservation moves the next slot one interval on, whatever a send took, so
    there is no sleep-per-message drift. A sender that fell behind (a busy event
    loop, a slow provider) catches up, but only as far as the one-second window
    allows; one more than ``slack`` behind restarts the schedule from now. So n
    sends take at least (n - 1) / rate seconds, and no second holds more than
    ``rate`` of them (strictly: ``round(rate)`` sends per ``round(rate) / rate``
    seconds, which is one second for a whole rate).
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 slack: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.slack = max(self.interval, slack)
        self.cap = max(1, round(rate))
        self.window = self.cap / rate
        self._recent: deque[float] = deque(maxlen=self.cap)
        self._clock = clock
        self._next: float | None = None

    def reserve(self) -> float:
        """Take the next slot; return the seconds to wait for it. Call ``sent`` when
        the send really starts (a busy loop may start it late)."""
        now = self._clock()
        if self._next is None or self._next < now - self.slack:
            self._next = now
        at = self._next
        if len(self._recent) == self.cap:
            at = max(at, self._recent[0] + self.window)
        self._next = at + self.interval
        return max(0.0, at - now)

    def sent(self) -> None:
        """The send of the slot just reserved starts now (the one-second window counts
        real starts, so a late loop cannot burst past it)."""
        self._recent.append(self._clock())

    def hold(self, seconds: float) -> None:
        """The provider asked us to slow down: no slot before ``seconds`` from now."""
        until = self._clock() + seconds
        self._next = until if self._next is None else max(self._next, until)


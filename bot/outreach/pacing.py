"""Pacing by absolute time slots, and quiet hours in the recipients' local time."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..config import ConfigError


class Pacer:
    """Send slot k at ``start + k / rate``.

    Each reservation moves the next slot one interval on, whatever a send took, so
    there is no sleep-per-message drift. A sender up to ``slack`` behind catches
    up; one further behind (a slow provider, a full in-flight window) does not
    burst: the schedule restarts from now. Over any run, n sends take at least
    (n - 1) / rate seconds, so the achieved rate never exceeds the configured one.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 slack: float = 0.005) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        # How far behind the schedule may be and still catch up (a busy event loop
        # at 1,000/s); later than that, the schedule restarts from now.
        self.slack = max(self.interval, slack)
        self._clock = clock
        self._next: float | None = None

    def reserve(self) -> float:
        """Take the next slot; return the seconds to wait for it."""
        now = self._clock()
        if self._next is None or self._next < now - self.slack:
            self._next = now
        at = self._next
        self._next = at + self.interval
        return max(0.0, at - now)

    def hold(self, seconds: float) -> None:
        """The provider asked us to slow down: no slot before ``seconds`` from now."""
        until = self._clock() + seconds
        self._next = until if self._next is None else max(self._next, until)


def _hhmm(value: str, key: str) -> dt.time:
    try:
        hours, minutes = value.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"[outreach] {key}: expected HH:MM, got {value!r}") from None


class QuietHours:
    """Campaign messages go out only between ``start`` and ``end`` local time."""

    def __init__(self, timezone: str, start: str, end: str) -> None:
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"[outreach] timezone: unknown time zone {timezone!r}") from None
        self.start = _hhmm(start, "quiet_start")
        self.end = _hhmm(end, "quiet_end")
        if self.start == self.end:
            raise ConfigError("[outreach] quiet_start and quiet_end must differ")

    def allowed(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.tz).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # a window across midnight

    def opens_at(self, moment: dt.datetime) -> dt.datetime:
        """The next moment (UTC) sending is allowed (``moment`` itself if it is)."""
        if self.allowed(moment):
            return moment
        local = moment.astimezone(self.tz)
        day = local.date()
        for offset in (0, 1):
            opening = dt.datetime.combine(day + dt.timedelta(days=offset), self.start,
                                          tzinfo=self.tz)
            if opening > local:
                return opening.astimezone(dt.UTC)
        return moment  # unreachable: an opening within a day always exists

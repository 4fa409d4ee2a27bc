"""Time settings parsed once at start: time zones, office hours, campaign quiet hours.

Each parser raises ``ConfigError`` naming the key, so a bad value stops start-up
instead of the first handoff or campaign that reads it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config_error import ConfigError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^\s*([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+"
                    r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def zone(name: str, key: str) -> ZoneInfo:
    """The IANA time zone ``name`` ('America/New_York'); ``key`` names the setting."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}: unknown time zone {name!r}") from None


@dataclass(frozen=True)
class OfficeHours:
    days: frozenset[int]  # 0 = Monday
    opens: dt.time
    closes: dt.time
    tz: ZoneInfo

    @classmethod
    def parse(cls, text: str, tz: ZoneInfo) -> OfficeHours:
        """Parse ``[organization] office_hours`` ('Mon-Fri 9:00-17:00')."""
        m = _HOURS.match(text)
        first = _DAYS.index(m[1].lower()) if m and m[1].lower() in _DAYS else -1
        last = _DAYS.index(m[2].lower()) if m and m[2] and m[2].lower() in _DAYS else first
        if m is None or first < 0 or last < 0:
            raise ConfigError(f"[organization] office_hours: expected 'Mon-Fri 9:00-17:00', "
                              f"got {text!r}")
        days = frozenset(range(first, last + 1) if first <= last
                         else [*range(first, 7), *range(0, last + 1)])
        try:
            opens, closes = dt.time(int(m[3]), int(m[4])), dt.time(int(m[5]), int(m[6]))
        except ValueError:
            raise ConfigError(f"[organization] office_hours: no such time in {text!r}") from None
        return cls(days, opens, closes, tz)

    def next_opening(self, now: dt.datetime) -> dt.datetime | None:
        """None while the office is open; otherwise when it opens next (office time)."""
        local = now.astimezone(self.tz)
        if local.weekday() in self.days and self.opens <= local.time() < self.closes:
            return None
        for ahead in range(8):
            day = local.date() + dt.timedelta(days=ahead)
            opening = dt.datetime.combine(day, self.opens, tzinfo=self.tz)
            if day.weekday() in self.days and opening > local:
                return opening
        raise ValueError("[organization] office_hours: no opening day")


def _hhmm(value: str, key: str) -> dt.time:
    try:
        hours, minutes = value.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"[outreach] {key}: expected HH:MM, got {value!r}") from None


class QuietHours:
    """Campaign messages go out only between ``start`` and ``end`` local time."""

    def __init__(self, timezone: str, start: str, end: str) -> None:
        self.tz = zone(timezone, "[outreach] timezone")
        self.start = _hhmm(start, "quiet_start")
        self.end = _hhmm(end, "quiet_end")
        if self.start == self.end:
            raise ConfigError("[outreach] quiet_start and quiet_end must differ")

    def zone(self, name: str | None) -> dt.tzinfo:
        """The named zone (a recipient's own), or the configured one."""
        if not name:
            return self.tz
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return self.tz

    def allowed(self, moment: dt.datetime, zone: str | None = None) -> bool:
        """May a campaign message go now, in ``zone`` (default: [outreach] timezone)?"""
        local = moment.astimezone(self.zone(zone)).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # a window across midnight

    def opens_at(self, moment: dt.datetime, zone: str | None = None) -> dt.datetime:
        """The next moment (UTC) sending is allowed (``moment`` itself if it is)."""
        if self.allowed(moment, zone):
            return moment
        tz = self.zone(zone)
        local = moment.astimezone(tz)
        day = local.date()
        for offset in (0, 1):
            opening = dt.datetime.combine(day + dt.timedelta(days=offset), self.start,
                                          tzinfo=tz)
            if opening > local:
                return opening.astimezone(dt.UTC)
        return moment  # unreachable: an opening within a day always exists

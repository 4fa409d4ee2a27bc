"""Quiet hours for campaigns, in the recipients' local time (pacing: ``bot/pacing``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..config import ConfigError


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

"""Office hours and the texts of a live handoff to staff.

While staff hold an escalation, the person's messages go to the staff thread
(``handlers/handoff.py`` decides which, as one of the dialogue's
interceptors). Outside office hours the person is told once per escalation
when to expect an answer; a menu request is told the menu is paused; when
staff resolve the escalation the person is told the bot answers again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time

from .config import Config
from .i18n import Translator

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^\s*([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+"
                    r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def paused_menu_text(translator: Translator, locale: str) -> str:
    """The answer to a menu request while a lawyer holds the conversation."""
    return translator.gettext(locale, "A lawyer is answering you here now, so the menu is "
                              "paused. We passed your message on.")


@dataclass(frozen=True)
class OfficeHours:
    days: frozenset[int]  # 0 = Monday
    opens: dt.time
    closes: dt.time
    tz: ZoneInfo

    @classmethod
    def from_config(cls, config: Config) -> OfficeHours:
        """Parse ``[organization] office_hours`` ('Mon-Fri 9:00-17:00'); ValueError names it."""
        text = config.organization.office_hours
        m = _HOURS.match(text)
        first = _DAYS.index(m[1].lower()) if m and m[1].lower() in _DAYS else -1
        last = _DAYS.index(m[2].lower()) if m and m[2] and m[2].lower() in _DAYS else first
        if m is None or first < 0 or last < 0:
            raise ValueError(f"[organization] office_hours: expected 'Mon-Fri 9:00-17:00', "
                             f"got {text!r}")
        days = frozenset(range(first, last + 1) if first <= last
                         else [*range(first, 7), *range(0, last + 1)])
        opens, closes = dt.time(int(m[3]), int(m[4])), dt.time(int(m[5]), int(m[6]))
        return cls(days, opens, closes, ZoneInfo(config.organization.timezone))

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


def after_hours_text(translator: Translator, config: Config, locale: str,
                     now: dt.datetime) -> str | None:
    """What to tell a person writing while the office is closed (None when open)."""
    opening = OfficeHours.from_config(config).next_opening(now)
    if opening is None:
        return None
    return translator.gettext(
        locale, "Our office is closed now. A lawyer will answer after we open on {day} at {time}.",
        day=format_datetime(opening, "EEEE", tzinfo=opening.tzinfo, locale=locale),
        time=format_time(opening, "short", tzinfo=opening.tzinfo, locale=locale))


def closing_text(translator: Translator, config: Config, locale: str) -> str:
    """Sent when staff resolve an escalation: the bot answers the person again."""
    return translator.gettext(
        locale, "Our lawyer has closed this chat. The automatic helper will answer your "
        "messages again. To reach us, call {phone}.", phone=config.organization.phone)

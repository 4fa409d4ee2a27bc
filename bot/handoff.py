"""Office hours and the texts of a live handoff to staff.

While staff hold an escalation, the person's messages go to the staff thread
(``handlers/handoff.py`` decides which, as one of the dialogue's
interceptors). Outside office hours the person is told once per escalation
when to expect an answer; a menu request is told the menu is paused; when
staff resolve the escalation the person is told the bot answers again
(office hours: ``bot/hours.py``).
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_time

from .config import Config
from .i18n import Translator, cldr_locale
from .local_time import weekday


def paused_menu_text(translator: Translator, locale: str) -> str:
    """The answer to a menu request while a lawyer holds the conversation."""
    return translator.gettext(locale, "A lawyer is answering you here now, so the menu is "
                              "paused. We passed your message on.")


def after_hours_text(translator: Translator, config: Config, locale: str,
                     now: dt.datetime) -> str | None:
    """What to tell a person writing while the office is closed (None when open)."""
    opening = config.organization.hours.next_opening(now)
    if opening is None:
        return None
    return translator.gettext(
        locale, "Our office is closed now. A lawyer will answer after we open on {day} at {time}.",
        day=weekday(lambda msgid: translator.gettext(locale, msgid), locale, opening.weekday()),
        time=format_time(opening, "short", tzinfo=opening.tzinfo,
                         locale=cldr_locale(locale)))


def closing_text(translator: Translator, config: Config, locale: str) -> str:
    """Sent when staff resolve an escalation: the bot answers the person again."""
    return translator.gettext(
        locale, "Our lawyer has closed this chat. The automatic helper will answer your "
        "messages again. To reach us, call {phone}.", phone=config.organization.phone)

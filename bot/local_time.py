"""Week days and office hours in the person's language.

CLDR (Babel) has no Haitian Creole day or month names: it answers "Mon" or
"M04". For such locales the names come from the catalog, translated like any
other text; every other locale takes CLDR's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from babel.dates import format_time, get_day_names

from .hours import OfficeHours
from .i18n import cldr_locale

# Locales whose CLDR data has no day or month names of their own.
CATALOG_DATE_LOCALES = frozenset({"ht"})


def N_(msgid: str) -> str:
    """Mark a string for the catalog; it is translated where it is used."""
    return msgid


WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday"))


def weekday(gettext: Callable[[str], str], locale: str, index: int,
            width: Literal["abbreviated", "wide"] = "wide") -> str:
    """Day ``index`` (0 = Monday) in ``locale``; ``gettext`` translates into that locale."""
    if locale in CATALOG_DATE_LOCALES:
        return gettext(WEEKDAYS[index])
    return str(get_day_names(width, locale=cldr_locale(locale))[index])


def office_hours(hours: OfficeHours, locale: str, gettext: Callable[[str], str]) -> str:
    """'seg.–sex. 09:00–17:00', 'Mon–Fri 9:00 AM–5:00 PM': not the config's English text."""
    first = min(hours.days) if len(hours.days) == 7 else next(
        d for d in sorted(hours.days) if (d - 1) % 7 not in hours.days)
    last = (first + len(hours.days) - 1) % 7
    first_name, last_name = (weekday(gettext, locale, d, "abbreviated") for d in (first, last))
    days = first_name if first == last else f"{first_name}–{last_name}"
    slim = cldr_locale(locale)
    opens, closes = (format_time(t, "short", locale=slim) for t in (hours.opens, hours.closes))
    return f"{days} {opens}–{closes}"

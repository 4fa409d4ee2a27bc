"""Dates as the person reads them: CLDR's long format, or the catalogs' month names.

CLDR (Babel 2.18) has no Haitian Creole month names: Babel falls back to French
("19 avril 2017", and "mai", "juin" are not Kreyòl) or, in other versions, to
"2017 M04 19". For such locales the month names and the order of day, month and
year come from the catalog (translated like any other text).
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date

from bot.context import Context
from bot.i18n import cldr_locale
from bot.local_time import CATALOG_DATE_LOCALES


def N_(msgid: str) -> str:
    """Mark a string for the catalog; it is translated where it is used."""
    return msgid


MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
          N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
          N_("December"))
# TRANSLATORS: a date, for languages whose month names CLDR lacks; keep the placeholders.
PATTERN = N_("{month} {day}, {year}")


def long_date(ctx: Context, value: dt.date) -> str:
    """A date in the person's language, e.g. "19 avril 2017" in Haitian Creole."""
    if ctx.locale not in CATALOG_DATE_LOCALES:
        return format_date(value, format="long", locale=cldr_locale(ctx.locale))
    month = ctx._(MONTHS[value.month - 1])
    return ctx._(PATTERN, month=month, day=str(value.day), year=str(value.year))

"""Dates of birth as people type them: 3/4/1985, 1985-03-04, March 4 1985, 4 de marzo de 1985.

Numeric dates are read in US order (month first) unless only the other order can
be a date (25/12/1980). Month names come from Babel's CLDR data for every
offered locale, the person's own first.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from babel.dates import get_month_names

from .text import fold

_NUMERIC = re.compile(r"(\d{1,4})\s*[/\-.\s]\s*(\d{1,2})\s*[/\-.\s]\s*(\d{1,4})")
_COMPACT = re.compile(r"\d{8}")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th|er|eme|o|a|º|ª)\b")
_FILLERS = {"de", "del", "of", "the", "le", "el"}


class BadDate(ValueError):
    """The text is not a date, or not a possible date of birth."""


@functools.cache
def _months(locales: tuple[str, ...]) -> dict[str, int]:
    names: dict[str, int] = {}
    for loc in locales:
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                try:
                    table = get_month_names(width, context, locale=loc)
                except (ValueError, LookupError):
                    continue
                for number, name in table.items():
                    names.setdefault(fold(name).strip("."), number)
    return names


def _year(raw: str, today: dt.date) -> int:
    year = int(raw)
    if len(raw) == 2:  # 85 -> 1985; a two-digit year is never a future birth year
        year += 1900 if year > today.year % 100 else 2000
    elif len(raw) != 4:
        raise BadDate(raw)
    return year


def _make(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise BadDate("no such day") from None


def _numeric(a: str, b: str, c: str, today: dt.date) -> dt.date:
    if len(a) == 4:
        return _make(int(a), int(b), int(c))
    first, second = int(a), int(b)
    if first > 12 >= second:  # only day-first can be right: 25/12/1980
        first, second = second, first
    return _make(_year(c, today), first, second)


def _worded(text: str, locales: tuple[str, ...], today: dt.date) -> dt.date:
    months = _months(locales)
    month = None
    numbers: list[str] = []
    for token in re.split(r"[\s,./\-]+", _ORDINAL.sub(r"\1", text)):
        if not token or token in _FILLERS:
            continue
        if token.isdigit():
            numbers.append(token)
        elif token in months and month is None:
            month = months[token]
        else:
            raise BadDate(token)
    if month is None or len(numbers) != 2:
        raise BadDate(text)
    day, year = (numbers[1], numbers[0]) if len(numbers[0]) == 4 else (numbers[0], numbers[1])
    return _make(_year(year, today), month, int(day))


def parse(raw: str, today: dt.date, locales: tuple[str, ...] = ("en", "es")) -> dt.date:
    """A date from free text; BadDate if it is not one (or does not exist)."""
    text = fold(raw).strip()
    if _COMPACT.fullmatch(text):
        head = int(text[:4])
        if 1900 <= head <= 2099:
            return _make(head, int(text[4:6]), int(text[6:]))
        return _make(int(text[4:]), int(text[:2]), int(text[2:4]))
    if m := _NUMERIC.fullmatch(text):
        return _numeric(m[1], m[2], m[3], today)
    if len(text) > 40:
        raise BadDate("too long")
    return _worded(text, locales, today)


def parse_birth_date(raw: str, today: dt.date, locales: tuple[str, ...]) -> dt.date:
    """``parse``, and refuse dates no living person was born on (future, before 1900)."""
    born = parse(raw, today, locales)
    if born > today or born.year < 1900:
        raise BadDate("not a possible birth date")
    return born

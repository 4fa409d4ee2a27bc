"""Dates as registry files write them, with the day/month order of the whole file.

A registry export writes every date one way. ``14/03/1975`` and ``03/14/1975``
cannot both be read from the row alone, so the order is a property of the file:
declared by the operator (``--date-order``) or detected from the file (some date
has a first part over 12: day first; a second part over 12: month first; both:
the file mixes orders and is refused). It is never guessed row by row.

Accepted: ``YYYY-MM-DD`` (also with ``/`` or ``.``), ``A/B/YYYY`` (also ``-`` or
``.``, and two-digit years), and English month names (``March 14, 1975``,
``14 Mar 1975``). A two-digit year is the latest year not after today's.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

ORDERS = ("mdy", "dmy")
DEFAULT_ORDER = "mdy"  # US registries, and the importer's behaviour before orders existed
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", re.ASCII)
_ABY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})", re.ASCII)
_MONTHS = {name: i for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
    ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
    ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
_MONTH_FIRST = re.compile(r"([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
_DAY_FIRST = re.compile(r"(\d{1,2})\s+([a-z]+)\.?,?\s+(\d{4})")
FORMATS = "YYYY-MM-DD, MM/DD/YYYY (or DD/MM/YYYY, by --date-order) or 'March 14, 1975'"


@functools.lru_cache(maxsize=8)
def _century_pivot(today: dt.date) -> int:
    return today.year % 100


def _year(text: str, today: dt.date) -> int:
    if len(text) == 4:
        return int(text)
    yy = int(text)
    century = today.year // 100 * 100
    return century + yy if yy <= _century_pivot(today) else century - 100 + yy


def order_hint(raw: str) -> str | None:
    """"dmy" or "mdy" when this one date shows the file's order; None when it cannot."""
    m = _ABY.fullmatch(raw.strip())
    if m is None:
        return None
    first, second = int(m[1]), int(m[3])
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return None


def parse(raw: str, order: str = DEFAULT_ORDER, today: dt.date | None = None) -> dt.date:
    """The date ``raw`` means in a file whose order is ``order``; ValueError says why."""
    text = raw.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        try:  # fast path for the common, exact ISO form
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    today = today or dt.date.today()
    if m := _YMD.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _ABY.fullmatch(text):
        first, second = int(m[1]), int(m[3])
        month, day = (first, second) if order == "mdy" else (second, first)
        year = _year(m[4], today)
        if month > 12:
            other = "day/month" if order == "mdy" else "month/day"
            raise ValueError(f"not a {order_words(order)} date (is the file {other}?)")
    elif (m := _MONTH_FIRST.fullmatch(text.lower())) and m[1] in _MONTHS:
        month, day, year = _MONTHS[m[1]], int(m[2]), int(m[3])
    elif (m := _DAY_FIRST.fullmatch(text.lower())) and m[2] in _MONTHS:
        day, month, year = int(m[1]), _MONTHS[m[2]], int(m[3])
    else:
        raise ValueError(f"not a date; use {FORMATS}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError("date does not exist in the calendar") from None


def order_words(order: str) -> str:
    return "month/day/year" if order == "mdy" else "day/month/year"

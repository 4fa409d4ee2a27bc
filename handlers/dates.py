"""Dates of birth as people type them, in every shipped language.

3/4/1985, 1985-03-04, March 4 1985, "nací el 14 de marzo de 1975", "14 mas 1975",
"14 tháng 3 năm 1975", "1975年3月14日", "14 di Marsu di 1975", "14 марта 1975 года".
Month names come from Babel's CLDR data for every offered locale, the person's own
first, plus Haitian Creole's (CLDR has none) and common spellings CLDR lacks.
Digits of any script count (handlers.text.ascii_digits); other numerals never do.

A numeric date that reads two ways (07/03/1984) is not guessed: ``readings``
returns both, the person's convention first, and the dialogue asks which one
(``ask_which``) before it counts as an attempt.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

from babel.dates import get_month_names

from bot.context import Context

from .date_names import long_date
from .text import ascii_digits, fold, is_number

_NUMERIC = re.compile(r"(\d{1,4})\s*[/\-.\s]\s*(\d{1,2})\s*[/\-.\s]\s*(\d{1,4})")
_COMPACT = re.compile(r"\d{8}")
_CJK = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]?")
_VIETNAMESE = re.compile(r"(?:ngay\s*)?(\d{1,2})\s*(?:thang|thg)\s*(\d{1,2})\s*(?:,?\s*nam)?"
                         r"\s*(\d{2,4})")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th|er|eme|ro|do|o|a|º|ª)\b")
_TOKEN = re.compile(r"[^\s,./\-]+")
_SHORT_YEAR = re.compile(r"['’](\d{2})\b")  # Sept 9 '91
# Khmer writes "day", "month", "year" onto the number: ថ្ងៃទី៥, ឆ្នាំ១៩៧០.
_KHMER_GLUED = re.compile(r"(?<=[\u1780-\u17ff])(?=\d)|(?<=\d)(?=[\u1780-\u17ff])")
_CJK_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CJK_NUMBER = re.compile(r"[〇零一二三四五六七八九十]+")
MAX_WORDS = 12  # "I was born on the 14th of March 1975": longer is not a date answer
# Month-first is the US convention; an English reader gets that reading first.
MONTH_FIRST = frozenset({"en"})

# CLDR has no Haitian Creole months, and Cape Verdean Creole and Arabic are written
# more ways than CLDR lists.
EXTRA_MONTHS = {
    "janvye": 1, "fevriye": 2, "mas": 3, "avril": 4, "me": 5, "jen": 6, "jiye": 7,
    "jiyet": 7, "out": 8, "septanm": 9, "sektanm": 9, "oktob": 10, "novanm": 11,
    "desanm": 12, "jan": 1, "fev": 2, "avr": 4, "jiy": 7, "sep": 9, "okt": 10, "des": 12,
    "fevereru": 2, "marsu": 3, "maiu": 5, "junhu": 6, "julhu": 7, "agostu": 8,
    "setenbru": 9, "otubru": 10, "nuvenbru": 11, "dizenbru": 12, "marcu": 3,
    "setiembre": 9, "sept": 9,
    "janeru": 1, "janeiru": 1, "febreru": 2, "setembru": 9, "outubru": 10,
    "novenbru": 11, "novembru": 11, "dezenbru": 12, "dezembru": 12,
    "كانون الثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6,
    "تموز": 7, "اب": 8, "ايلول": 9, "تشرين الاول": 10, "تشرين الثاني": 11,
    "كانون الاول": 12, "ابريل": 4, "اغسطس": 8,
}
_MONTH_MARK = "§"  # stands for a month name of two words, once found
# Words around a date that say nothing about it ("el", "de", "di", "года", "في").
_SKIPPABLE_WORDS = 6


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
    for name, number in EXTRA_MONTHS.items():
        names.setdefault(fold(name), number)
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


def _numeric(a: str, b: str, c: str, today: dt.date, month_first: bool) -> list[dt.date]:
    """Every valid reading, the preferred one first."""
    if len(a) == 4:
        return [_make(int(a), int(b), int(c))]
    year = _year(c, today)
    first, second = int(a), int(b)
    orders = [(first, second), (second, first)] if month_first else [(second, first),
                                                                       (first, second)]
    found: list[dt.date] = []
    for month, day in orders:
        try:
            date = _make(year, month, day)
        except BadDate:
            continue
        if date not in found:
            found.append(date)
    if not found:
        raise BadDate("no such day")
    return found


def _cjk_numerals(text: str) -> str:
    """一九七五年三月十四日 -> 1975年3月14日: a year digit by digit, 十 as ten."""
    def number(m: re.Match[str]) -> str:
        raw = m[0]
        if "十" not in raw:
            return raw.translate(_CJK_DIGITS)
        tens, _, units = raw.partition("十")
        return str(int(tens.translate(_CJK_DIGITS) or 1) * 10
                   + int(units.translate(_CJK_DIGITS) or 0))
    return _CJK_NUMBER.sub(number, text)


def _inside_sentence(text: str) -> re.Match[str] | None:
    """A numeric date among words without digits: "born 11/22/1979"."""
    m = _NUMERIC.search(text)
    if m is None or any(ch.isdecimal() for ch in text[:m.start()] + text[m.end():]):
        return None
    if len(_TOKEN.findall(text[:m.start()] + " " + text[m.end():])) > _SKIPPABLE_WORDS:
        return None
    return m


# "Month" written onto the month's name: Khmer ខែមីនា ("month March").
_MONTH_WORDS = tuple(fold(word) for word in ("ខែ",))


def _without_month_word(token: str, months: dict[str, int]) -> str:
    for word in _MONTH_WORDS:
        if token.startswith(word) and token[len(word):] in months:
            return token[len(word):]
    return token


def _worded(text: str, locales: tuple[str, ...], today: dt.date) -> dt.date:
    months = _months(locales)
    for name, number in months.items():  # names of two words (Levantine Arabic)
        if " " in name and name in text:
            text = text.replace(name, f" {_MONTH_MARK}{number} ")
    month = None
    numbers: list[str] = []
    skipped = 0
    tokens = _TOKEN.findall(_ORDINAL.sub(r"\1", text))
    if len(tokens) > MAX_WORDS:
        raise BadDate("too long")
    for token in tokens:
        token = _without_month_word(token, months)
        if is_number(token):
            numbers.append(token)
        elif token in months or token.startswith(_MONTH_MARK):
            if month is not None:
                raise BadDate("two months")
            month = months[token] if token in months else int(token[1:])
        elif any(ch.isdecimal() for ch in token):
            raise BadDate(token)  # "14x"
        else:
            skipped += 1
    if month is None or len(numbers) != 2 or skipped > _SKIPPABLE_WORDS:
        raise BadDate(text)
    day, year = (numbers[1], numbers[0]) if len(numbers[0]) == 4 else (numbers[0], numbers[1])
    return _make(_year(year, today), month, int(day))


def readings(raw: str, today: dt.date, locales: tuple[str, ...] = ("en", "es")) -> list[dt.date]:
    """Every date the text can mean (two for 07/03/1984), the person's convention first
    (``locales[0]``); BadDate if none."""
    if any(unicodedata.category(ch) in ("No", "Nl") for ch in raw):
        raise BadDate("not a decimal digit")  # "²", "①", Ethiopic "፩": never a number
    text = fold(ascii_digits(raw)).strip(" .!?¡¿")
    if "年" in text or "月" in text:
        text = _cjk_numerals(text)
    text = _KHMER_GLUED.sub(" ", _SHORT_YEAR.sub(r"\1", text))
    month_first = (locales[0] if locales else "en") in MONTH_FIRST
    if _COMPACT.fullmatch(text):
        head = int(text[:4])
        if 1900 <= head <= 2099:
            return [_make(head, int(text[4:6]), int(text[6:]))]
        return _numeric(text[:2], text[2:4], text[4:], today, month_first)
    if m := _NUMERIC.fullmatch(text) or _inside_sentence(text):
        return _numeric(m[1], m[2], m[3], today, month_first)
    for pattern, order in ((_CJK, (0, 1, 2)), (_VIETNAMESE, (2, 1, 0))):
        if m := pattern.search(text):
            year, month, day = (m.group(i + 1) for i in order)
            return [_make(_year(year, today), int(month), int(day))]
    if len(text) > 80:
        raise BadDate("too long")
    return [_worded(text, locales, today)]


def parse(raw: str, today: dt.date, locales: tuple[str, ...] = ("en", "es")) -> dt.date:
    """A date from free text, the person's convention for a two-way numeric date."""
    return readings(raw, today, locales)[0]


def possible_birth_date(born: dt.date, today: dt.date) -> bool:
    return born <= today and born.year >= 1900


def birth_readings(raw: str, today: dt.date, locales: tuple[str, ...]) -> list[dt.date]:
    """``readings`` no living person was not born on; BadDate if none is left."""
    found = [d for d in readings(raw, today, locales) if possible_birth_date(d, today)]
    if not found:
        raise BadDate("not a possible birth date")
    return found


def parse_birth_date(raw: str, today: dt.date, locales: tuple[str, ...]) -> dt.date:
    """``parse``, and refuse dates no living person was born on (future, before 1900)."""
    return birth_readings(raw, today, locales)[0]


# -- a date that reads two ways is asked back ---------------------------------
CHOICES = "dob_choices"  # slot: the ISO dates offered, in the order of the options


def ask_which(ctx: Context, dates: list[dt.date], step: str) -> None:
    """ "Which date did you mean?" with each reading as an option, in the person's language."""
    ctx.slots[CHOICES] = [d.isoformat() for d in dates]
    options = [(str(i), long_date(ctx, d))
               for i, d in enumerate(dates, start=1)]
    ctx.say(ctx._("Which date did you mean?"), options)
    ctx.ask("date_of_birth", step=step)


def settled_answer(ctx: Context, text: str, locales: tuple[str, ...]) -> str | None:
    """The date-of-birth answer the step may count: an ISO date once it is certain.

    A choice among the readings offered last time becomes that date; a new two-way
    date is asked back (None: the question is the reply); anything else is returned
    unchanged for the step to read (and refuse, if it is no date).
    """
    offered: list[str] = ctx.slots.pop(CHOICES, [])
    if offered and is_number(text) and 1 <= int(text) <= len(offered):
        return offered[int(text) - 1]
    try:
        found = birth_readings(text, ctx.now.date(), locales)
    except BadDate:
        return text
    if len(found) > 1:
        ask_which(ctx, found, ctx.state.step or "")
        return None
    return found[0].isoformat()

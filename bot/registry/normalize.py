"""Normalisation of dockets, names, dates, phones and notice codes.

The same functions serve the importer (what staff load) and the dialogue (what
people type), so that both sides meet on identical keys.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_NAME_DROP = str.maketrans("", "", " -'.\u2019\u2018\u2010\u2011\u2013\u00a0\t")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
NOTICE_PREFIX = "casecheck-notice:"
# A North American number in a common notation, "(617) 555-0100", "617-555-0100",
# "+1 617.555.0100": E.164 without phonenumbers' general parser (most of an import's
# time per phone). The group ``plus`` is "+1" written out; without it the number is
# one only in a region of country code 1. tests/test_normalize.py checks that both
# ways agree. phonenumbers itself is imported at the first number that needs it: 1.8 MB
# of a process that meets only "+1..." (Twilio's form) or none.
_NANP = re.compile(r"(?P<plus>\+1[-. ]?)?(?:\(([2-9]\d\d)\) ?|([2-9]\d\d)[-. ]?)"
                   r"(\d{3})[-. ]?(\d{4})", re.ASCII)


@functools.cache
def _nanp_regions() -> frozenset[str]:
    import phonenumbers

    return frozenset(phonenumbers.region_codes_for_country_code(1))


# A district-court docket (year and court, case type, sequence): the sequence is
# six digits on the papers, often typed without its zeros ("0912CR4411").
_DISTRICT_DOCKET = re.compile(r"(\d{4})([A-Z]{2,4})(\d{1,6})")
DOCKET_SEQUENCE_DIGITS = 6


def normalize_docket(raw: str) -> str:
    """Upper case, ASCII letters and digits only, the sequence zero-padded:
    ``"0912-cr-004411 "``, ``"0912 CR 4411"``, ``"０９１２ＣＲ４４１１"`` -> ``"0912CR004411"``."""
    upper = raw.upper()
    dashless = upper.replace("-", "")
    if not (dashless.isascii() and dashless.isalnum()):
        digits = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch
                         for ch in upper if unicodedata.category(ch) != "No")  # no "²", "①"
        folded = unicodedata.normalize("NFKC", digits)
        dashless = _NOT_ALNUM.sub("", folded)
    if dashless[-DOCKET_SEQUENCE_DIGITS:].isdigit():
        return dashless  # a full sequence already, or too long or short to be one
    if m := _DISTRICT_DOCKET.fullmatch(dashless):
        return m[1] + m[2] + m[3].zfill(DOCKET_SEQUENCE_DIGITS)
    return dashless


def name_key(raw: str) -> str:
    """Comparable form of a name: no accents, casefolded, no spaces/hyphens/apostrophes/dots."""
    decomposed = unicodedata.normalize("NFKD", raw)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_NAME_DROP)


def typo_budget(length: int, max_edits: int) -> int:
    """Typos a name of ``length`` letters may have: none up to 3 letters (one typo
    would make "Lê" match "e", "Li" and "Xe"), one up to 7, ``max_edits`` from 8."""
    if length <= 3:
        return 0
    return min(max_edits, 1) if length <= 7 else max_edits


def within_typos(a_key: str, b_key: str, max_edits: int = 1) -> bool:
    """True if the (optimal string alignment) Damerau-Levenshtein distance is at most
    ``max_edits``, scaled down for short names (``typo_budget`` of the shorter)."""
    if a_key == b_key:
        return True
    la, lb = len(a_key), len(b_key)
    max_edits = typo_budget(min(la, lb), max_edits)
    if abs(la - lb) > max_edits:
        return False
    if max_edits == 1:
        return _within_one(a_key, b_key)
    prev2: list[int] = []
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        cur = [i] + [0] * lb
        for j in range(1, lb + 1):
            cost = 0 if a_key[i - 1] == b_key[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if (i > 1 and j > 1 and a_key[i - 1] == b_key[j - 2]
                    and a_key[i - 2] == b_key[j - 1]):
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > max_edits:
            return False
        prev2, prev = prev, cur
    return prev[lb] <= max_edits


def _within_one(a: str, b: str) -> bool:
    """Linear check for one substitution, insertion, deletion or adjacent swap."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        if a[i + 1:] == b[i + 1:]:
            return True  # one substitution
        return (i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
                and a[i + 2:] == b[i + 2:])
    return a[i:] == b[i + 1:]  # one insertion into the shorter


def parse_date(raw: str) -> dt.date:
    """Parse YYYY-MM-DD, MM/DD/YYYY or M/D/YYYY; ValueError names the problem."""
    text = raw.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        try:  # fast path for the common, exact ISO form
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    if m := _ISO.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _US.fullmatch(text):
        month, day, year = int(m[1]), int(m[2]), int(m[3])
    else:
        raise ValueError("date must be YYYY-MM-DD or MM/DD/YYYY")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError("date does not exist in the calendar") from None


def normalize_phone(raw: str, default_region: str = "US") -> str:
    """E.164 form of a phone number; ValueError if it cannot be one.

    Parsed with ``phonenumbers`` (Google's numbering plans for every country), so
    numbers abroad work in any common notation: "+238 991 23 45", "011 238 991
    2345" from the US, "00 238 ..." elsewhere, "(809) 555-0100" for the Dominican
    Republic. A number without a country code is read in ``default_region``. The
    length must be possible for the country; whether the number is in service is
    not checked (registries hold old and made-up numbers too).
    """
    text = raw.strip()
    if (m := _NANP.fullmatch(text)) and (m["plus"] or default_region in _nanp_regions()):
        return f"+1{m[2] or m[3]}{m[4]}{m[5]}"
    import phonenumbers

    if text.startswith("00"):  # the international prefix most of the world dials
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValueError("phone number has too few or too many digits for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def hash_notice_code(code: str) -> str:
    """Stored form of a notice code: sha256 of the normalised code with a domain prefix."""
    return hash_normal_notice(normalize_docket(code))


def hash_normal_notice(normal: str) -> str:
    """``hash_notice_code`` of a code already through ``normalize_docket``."""
    return hashlib.sha256((NOTICE_PREFIX + normal).encode("ascii")).hexdigest()

"""Direction isolates for right-to-left text: Latin fragments kept left to right.

An Arabic reply holding "CORI", a docket number, a court or the organisation's
name has left-to-right runs inside right-to-left text; without marks, many
phones take the paragraph's direction from its first strong letter and lay the
whole message out left to right. Each Latin run is wrapped in U+2066 LEFT-TO-RIGHT
ISOLATE ... U+2069 POP DIRECTIONAL ISOLATE (Unicode UAX #9), which phones
render invisibly.
"""

from __future__ import annotations

import re
import unicodedata

LRI, PDI = "\u2066", "\u2069"
# A Latin run: Latin letters or digits, with the spaces and punctuation inside it
# ("Boston Municipal Court", "0912-CR-004411", "example.org/x"), not at its ends.
_LATIN_RUN = re.compile(r"[A-Za-z0-9\u00c0-\u024f](?:[A-Za-z0-9\u00c0-\u024f .,'&/()@:_-]*"
                        r"[A-Za-z0-9\u00c0-\u024f)])?")


def is_rtl(text: str) -> bool:
    """True if the text holds right-to-left letters (Arabic, Hebrew, ...)."""
    if text.isascii():  # most replies: nothing to look up
        return False
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in set(text))


def isolate_latin(text: str) -> str:
    """Wrap each Latin run of a right-to-left text in direction isolates (idempotent).
    Runs of digits alone are left as they are: numbers lay out right in any text."""
    if not is_rtl(text) or LRI in text:
        return text

    def wrap(match: re.Match[str]) -> str:
        run = match.group(0)
        if not any(c.isalpha() for c in run):
            return run
        return LRI + run + PDI

    return _LATIN_RUN.sub(wrap, text)

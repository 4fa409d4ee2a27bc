"""What every inbound boundary does to text before it is stored or answered.

A lone surrogate (``"\\ud800"``, valid in JSON, not in UTF-8) cannot be written
to SQLite, a log line or stdout, so it becomes U+FFFD (the replacement
character, which the SMS channel answers with "could not read"). Control
characters other than newline and tab are dropped: they are never part of a
person's words and confuse terminals and logs. Format characters (zero-width
joiners in emoji, right-to-left marks) are kept: they are part of the text.
"""

from __future__ import annotations

import unicodedata

KEPT_CONTROLS = frozenset("\n\t")
REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    """``text`` with lone surrogates replaced and control characters dropped."""
    if text.isprintable():  # the common case: nothing to do, no copy
        return text
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs":
            out.append(REPLACEMENT)
        elif category == "Cc" and ch not in KEPT_CONTROLS:
            continue
        else:
            out.append(ch)
    return "".join(out)


def clean_json(value: object) -> object:
    """Every string (keys too) in a decoded JSON value, cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_json(v)
                for k, v in value.items()}
    return value

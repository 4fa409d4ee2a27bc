"""Plain ``{name}`` substitution for texts people other than developers write.

``str.format`` runs format specs and conversions (``{org:>20000000}`` builds a
20 MB string, ``{org:q}`` raises at send time), so campaign and content-pack
texts never go through it. Here a placeholder is ``{name}`` and nothing else;
``{{`` and ``}}`` are literal braces; anything else in braces is refused when the
text is saved, and rendering a refused text raises ``TemplateError`` at once
rather than building anything large.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_TEMPLATE = 4000  # characters of a template
MAX_VALUE = 200  # characters of one filled-in value

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")


@dataclass(frozen=True)
class TemplateError(ValueError):
    """Why a text cannot be rendered: ``kind`` is 'brace', 'unknown' or 'long'."""
    kind: str
    field: str = ""


def fields(text: str) -> list[str]:
    """The placeholder names used, in order; TemplateError for a stray or unclosed brace
    (which is how ``{org:>9}`` or ``{org!r}`` end up: they are not placeholders)."""
    if len(text) > MAX_TEMPLATE:
        raise TemplateError("long")
    found = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            raise TemplateError("brace", _around(text, match.start()))
        found.append(match.group(1))
    return found


def check(text: str, allowed: Iterable[str]) -> None:
    """TemplateError unless every placeholder of ``text`` is one of ``allowed``."""
    names = set(allowed)
    for name in fields(text):
        if name not in names:
            raise TemplateError("unknown", name)


def render(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each ``{name}`` replaced by ``values[name]`` (no format specs)."""
    check(text, values)
    for name, value in values.items():
        if len(value) > MAX_VALUE:
            raise TemplateError("long", name)

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return values[match.group(1)]
    return _TOKEN.sub(one, text)


def _around(text: str, at: int) -> str:
    """The brace and a few characters after it, for the message (never long)."""
    return text[at:at + 20]

"""What every inbound boundary does to text before it is stored or answered.

A lone surrogate (``"\\ud800"``, valid in JSON, not in UTF-8) cannot be written
to SQLite, a log line or stdout, so it becomes U+FFFD (the replacement
character, which the SMS channel answers with "could not read"). Control
characters other than newline and tab are dropped: they are never part of a
person's words and confuse terminals and logs. Format characters (zero-width
joiners in emoji, right-to-left marks) are kept: they are part of the text.

Request bodies are read up to a limit and JSON is checked for depth before it
is parsed, so a huge or deeply nested body is a 400 with nothing stored, not a
500 (or a stack overflow).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

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


class BadBody(ValueError):
    """An inbound request body refused before anything is stored (answered 400)."""


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, refused (``BadBody``) past ``limit`` bytes without reading on."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BadBody("body too large")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(65536):
        size += len(chunk)
        if size > limit:
            raise BadBody("body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def json_depth(text: str) -> int:
    """How deeply a JSON text nests arrays and objects (strings skipped), in one pass
    that never recurses: checked before ``json.loads``, which would."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_json(raw: bytes, *, max_depth: int) -> object:
    """A JSON body, cleaned (``clean_json``); ``BadBody`` if it is not UTF-8 JSON or
    nests deeper than ``max_depth``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadBody("not UTF-8") from exc
    if json_depth(text) > max_depth:
        raise BadBody("nested too deeply")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadBody("not JSON") from exc
    return clean_json(value)

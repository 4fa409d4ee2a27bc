"""What people type, made comparable: cleaning, single keywords, dockets, names."""

from __future__ import annotations

import re
import unicodedata

from bot.registry.normalize import normalize_docket

MAX_CHARS = 1600  # longer than any real answer (and than one SMS concatenation)
MAX_NAME = 60

_SPACES = re.compile(r"\s+")
# A docket inside free text: 0912CR004411, 0912-CR-004411, 1184 CR 10234, SUCR2011-10234.
_DOCKET_IN_TEXT = re.compile(
    r"(?<![0-9A-Z])(?:\d{2,4}[ \-./]?[A-Z]{2,4}[ \-./]?\d{3,8}"
    r"|[A-Z]{2,4}[ \-./]?\d{4}[ \-./]?\d{3,8})(?![0-9A-Z])")
# A notice code from a letter (HX7K-29QP): two groups of four letters and digits.
# Overlapping matches: "WITH HX7K-29QP" holds "WITH HX7K" and "HX7K-29QP".
_NOTICE_IN_TEXT = re.compile(r"(?<![0-9A-Z])(?=([0-9A-Z]{4}[ \-]?[0-9A-Z]{4})(?![0-9A-Z]))")
_NAME_PUNCT = set(" -'.\u2019")


def ascii_digits(text: str) -> str:
    """Every script's decimal digits as ASCII ("１２", "١٢", "१२" -> "12"); other numerals
    ("²", "①", Ethiopic "፩") stay as they are and are never read as numbers."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def is_number(text: str) -> bool:
    """Only ASCII decimal digits (after ``ascii_digits``): safe for ``int``."""
    return text.isascii() and text.isdecimal()


_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # "ＣＲ" -> "CR"


def clean(raw: str) -> str:
    """NFC, ASCII digits and full-width letters, no control or invisible formatting
    characters (bidi overrides...), one space."""
    if raw.isascii() and raw.isprintable():  # most texts: nothing to normalise
        return _SPACES.sub(" ", raw).strip()
    text = ascii_digits(unicodedata.normalize("NFC", raw).translate(_FULL_WIDTH))
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                   for ch in text if unicodedata.category(ch) != "Cf")
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Casefolded, without accents: for comparing keywords in any Latin-script language."""
    if text.isascii():  # casefold and NFKD change nothing else in ASCII
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def keyword(text: str) -> str | None:
    """The single word of a one-word message, folded, without surrounding punctuation.

    "STOP!", " stop. ", "¡Ayuda!", "/start" -> "stop", "stop", "ayuda", "start".
    """
    chars = list(text)
    while chars and _is_edge(chars[0]):
        chars.pop(0)
    while chars and _is_edge(chars[-1]):
        chars.pop()
    word = "".join(chars)
    if not word or not all(unicodedata.category(ch)[0] in "LM" for ch in word):
        return None
    return fold(word)


def _is_edge(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in "PSZC"


def has_words(text: str) -> bool:
    """True if the text has any letter or digit (emoji-only or punctuation-only has none)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def find_docket(text: str) -> str | None:
    """A docket number written somewhere in free text, normalised; or None."""
    match = _DOCKET_IN_TEXT.search(text.upper())
    return normalize_docket(match.group(0)) if match else None


def find_notice_codes(text: str) -> list[str]:
    """Candidate notice codes in free text: groups with both letters and digits."""
    found = [m.group(1) for m in _NOTICE_IN_TEXT.finditer(text.upper())]
    return [code for code in found
            if any(ch.isdigit() for ch in code) and any(ch.isalpha() for ch in code)]


def as_identifier(text: str) -> str | None:
    """The message read as a docket number or notice code (odd punctuation allowed).

    A docket inside a sentence is found; otherwise the whole short message counts.
    """
    upper = text.upper()
    match = _DOCKET_IN_TEXT.search(upper)
    if match:
        rest = upper[:match.start()] + upper[match.end():]
        if any(ch.isalpha() for ch in rest):
            return normalize_docket(match.group(0))
    if len(text) > 40:
        return None
    ident = normalize_docket(fold(text))
    digits = sum(ch.isdigit() for ch in ident)
    return ident if 5 <= len(ident) <= 24 and digits >= 1 else None


def as_name(text: str) -> str | None:
    """A plausible personal name (any script), or None: no digits, symbols or huge texts."""
    if not text or len(text) > MAX_NAME:
        return None
    ok = all(unicodedata.category(ch)[0] in "LM" or ch in _NAME_PUNCT for ch in text)
    return text if ok and any(unicodedata.category(ch)[0] == "L" for ch in text) else None


# Words that make a "name" a sentence ("I want a lawyer", "quiero hablar con un abogado").
# Name particles (de, la, da, van, von, st) are not here.
_SENTENCE_WORDS = frozenset("""
    i im me my we want need talk speak with the a an to about what how why can please help
    lawyer attorney is are do does this that yes no hello hi thanks
    quiero necesito hablar con un una que como mi por favor sobre ayuda abogado abogada
    eu quero preciso falar com advogado ajuda mwen vle pale avoka
""".split())


def is_sentence(text: str) -> bool:
    """True if the text reads as a request rather than a name."""
    words = fold(text).replace("'", " ").split()
    return len(words) > 5 or any(word.strip(".,!?¡¿") in _SENTENCE_WORDS for word in words)

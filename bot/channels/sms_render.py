"""Render a Reply as SMS text: numbered menu, plain characters, a bounded segment count.

Rendering happens at send time (in ``SmsChannel.send``): the outbox keeps the
channel-neutral Reply (text + options), and the SMS channel turns it into text
in the person's current language, then keeps it within ``[sms] max_segments``.
What does not fit is kept on the outbox row and sent when the person texts MORE.

Segments: a message written only in the GSM 03.38 alphabet is 7-bit: 160
characters in one segment, 153 per segment when split (extension-table
characters such as ``€ [ ] { }`` count twice). One character outside it makes
the whole message UCS-2: 70 UTF-16 units, 67 per segment when split. So a
Latin-script text whose only letters outside GSM-7 carry one plain accent
(Spanish á í ó ú, Portuguese ã ç ê) is sent with those letters unaccented,
which halves its cost; Vietnamese (letters with two marks, dot below, horn)
is left as written, since there the marks carry the meaning.

Cuts fall on sentence ends of every shipped script (". ! ?" and "។ 。 ؟ ।"),
never right after a line ending in ":" (its list follows it). In right-to-left
text, Latin fragments (a docket number, a court, the organisation) are wrapped
in direction isolates so the phone lays the paragraph out right to left.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from .. import bidi
from ..model import Reply

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# Typographic characters with a plain (GSM-7) equivalent.
PLAIN = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2022": "-", "\u00b7": "-",
    "\u2026": "...",
    "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u2002": " ", "\u2003": " ",
    "\u200b": "", "\ufeff": "",
})

Gettext = Callable[..., str]


GSM7 = GSM7_BASIC | GSM7_EXTENSION
_PLAIN_CHARS = frozenset(chr(cp) for cp in PLAIN)

# Every reply is measured at send time: these scan a text's distinct characters
# (set operations in C), not each character in Python; and ``str.translate``, slow on
# a text that is not ASCII (a dict lookup per character), only runs when it changes
# something.


def is_gsm7(text: str) -> bool:
    return GSM7.issuperset(text)


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes."""
    if is_gsm7(text):
        # Extension-table characters count twice.
        units = len(text) + sum(map(text.count, GSM7_EXTENSION.intersection(text)))
        single, multi = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def is_latin(text: str) -> bool:
    """True when every letter is Latin (or a GSM Greek capital): plain quotes fit."""
    if text.isascii():
        return True
    for c in set(text).difference(GSM7_BASIC):
        if c.isalpha() and not unicodedata.name(c, "").startswith("LATIN"):
            return False
    return True


# Accents a letter may lose by SMS: one of these marks on a plain Latin letter.
_FOLDABLE_MARKS = frozenset("\u0300\u0301\u0302\u0303\u0308\u0327")


def _fold_letter(c: str) -> str | None:
    """The GSM-7 form of a letter with one plain accent (á -> a), else None."""
    parts = unicodedata.normalize("NFD", c)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() \
            and parts[1] in _FOLDABLE_MARKS:
        return parts[0]
    return None


def plain(text: str) -> str:
    """Latin-script text made GSM-7 when it can be without loss of meaning:
    typographic quotes, dashes, ellipsis and special spaces made plain, and
    letters with one plain accent unaccented when no other letter needs UCS-2.
    Other scripts are left as written (the message is UCS-2 anyway)."""
    if not is_latin(text):
        return text
    if not _PLAIN_CHARS.isdisjoint(text):
        text = text.translate(PLAIN)
    outside = set(text).difference(GSM7)
    if not outside:
        return text
    folded = {c: _fold_letter(c) for c in outside}
    if all(folded.values()):
        for c, f in folded.items():
            text = text.replace(c, f or c)
    return text


def option_lines(reply: Reply, _: Gettext) -> list[str]:
    """One "Reply 1 for ..." line per option (shared with the WhatsApp renderer)."""
    return [_("Reply {key} for {label}", key=o.key, label=o.label) for o in reply.options]


def render(reply: Reply, _: Gettext, max_segments: int | None = None) -> str:
    """Text followed by the options as a numbered menu, one line each.

    "Reply 1 for ..." lines read best; when they would push the message past
    ``max_segments`` or cost one more segment than a compact "1 ..." menu, the
    compact menu is used.
    """
    text = reply.text.strip()
    lines = option_lines(reply, _)
    full = _finish("\n".join(line for line in [text, *lines] if line))
    if not reply.options or max_segments is None:
        return full
    cost = segments(full)
    if cost == 1 and max_segments >= 1:  # nothing is shorter than one segment
        return full
    compact = _finish("\n".join(line for line in [text, _("Reply with a number:"),
                                                   *(f"{o.key} {o.label}" for o in reply.options)]
                                if line))
    # The wordier menu only when it fits and costs no extra segment.
    if cost <= min(max_segments, segments(compact)):
        return full
    return compact


def _finish(text: str) -> str:
    return bidi.isolate_latin(plain(text))


def more_keyword(_: Gettext) -> str:
    return _("MORE")


def fit(text: str, _: Gettext, max_segments: int) -> tuple[str, str | None]:
    """Split ``text`` into what to send now and the rest (None if it all fits).

    The part sent now ends with "Reply MORE for the rest." and stays within
    ``max_segments``; cuts fall on sentence ends or line breaks if possible,
    else between words, else anywhere.
    """
    max_segments = max(1, max_segments)
    if segments(text) <= max_segments:
        return text, None
    hint = plain(_("Reply {more} for the rest.", more=more_keyword(_)))

    def fits(cut: int) -> bool:
        return segments(text[:cut].rstrip() + "\n" + hint) <= max_segments

    anywhere = (i for i in range(1, len(text)) if not unicodedata.combining(text[i]))
    for cuts in (_sentence_cuts(text), _word_cuts(text), anywhere):
        cut = _largest((c for c in cuts if not _introduces(text, c)), fits)
        if cut:
            return text[:cut].rstrip() + "\n" + hint, text[cut:].strip() or None
    return hint, text  # unreachable unless the hint alone is too long


# Sentence ends: Latin, Cyrillic, Arabic (؟ ، is a comma), Devanagari (।) need a space
# after them; Chinese (。！？) and Khmer (។ ៕) do not, as they are written without spaces.
_CLOSERS = "\"')\\]»”’」』）"
_SENTENCE_END = re.compile(rf"[.!?;؟।][{_CLOSERS}]*\s+|[。！？។៕][{_CLOSERS}]*\s*|\n+")
_SPACE = re.compile(r"\s+")


def _introduces(text: str, cut: int) -> bool:
    """True if the part before ``cut`` ends by announcing what follows ("Reply with a
    number:"): cutting there would send the announcement without its list."""
    return text[:cut].rstrip().endswith((":", "："))


def _sentence_cuts(text: str) -> list[int]:
    return [m.end() for m in _SENTENCE_END.finditer(text) if m.end() < len(text)]


def _word_cuts(text: str) -> list[int]:
    return [m.end() for m in _SPACE.finditer(text) if m.end() < len(text)]


def _largest(cuts: Iterable[int], fits: Callable[[int], bool]) -> int | None:
    """The largest cut that fits (segments grow with the cut, so binary search)."""
    ordered = sorted(set(c for c in cuts if c > 0))
    lo, hi, best = 0, len(ordered) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if fits(ordered[mid]):
            best, lo = ordered[mid], mid + 1
        else:
            hi = mid - 1
    return best

"""Shared pieces of the property-based fuzz tests (tests/test_fuzz_*.py).

What people type, as hypothesis strategies: real utterances from the corpus, menu
numbers, keywords, registry answers, and hostile text (lone surrogates, control
characters, direction overrides, digits of other scripts, emoji, very long text).
Example counts are bounded so the suite stays fast; ``CASECHECK_FUZZ_SCALE=N``
multiplies them for a long run (e.g. 100,000 messages overnight).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from hypothesis import strategies as st

CORPUS = Path(__file__).with_name("data") / "utterances.tsv"
SCALE = max(1, int(os.environ.get("CASECHECK_FUZZ_SCALE", "1")))


def examples(default: int) -> int:
    """The example count of a fuzz test: small in CI, ``CASECHECK_FUZZ_SCALE`` times more."""
    return default * SCALE


def corpus() -> list[str]:
    with CORPUS.open(encoding="utf-8") as fh:
        rows = [r for r in csv.reader((line for line in fh if not line.startswith("#")),
                                      delimiter="\t") if len(r) >= 3]
    return [r[2] for r in rows if r[0] != "intent"]


KEYWORDS = ["STOP", "START", "HELP", "MORE", "menu", "hi", "hola", "/start", "lawyer",
            "forget me", "borra mis datos", "wrong number", "UNSTOP", "INFO", "back", "0"]
REGISTRY = ["0912-CR-004411", "0912 cr 004411", "Nunez", "Núñez", "03/14/1975",
            "1975-03-14", "3/14/1975", "HX7K-29QP", "Carter-Whitfield", "Denise",
            "1981-07-09", "1081 CR 000217", "O'Brien", "11/02/1968", "I do not have a number",
            "I have a code from a letter"]
# Digits that str.isdigit() accepts and int() refuses (superscripts, circled, Ethiopic,
# Kharoshthi): the known menu/date bug, fixed in handlers/ by another change.
NON_DECIMAL_DIGITS = "²³¹⁵①⑴⒈፩፲𐩀𐩁"
# Decimal digits of other scripts, which int() reads: full-width, Arabic-Indic, Devanagari.
OTHER_DECIMALS = "１２３٣٤۵४೬๓"
HOSTILE = ["\ud800", "\udfff", "a\ud83db", "\x00", "\x1b[2J", "\x7f", "\u202e", "\u200d",
           "\ufeff", "\ufffd", "\r\n", "\t", "🙂", "👩‍👩‍👧", "𝟘𝟙", "ﷺ", "\u0301", "%s%n",
           "{phone}", "{0}", "<script>", "' OR 1=1 --", "\\", '"']


def is_digit_bug(text: str) -> bool:
    """Does this text hold a digit int() cannot read (the known, separately fixed bug)?"""
    return any(c.isdigit() and not c.isdecimal() for c in text)


def _numbers() -> st.SearchStrategy[str]:
    digits = st.sampled_from("0123456789" + OTHER_DECIMALS + NON_DECIMAL_DIGITS)
    return st.lists(digits, min_size=1, max_size=4).map("".join)


def messages() -> st.SearchStrategy[str]:
    """One inbound message, mostly what a person might type, often hostile."""
    words = st.sampled_from(corpus() + KEYWORDS + REGISTRY)
    hostile = st.sampled_from(HOSTILE)
    anything = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
    mixed = st.lists(st.one_of(words, hostile, _numbers(), anything), min_size=1,
                     max_size=4).map(" ".join)
    long = st.builds(lambda w, n: (w + " ") * n, words, st.integers(50, 400))
    return st.one_of(words, words, _numbers(), mixed, anything, long)


def conversations(max_size: int = 8) -> st.SearchStrategy[list[str]]:
    return st.lists(messages(), min_size=1, max_size=max_size)

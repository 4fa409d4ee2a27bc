"""An independent check that the bot's replies are in the language the person chose.

Uses py3langid directly (not ``bot.langdetect``'s thresholds), restricted to
the languages casecheck ships, so "is this Vietnamese?" means "is it Vietnamese
rather than any other language a reply could wrongly be in". Cape Verdean
Creole (kea) is not in py3langid's model: for it the check is only that the
replies are not English. Translators' conversation tests use it like::

    from tests.langcheck import assert_language
    assert_language(replies_text, "vi")
"""

from __future__ import annotations

import functools
import re

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from bot.langdetect import chinese_variant

# Locale -> py3langid code. A locale missing here is not in the model.
CODES = {"en": "en", "es": "es", "pt_BR": "pt", "ht": "ht", "vi": "vi", "zh_Hant": "zh",
         "zh_Hans": "zh", "km": "km", "ru": "ru", "ar": "ar"}
# What says nothing about the language: numbers, dockets, web addresses, option keys.
_NOISE = re.compile(r"https?://\S+|\S+\.(?:org|com|gov)\S*|\S*\d\S*|[{}]")


@functools.cache
def identifier() -> LanguageIdentifier:
    """Loaded once per test process (it takes about half a second)."""
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(sorted(set(CODES.values())))
    return ident


def language_of(text: str) -> tuple[str, float]:
    """py3langid's (code, probability) for ``text`` without numbers and addresses."""
    return identifier().classify(_NOISE.sub(" ", text))


def assert_language(text: str, locale: str) -> None:
    """Fail unless ``text`` (a reply, or several joined) reads as ``locale``."""
    code, probability = language_of(text)
    expected = CODES.get(locale.split("@")[0])
    if expected is None:  # kea: not in the model; at least it is not English
        assert code != "en" or probability < 0.5, f"{locale} reply reads as English: {text!r}"
        return
    assert code == expected, (f"expected {locale} ({expected}), py3langid says {code} "
                              f"({probability:.2f}): {text!r}")
    if expected == "zh":
        variant = chinese_variant(text)
        assert variant in (None, locale), f"expected {locale}, the characters are {variant}"

"""Free text -> what the person wants: intents learned from each locale's corpus.

``Understanding.understand`` returns the likeliest intents with their
probabilities (bot/understanding/model.py, trained on ``locales/<locale>/intents.tsv``
plus the content pack's ``[keywords]``); ``classify`` the likeliest one. Hand-written rules
remain only for the words the carriers fix (STOP, HELP and their listed
equivalents, in handlers/compliance.py) and for the names of languages
(``intents.toml``), which say which locale is asked for.
"""

from __future__ import annotations

import asyncio
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.understanding.corpus import INTENTS, Example, Fingerprint, read_all, stream
from bot.understanding.model import Ranked, UnderstandingModel, cached

from .clarify import CLARIFY_FLOOR
from .compliance import HELP_WORDS, OPT_OUT_WORDS
from .text import keyword

if TYPE_CHECKING:
    from bot.content import ContentPack

TABLE_PATH = Path(__file__).with_name("intents.toml")
__all__ = ["INTENTS", "Understanding", "fold"]

_WORDS = re.compile(r"[a-z0-9]+")
_WORDS_ANY = re.compile(r"\w+")  # words of any script, for ``vocabulary_locale``
_LETTER_MAP = str.maketrans({"đ": "d", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i",
                             "\u2019": "", "'": "", "`": ""})
MEMO_SIZE = 50_000  # distinct words remembered between calls


def _strippable(ch: str) -> bool:
    """Accents of Latin, Greek, Cyrillic and Arabic; Khmer and CJK marks are letters' parts."""
    cp = ord(ch)
    return (cp < 0x0700 or 0x1AB0 <= cp < 0x1B00 or 0x1DC0 <= cp < 0x1E00
            or 0x20D0 <= cp < 0x2100 or 0xFE20 <= cp < 0xFE30)


class _FoldTable(dict[int, str]):
    """str.translate table filled on first use: each character's NFKD form without accents."""

    def __missing__(self, codepoint: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(codepoint))
        kept = "".join(ch for ch in decomposed
                       if not (unicodedata.category(ch) == "Mn" and _strippable(ch)))
        folded = kept.translate(_LETTER_MAP)
        if len(self) < MEMO_SIZE:
            self[codepoint] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower case without accents ("Èske" -> "eske", "Моё" -> "мое", "أريد" -> "اريد").

    Per character, so keywords and messages fold alike (Khmer stays decomposed on
    both sides); ASCII, the common case, takes a shortcut.
    """
    if text.isascii():
        return text.lower().translate(_LETTER_MAP)
    return text.casefold().translate(_FOLD)


@dataclass(frozen=True)
class Spec:
    """One phrase of the tables, parsed: '=stop', 'refund @3', 'despejo!'."""

    text: str  # folded
    whole: bool  # only when it is the whole message
    weight: float
    exact: bool  # no typo tolerance


def parse_phrase(raw: str, intent: str, default_weight: float) -> Spec:
    text, weight = raw.strip(), default_weight
    if " @" in text:
        text, _, number = text.rpartition(" @")
        try:
            weight = float(number)
        except ValueError as exc:
            raise ValueError(f"intent {intent}: bad weight in {raw!r}") from exc
    exact = text.endswith("!")
    whole = text.startswith("=")
    folded = fold(text.rstrip("!").lstrip("=")).strip()
    if not folded:
        raise ValueError(f"intent {intent}: empty phrase {raw!r}")
    return Spec(folded, whole, weight, exact)


class _LanguageNames:
    """Language names -> locale; the longest name wins, then the first one written."""

    def __init__(self, table: Mapping[str, list[str]], negations: Iterable[str]) -> None:
        self.words: dict[str, list[tuple[tuple[str, ...], str]]] = {}  # first word -> names
        self.whole: dict[str, str] = {}
        self.substrings: dict[str, list[tuple[str, str]]] = {}  # by first character
        self.negations = frozenset(fold(w) for w in negations)
        for locale, names in table.items():
            for raw in names:
                spec = parse_phrase(raw, "language", 0)
                name = spec.text
                if spec.whole:
                    self.whole[name] = locale
                elif name.isascii():
                    words = tuple(name.split())
                    self.words.setdefault(words[0], []).append((words, locale))
                else:
                    self.substrings.setdefault(name[0], []).append((name, locale))

    def _found(self, folded: str, tokens: list[str]) -> list[tuple[int, int, str, bool]]:
        """(length, -position, locale, negated) of every name in the text."""
        found: list[tuple[int, int, str, bool]] = []
        whole = self.whole.get(" ".join(tokens))
        if whole:
            found.append((len(folded), 0, whole, False))
        for i, token in enumerate(tokens):
            for words, locale in self.words.get(token, ()):
                if tuple(tokens[i:i + len(words)]) == words:
                    negated = bool(self.negations.intersection(tokens[max(0, i - 2):i]))
                    found.append((len(" ".join(words)), -i, locale, negated))
        if not folded.isascii():
            for ch in set(folded):
                for name, locale in self.substrings.get(ch, ()):
                    pos = folded.find(name)
                    if pos >= 0:
                        found.append((len(name), -pos, locale, False))
        return found

    def mentioned(self, folded: str, tokens: list[str]) -> bool:
        return bool(self._found(folded, tokens))

    def requested(self, text: str) -> str | None:
        folded = fold(text)
        wanted = [f for f in self._found(folded, _WORDS.findall(folded)) if not f[3]]
        return max(wanted)[2] if wanted else None


def _core(folded: str) -> str:
    """A non-Latin message without spaces and punctuation, for whole-message phrases."""
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LMN")


def load_table(path: Path = TABLE_PATH) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


class _PackWords:
    """A content pack's ``[keywords]``: names of its labs and people ("dookhan", "farak").

    Proper names cannot be learned from a corpus of every deployment, so they are
    looked up: a message naming one means the keyword's intent unless the model
    reads a clearer request in it.
    """

    def __init__(self, keywords: Mapping[str, Iterable[str]]) -> None:
        self.words: list[tuple[str, str]] = []
        for intent, words in keywords.items():
            if intent not in INTENTS or intent == "other":
                raise ValueError(f"content pack [keywords]: unknown intent {intent!r}")
            self.words += [(fold(w).strip(), intent) for w in words if fold(w).strip()]

    def intent(self, text: str) -> str | None:
        folded = f" {' '.join(_WORDS.findall(fold(text)))} "
        for word, intent in self.words:
            if f" {word} " in folded or (not word.isascii() and word in folded):
                return intent
        return None


# Readings a named lab or chemist overrides: they ask for nothing in particular.
VAGUE = frozenset({"other", "greeting", "who", "help", "thanks", "yes", "no"})


def _carrier(text: str) -> str | None:
    """STOP, HELP and their listed one-word equivalents: fixed by the carriers, not learned."""
    word = keyword(text)
    if word in OPT_OUT_WORDS:
        return "stop"
    if word in HELP_WORDS:
        return "help"
    return None


class _Vocabulary:
    """Each folded word of the corpora -> the locales whose corpus writes it, as the bits
    of an integer (a set of locales for each of 8,000 words held 2 MB more)."""

    def __init__(self, examples: Iterable[Example]) -> None:
        self.locales: list[str] = []
        self.words: dict[str, int] = {}
        bits: dict[str, int] = {}
        for ex in examples:
            bit = bits.get(ex.locale)
            if bit is None:
                bit = bits[ex.locale] = 1 << len(self.locales)
                self.locales.append(ex.locale)
            for word in _WORDS_ANY.findall(fold(ex.text)):
                self.words[word] = self.words.get(word, 0) | bit

    def only_locale(self, text: str) -> str | None:
        """The one locale that writes every known word of ``text``, else None."""
        common: int | None = None
        for word in _WORDS_ANY.findall(fold(text)):
            bits = self.words.get(word)
            if bits:
                common = bits if common is None else common & bits
        if not common or common & (common - 1):  # none, or several
            return None
        return self.locales[common.bit_length() - 1]


def _shipped() -> tuple[UnderstandingModel, _Vocabulary]:
    """The model and the vocabulary of the shipped corpora, read in one pass that keeps no
    example (they are read as a list only to train, after the corpora changed)."""
    corpus = Fingerprint()
    vocabulary = _Vocabulary(corpus.through(stream()))
    return cached(corpus.hexdigest(), read_all), vocabulary


class Understanding:
    """What free text means, for one content pack: the learned model of the shipped
    corpora, the names of languages (``intents.toml``) and the pack's ``[keywords]``.

    The App owns one (``app.dialogue.understanding``; handlers use
    ``ctx.understanding``). The model is loaded on first use from its cache on
    disk, or trained and cached there if the corpora changed
    (``bot.understanding.model.cached``), then kept for the App's life.
    """

    def __init__(self, content: ContentPack | None = None) -> None:
        self.named = _PackWords(content.keywords()) if content is not None else None
        self._model: UnderstandingModel | None = None
        self._names: _LanguageNames | None = None
        self._vocabulary: _Vocabulary | None = None
        self._warming: asyncio.Task[None] | None = None

    @property
    def model(self) -> UnderstandingModel:
        if self._model is None:
            self._read()
        assert self._model is not None
        return self._model

    async def warm(self) -> None:
        """Load the model (or, after a corpus change, train it: about a second) off the
        event loop, so other conversations go on meanwhile; afterwards a no-op.

        The first messages after a start arrive together: they all wait for one load
        (each loading its own copy held several models in memory at once)."""
        loop = asyncio.get_running_loop()
        while self._model is None or self._vocabulary is None:
            if (self._warming is None or self._warming.done()
                    or self._warming.get_loop() is not loop):
                self._warming = loop.create_task(asyncio.to_thread(self._read))
            await asyncio.shield(self._warming)  # a waiter cancelled leaves the load on

    def _read(self) -> None:
        model, vocabulary = _shipped()
        self._model = self._model or model
        self._vocabulary = self._vocabulary or vocabulary

    def understand(self, text: str) -> Ranked:
        """The likeliest intents of a free-text message, best first, with probabilities."""
        fixed = _carrier(text)
        if fixed:
            return Ranked(((fixed, 1.0),))
        ranked = self.model.understand(text)
        named_intent = self.named.intent(text) if self.named else None
        if named_intent and (ranked.intent in VAGUE or ranked.confidence < 0.5):
            return Ranked(((named_intent, 1.0),) + ranked.ranked)  # "is my case a dookhan one?"
        if self.requested_locale(text) and (ranked.intent in VAGUE | {"language"}
                                            or ranked.confidence < 0.5):
            return Ranked((("language", 1.0),) + ranked.ranked)  # "can we do this in spanish"
        return ranked

    def classify(self, text: str) -> str:
        """One of INTENTS for a free-text message ("other" when nothing is likely)."""
        ranked = self.understand(text)
        return ranked.intent if ranked.confidence >= CLARIFY_FLOOR else "other"

    def written_in(self, text: str) -> tuple[str | None, float]:
        """The shipped locale whose corpus the text reads most like, and how sure that is."""
        return self.model.locale(text)

    def vocabulary_locale(self, text: str) -> str | None:
        """The one locale whose corpus has every known word of a short text ("hola",
        "xin chào", "bonjou"), else None ("ok", "hi", "你好": several languages write
        them). Too short for the model's reading (``written_in``); held-out messages of
        one or two words: 47 % placed, 96 % of those rightly."""
        if self._vocabulary is None:
            self._read()
        assert self._vocabulary is not None
        return self._vocabulary.only_locale(text)

    def requested_locale(self, text: str) -> str | None:
        """The locale a message asks for by naming its language ("en español por favor" -> "es")."""
        if self._names is None:
            table = load_table()
            self._names = _LanguageNames(table.get("languages", {}),
                                         table.get("negations", {}).get("words", []))
        return self._names.requested(text)

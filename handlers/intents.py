"""Free text -> what the person wants, by weighted keyword phrases in every language.

The phrases live in ``intents.toml`` beside this file (its header explains the
syntax) plus the content pack's ``[keywords]`` table, so translators and
deployments extend them without code. Latin-script text is compared as words
after folding case and accents; Chinese, Khmer, Arabic or Cyrillic phrases
are found as substrings, since those scripts inflect or do not space words.
One pass over the words with dictionary look-ups keeps a call in the tens of
microseconds.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.content import ContentPack

INTENTS = (
    "lookup", "lawyer", "topic_record", "topic_refund", "topic_housing", "topic_employment",
    "topic_immigration", "stop", "help", "language", "greeting", "thanks", "other",
)
TABLE_PATH = Path(__file__).with_name("intents.toml")

_WORDS = re.compile(r"[a-z0-9]+")
_LETTER_MAP = str.maketrans({"đ": "d", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i",
                             "\u2019": "", "'": "", "`": ""})
FUZZY_MIN_KEYWORD = 6  # only long keywords tolerate a typo...
FUZZY_MIN_TOKEN = 5  # ...in a word that is not too short either
FUZZY_MAX_TOKEN = 20  # nor a run of letters too long to be a word


def _strippable(ch: str) -> bool:
    """Accents of Latin, Greek, Cyrillic and Arabic; Khmer and CJK marks are letters' parts."""
    cp = ord(ch)
    return (cp < 0x0700 or 0x1AB0 <= cp < 0x1B00 or 0x1DC0 <= cp < 0x1E00
            or 0x20D0 <= cp < 0x2100 or 0xFE20 <= cp < 0xFE30)


def fold(text: str) -> str:
    """Lower case without accents ("Èske" -> "eske", "Моё" -> "мое", "أريد" -> "اريد")."""
    if text.isascii():
        return text.lower().translate(_LETTER_MAP)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch for ch in decomposed
                   if not (unicodedata.category(ch) == "Mn" and _strippable(ch)))
    return unicodedata.normalize("NFC", kept).translate(_LETTER_MAP)


@dataclass(frozen=True)
class Phrase:
    intent: str
    weight: float
    words: tuple[str, ...]  # folded words; a trailing "*" marks a prefix
    source: str

    def matches_at(self, tokens: list[str], start: int) -> bool:
        if start + len(self.words) > len(tokens):
            return False
        for word, token in zip(self.words, tokens[start:], strict=False):
            if word.endswith("*"):
                if not token.startswith(word[:-1]):
                    return False
            elif word != token:
                return False
        return True


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def parse_phrase(raw: str, intent: str, default_weight: float) -> tuple[str, bool, float]:
    """'=stop' / 'refund @3' -> (folded text, whole message only, weight)."""
    text, weight = raw.strip(), default_weight
    if " @" in text:
        text, _, number = text.rpartition(" @")
        try:
            weight = float(number)
        except ValueError as exc:
            raise ValueError(f"intent {intent}: bad weight in {raw!r}") from exc
    whole = text.startswith("=")
    folded = fold(text.lstrip("=")).strip()
    if not folded:
        raise ValueError(f"intent {intent}: empty phrase {raw!r}")
    return folded, whole, weight


class Classifier:
    """Built once from the keyword tables; ``classify`` is then a pure, fast function."""

    def __init__(self, table: Mapping[str, Any],
                 extra: Mapping[str, Iterable[str]] | None = None) -> None:
        settings = table.get("settings", {})
        self.priority: dict[str, int] = {name: i for i, name in
                                         enumerate(settings.get("priority", INTENTS))}
        self.name_weight = float(settings.get("language_name_weight", 3.5))
        self._exact: dict[str, list[Phrase]] = {}  # first word -> phrases
        self._prefix: dict[str, list[Phrase]] = {}  # first word's stem -> phrases
        self._stem_lengths: list[int] = []
        self._whole: dict[str, tuple[str, float]] = {}  # the whole folded message -> intent
        self._substrings: list[tuple[str, str, float]] = []
        self._fuzzy: dict[str, list[tuple[str, str, float]]] = {}
        self._patterns = [(re.compile(p), intent) for intent, pats in
                          table.get("patterns", {}).items() for p in pats]
        specs: Mapping[str, Any] = table.get("intents", {})
        self.weights = {intent: float(spec.get("weight", 1)) for intent, spec in specs.items()}
        for intent, spec in specs.items():
            self._check_intent(intent, "intents.toml")
            for phrases in spec.values():
                if isinstance(phrases, list):
                    for raw in phrases:
                        self._add(raw, intent, self.weights[intent], spec.get("fuzzy", True))
        for intent, phrases in (extra or {}).items():
            self._check_intent(intent, "content pack [keywords]")
            for raw in phrases:
                self._add(raw, intent, self.weights.get(intent, 1.0),
                          specs.get(intent, {}).get("fuzzy", True))
        self._stem_lengths.sort()
        self._languages = _LanguageNames(table.get("languages", {}),
                                         table.get("negations", {}).get("words", []))

    def _check_intent(self, intent: str, where: str) -> None:
        if intent not in INTENTS or intent == "other":
            raise ValueError(f"{where}: unknown intent {intent!r}")
        if intent not in self.priority:
            self.priority[intent] = len(self.priority)

    def _add(self, raw: str, intent: str, weight: float, fuzzy: bool) -> None:
        text, whole, weight = parse_phrase(raw, intent, weight)
        if whole:
            key = " ".join(_WORDS.findall(text)) if text.isascii() else _core(text)
            if weight > self._whole.get(key, ("", 0.0))[1]:
                self._whole[key] = (intent, weight)
            return
        if not text.isascii():
            self._substrings.append((text, intent, weight))
            return
        words = tuple(text.split())
        phrase = Phrase(intent, weight, words, raw)
        first = words[0]
        if first.endswith("*"):
            stem = first[:-1]
            self._prefix.setdefault(stem, []).append(phrase)
            if len(stem) not in self._stem_lengths:
                self._stem_lengths.append(len(stem))
        else:
            self._exact.setdefault(first, []).append(phrase)
            if fuzzy and len(words) == 1 and len(first) >= FUZZY_MIN_KEYWORD:
                for variant in _deletions(first) | {first}:
                    self._fuzzy.setdefault(variant, []).append((first, intent, weight))

    # -- classifying ----------------------------------------------------
    def scores(self, text: str) -> dict[str, float]:
        """The best weight each intent reached in this message."""
        folded = fold(text)
        tokens = _WORDS.findall(folded)
        best: dict[str, float] = {}

        def hit(intent: str, weight: float) -> None:
            if weight > best.get(intent, 0.0):
                best[intent] = weight

        whole = self._whole.get(" ".join(tokens) if folded.isascii() else _core(folded))
        if whole:
            hit(*whole)
        for i, token in enumerate(tokens):
            matched = False
            for phrase in self._candidates(token):
                if phrase.matches_at(tokens, i):
                    hit(phrase.intent, phrase.weight)
                    matched = True
            if not matched and FUZZY_MIN_TOKEN <= len(token) <= FUZZY_MAX_TOKEN:
                for variant in _deletions(token) | {token}:
                    for keyword, intent, weight in self._fuzzy.get(variant, ()):
                        if keyword[0] == token[0]:
                            hit(intent, weight)
        if not folded.isascii():
            for needle, intent, weight in self._substrings:
                if needle in folded:
                    hit(intent, weight)
        for pattern, intent in self._patterns:
            if pattern.search(folded):
                hit(intent, self.weights.get(intent, 1.0))
        if self._languages.mentioned(folded, tokens):
            hit("language", self.name_weight)
        return best

    def _candidates(self, token: str) -> list[Phrase]:
        found = list(self._exact.get(token, ()))
        for length in self._stem_lengths:
            if length > len(token):
                break
            found.extend(self._prefix.get(token[:length], ()))
        return found

    def classify(self, text: str) -> str:
        """The intent with the highest score; ties go to the earlier one in ``priority``."""
        scores = self.scores(text)
        if not scores:
            return "other"
        return max(scores, key=lambda intent: (scores[intent], -self.priority[intent]))

    def requested_locale(self, text: str) -> str | None:
        return self._languages.requested(text)


class _LanguageNames:
    """Language names -> locale; the longest name wins, then the first one written."""

    def __init__(self, table: Mapping[str, list[str]], negations: Iterable[str]) -> None:
        self.words: dict[str, list[tuple[tuple[str, ...], str]]] = {}  # first word -> names
        self.whole: dict[str, str] = {}
        self.substrings: list[tuple[str, str]] = []
        self.negations = frozenset(fold(w) for w in negations)
        for locale, names in table.items():
            for raw in names:
                name, whole, _ = parse_phrase(raw, "language", 0)
                if whole:
                    self.whole[name] = locale
                elif name.isascii():
                    words = tuple(name.split())
                    self.words.setdefault(words[0], []).append((words, locale))
                else:
                    self.substrings.append((name, locale))

    def _found(self, folded: str, tokens: list[str]) -> list[tuple[int, int, str, bool]]:
        """(length, -position, locale, negated) of every name in the text."""
        found: list[tuple[int, int, str, bool]] = []
        whole = self.whole.get(" ".join(tokens))
        if whole:
            found.append((len(folded), 0, whole, False))
        for i, token in enumerate(tokens):
            for words, locale in self.words.get(token, ()):
                if tuple(tokens[i:i + len(words)]) == words:
                    negated = bool(self.negations.intersection(tokens[max(0, i - 3):i]))
                    found.append((len(" ".join(words)), -i, locale, negated))
        if not folded.isascii():
            for name, locale in self.substrings:
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


_CLASSIFIERS: dict[Path | None, Classifier] = {}  # per content pack; the tables never change


def classifier(content: ContentPack | None = None) -> Classifier:
    """The classifier for the shipped tables plus a content pack's ``[keywords]``."""
    key = content.path if content is not None else None
    found = _CLASSIFIERS.get(key)
    if found is None:
        extra = content.keywords() if content is not None else None
        found = _CLASSIFIERS[key] = Classifier(load_table(), extra)
    return found


def classify(text: str, content: ContentPack | None = None) -> str:
    """One of INTENTS for a free-text message. Pass ``ctx.content`` for the pack's words."""
    return classifier(content).classify(text)


def requested_locale(text: str) -> str | None:
    """The locale a message asks for by naming its language ("en español por favor" -> "es")."""
    return classifier().requested_locale(text)

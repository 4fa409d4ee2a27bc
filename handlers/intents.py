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
FUZZY_STEM_TAIL = 3  # a word read as a misspelt stem ends at most this much after it
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
class Phrase:
    intent: str
    weight: float
    words: tuple[str, ...]  # folded words; a trailing "*" marks a prefix

    def rest_matches(self, tokens: list[str], start: int) -> bool:
        """Do the words after the first (already matched at ``start``) follow in ``tokens``?"""
        if len(self.words) == 1:
            return True
        if start + len(self.words) > len(tokens):
            return False
        for word, token in zip(self.words[1:], tokens[start + 1:], strict=False):
            if word.endswith("*"):
                if not token.startswith(word[:-1]):
                    return False
            elif word != token:
                return False
        return True


_Word = tuple[tuple[Phrase, ...], tuple[tuple[str, float], ...]]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


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
        self._seen: dict[str, _Word] = {}  # token -> candidate phrases, typo matches
        self._whole: dict[str, tuple[str, float]] = {}  # the whole folded message -> intent
        self._substrings: dict[str, list[tuple[str, str, float]]] = {}  # by first character
        # One typo: the keyword (or stem) and its one-letter deletions -> what it means.
        self._fuzzy: dict[str, list[tuple[str, str, float]]] = {}
        self._fuzzy_stems: dict[str, list[tuple[str, str, float]]] = {}
        self._patterns = [(re.compile(p), intent) for intent, pats in
                          table.get("patterns", {}).items() for p in pats]
        for _, intent in self._patterns:
            self._check_intent(intent, "intents.toml [patterns]")
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
        self._fuzzy_stem_lengths = sorted({len(stem) for entries in self._fuzzy_stems.values()
                                           for stem, _, _ in entries})
        self._languages = _LanguageNames(table.get("languages", {}),
                                         table.get("negations", {}).get("words", []))

    def _check_intent(self, intent: str, where: str) -> None:
        if intent not in INTENTS or intent == "other":
            raise ValueError(f"{where}: unknown intent {intent!r}")
        if intent not in self.priority:
            self.priority[intent] = len(self.priority)

    def _add(self, raw: str, intent: str, weight: float, fuzzy: bool) -> None:
        spec = parse_phrase(raw, intent, weight)
        text, weight = spec.text, spec.weight
        if spec.whole:
            key = " ".join(_WORDS.findall(text)) if text.isascii() else _core(text)
            if weight > self._whole.get(key, ("", 0.0))[1]:
                self._whole[key] = (intent, weight)
            return
        if not text.isascii():
            self._substrings.setdefault(text[0], []).append((text, intent, weight))
            return
        words = tuple(text.split())
        phrase = Phrase(intent, weight, words)
        first = words[0]
        stem = first.rstrip("*")
        if first.endswith("*"):
            self._prefix.setdefault(stem, []).append(phrase)
            if len(stem) not in self._stem_lengths:
                self._stem_lengths.append(len(stem))
        else:
            self._exact.setdefault(first, []).append(phrase)
        if fuzzy and not spec.exact and len(words) == 1 and len(stem) >= FUZZY_MIN_KEYWORD:
            index = self._fuzzy_stems if first.endswith("*") else self._fuzzy
            for variant in _deletions(stem) | {stem}:
                index.setdefault(variant, []).append((stem, intent, weight))

    # -- classifying ----------------------------------------------------
    def scores(self, text: str) -> dict[str, float]:
        """The best weight each intent reached in this message."""
        folded = fold(text)
        tokens = _WORDS.findall(folded)
        best: dict[str, float] = {}

        def hit(intent: str, weight: float) -> None:
            if weight > best.get(intent, 0.0):
                best[intent] = weight

        whole = self._whole.get(_whole_key(folded, tokens))
        if whole:
            hit(*whole)
        for i, token in enumerate(tokens):
            candidates, typos = self._word(token)
            for phrase in candidates:
                if phrase.rest_matches(tokens, i):
                    hit(phrase.intent, phrase.weight)
            for intent, weight in typos:
                hit(intent, weight)
        if not folded.isascii():
            for ch in set(folded):
                for needle, intent, weight in self._substrings.get(ch, ()):
                    if needle in folded:
                        hit(intent, weight)
        for pattern, intent in self._patterns:
            if pattern.search(folded):
                hit(intent, self.weights.get(intent, 1.0))
        if self._languages.mentioned(folded, tokens):
            hit("language", self.name_weight)
        return best

    def _word(self, token: str) -> _Word:
        """Phrases whose first word is this token, else what it means with one typo.

        Memoised: people use few distinct words.
        """
        found = self._seen.get(token)
        if found is None:
            candidates = list(self._exact.get(token, ()))
            for length in self._stem_lengths:
                if length > len(token):
                    break
                candidates.extend(self._prefix.get(token[:length], ()))
            typos = () if candidates else self._typos(token)
            if len(self._seen) >= MEMO_SIZE:
                self._seen.clear()
            found = self._seen[token] = (tuple(candidates), typos)
        return found

    def _typos(self, token: str) -> tuple[tuple[str, float], ...]:
        """Keywords (or stems) one edit away from the token, with the same first letter."""
        if not FUZZY_MIN_TOKEN <= len(token) <= FUZZY_MAX_TOKEN:
            return ()
        found: set[tuple[str, float]] = set()
        for variant in _deletions(token) | {token}:
            found.update((intent, weight) for keyword, intent, weight
                         in self._fuzzy.get(variant, ()) if keyword[0] == token[0])
        for length in self._fuzzy_stem_lengths:
            if len(token) > length + FUZZY_STEM_TAIL:
                continue  # "department" is no typo of "deport*"
            head, longer = token[:length], token[:length + 1]
            variants = {head} | _deletions(head) | (_deletions(longer) if longer != head else set())
            for variant in variants:
                found.update((intent, weight) for stem, intent, weight
                             in self._fuzzy_stems.get(variant, ())
                             if len(stem) == length and stem[0] == token[0])
        return tuple(found)

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


def _whole_key(folded: str, tokens: list[str]) -> str:
    """The message as one whole-message key: its words ("stop please"), or, when it has
    letters of other scripts, all its letters ("стоп")."""
    if folded.isascii():
        return " ".join(tokens)
    core = _core(folded)
    return " ".join(tokens) if core == "".join(tokens) else core


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

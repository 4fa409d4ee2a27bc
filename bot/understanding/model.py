"""Intent and language of a message, learned from the per-locale corpora.

Character n-grams (1 to 4, inside word boundaries) of the folded text, its
whole words and word pairs, and its length in words, are hashed into a fixed
number of features, so no vocabulary is kept in memory: the model is two
one-vs-rest logistic regressions (intent, locale) over the same features,
stored as float16 weights (about 4 MB in each workers' process; the weights lie
within +-20, where float16 keeps three digits: on all 11,103 corpus messages the
intents and locales are those of float32 weights, the probabilities within 0.0003).
Character n-grams cope with what people text: missing accents, typos, SMS
spellings, unspaced Chinese and Khmer, one sentence mixing two languages; words
and pairs tell "who won the game" from "who is this".

Training takes about a second (more on a busy machine), so a trained model is
cached on disk, keyed by a fingerprint of the examples and the library version:
only the first start after the corpus changes trains (off the event loop,
``Understanding.warm`` in handlers/intents.py); every other start loads the cache (tens of ms).
Classifying is one sparse dot product: tens of microseconds.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from ..disk_cache import load_or_build
from .corpus import Example, fingerprint

N_FEATURES = 2 ** 16
NGRAMS = (1, 4)
ALPHA = 3e-6  # regularisation (chosen on the held-out folds of bench_understanding)
EPOCHS = 15
WORDS_REMEMBERED = 50_000
MAX_CHARS = 300  # what is read of a message: a request is in its first lines
MODEL_VERSION = "4"
WORD_WEIGHT = 2.0  # a whole word or word pair counts as much as two n-grams
LONG = 6  # word counts from here on are one feature
MAX_WORD = 12  # longer "words" are unspaced Chinese or Khmer sentences: n-grams only
_WORD_SPLIT = re.compile(r"[^\w\u0300-\u036f\u0610-\u065f\u17b4-\u17d3]+")


# Arabic letters written several ways in SMS: hamza seats, alef maksura, ta marbuta.
_ARABIC = str.maketrans({"ى": "ي", "ة": "ه", "ـ": None, "ک": "ك", "ی": "ي",
                         "\u200b": " ", "\u200c": None, "\u200d": None})


def _dropped(ch: str) -> bool:
    """Latin, Greek and Cyrillic accents (Vietnamese tones among them), Arabic short
    vowels and hamza marks: what people leave out when they text. Khmer and Chinese
    marks are parts of letters and stay."""
    if not unicodedata.combining(ch):
        return False
    cp = ord(ch)
    return cp < 0x0370 or 0x0610 <= cp <= 0x061A or 0x064B <= cp <= 0x065F or cp == 0x0670


def fold(text: str) -> str:
    """Lower case without accents, digits as 0: what the n-grams are taken from.

    "Tôi muốn" and "toi muon" fold alike, as do "أريد" and "اريد", "مدرسة" and
    "مدرسه". Every digit becomes "0" so a docket or a year reads as "a number",
    not as its particular digits.
    """
    out = []
    for ch in unicodedata.normalize("NFD", text[:MAX_CHARS].casefold()):
        if _dropped(ch):
            continue
        out.append("0" if ch.isdecimal() else ch)
    return unicodedata.normalize("NFC", "".join(out)).replace("đ", "d").translate(_ARABIC)


def features(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Hashed character n-grams of each word (padded with spaces), plus whole words and
    word pairs, l2-normalised.

    Character n-grams read a misspelt or unaccented word; words and pairs tell "who
    won the game" from "who is this", where every n-gram of "who" is the same.
    crc32 rather than ``hash``: the same n-gram must land on the same feature in
    every process, or a cached model would read garbage.
    """
    counts: dict[int, float] = {}
    folded = fold(text)
    for word in folded.split():
        for key in _word_features(word):
            counts[key] = counts.get(key, 0) + 1
    if WORD_WEIGHT:
        words = _WORD_SPLIT.sub(" ", folded).split()
        for gram in _word_grams(words) + _length(words):
            key = zlib.crc32(gram.encode("utf-8", "surrogatepass")) % N_FEATURES
            counts[key] = counts.get(key, 0) + WORD_WEIGHT
    if not counts:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
    indices = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    return indices, values / np.sqrt(np.dot(values, values))


def _classifier():  # type: ignore[no-untyped-def]
    """Logistic regression fitted by stochastic gradient descent: a second for the whole
    corpus where the exact solver takes minutes, for the same held-out accuracy."""
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", alpha=ALPHA, max_iter=EPOCHS, tol=None,
                         class_weight="balanced", random_state=0)


def _word_grams(words: list[str]) -> list[str]:
    """Whole words and adjacent pairs (marked so they never hash like an n-gram)."""
    grams = [f"\x01{w}" for w in words if len(w) <= MAX_WORD]
    grams += [f"\x02{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    return grams


def _length(words: list[str]) -> list[str]:
    """How many words (1 to 6 or more): "k", "?", "what" are chatter more often than
    requests, a long sentence is seldom a yes. Worth +0.3 points at the menu, 5-fold."""
    return [f"\x03{min(len(words), LONG)}"] if words else []


@functools.lru_cache(maxsize=WORDS_REMEMBERED)
def _word_features(word: str) -> tuple[int, ...]:
    """The hashed n-grams of one word: remembered, since people use few distinct words."""
    padded = f" {word} "
    low, high = NGRAMS
    grams = [padded[i:i + n].encode("utf-8", "surrogatepass")
             for n in range(low, high + 1) for i in range(len(padded) - n + 1)]
    return tuple(zlib.crc32(gram) % N_FEATURES for gram in grams if gram != b" ")


def _matrix(texts: Sequence[str]):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for row, text in enumerate(texts):
        indices, values = features(text)
        rows += [row] * len(indices)
        cols += indices.tolist()
        vals += values.tolist()
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), N_FEATURES), dtype=np.float32)


@dataclass(frozen=True)
class Ranked:
    """What a message means: the likeliest intents with their probabilities, best first."""

    ranked: tuple[tuple[str, float], ...]

    @property
    def intent(self) -> str:
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1]

    def probability(self, intent: str) -> float:
        return dict(self.ranked).get(intent, 0.0)


class _Linear:
    """A trained logistic regression reduced to its weights (float16) and classes."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, classes: Sequence[str]) -> None:
        self.coef_t = np.ascontiguousarray(coef.T, dtype=np.float16)  # features x classes
        self.intercept = intercept.astype(np.float32)
        self.classes = tuple(classes)

    def probabilities(self, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
        """One-vs-rest logistic scores, normalised to sum to one (as scikit-learn does)."""
        rows = self.coef_t.take(indices, axis=0).astype(np.float32)  # take: faster than []
        scores = values @ rows + self.intercept
        probs = 1.0 / (1.0 + np.exp(-np.clip(scores, -30, 30)))
        return probs / probs.sum()


class UnderstandingModel:
    """Intent and locale classifiers sharing one hashed character n-gram space."""

    def __init__(self, intents: _Linear, locales: _Linear) -> None:
        self._intents = intents
        self._locales = locales

    @classmethod
    def train(cls, examples: Sequence[Example]) -> UnderstandingModel:
        matrix = _matrix([ex.text for ex in examples])
        intents = _classifier()
        intents.fit(matrix, [ex.intent for ex in examples])
        located = [i for i, ex in enumerate(examples) if ex.locale]
        names = sorted({examples[i].locale for i in located})
        if len(names) < 2:  # one language: it is always that one
            only = _Linear(np.zeros((1, N_FEATURES)), np.zeros(1), names or [""])
        else:
            locales = _classifier()
            locales.fit(matrix[located], [examples[i].locale for i in located])
            only = _Linear(locales.coef_, locales.intercept_, locales.classes_)
        return cls(_Linear(intents.coef_, intents.intercept_, intents.classes_), only)

    def save(self, path: Path) -> None:
        """Plain arrays (no pickle: loading a cache file never runs code)."""
        arrays: dict[str, np.ndarray] = {}
        for name, part in (("intents", self._intents), ("locales", self._locales)):
            arrays[f"{name}_coef_t"] = part.coef_t
            arrays[f"{name}_intercept"] = part.intercept
            arrays[f"{name}_classes"] = np.array(part.classes, dtype=str)
        np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy stubs: names are str

    @classmethod
    def load(cls, path: Path) -> UnderstandingModel:
        with np.load(path, allow_pickle=False) as data:
            parts = [_Linear(data[f"{name}_coef_t"].T, data[f"{name}_intercept"],
                             [str(c) for c in data[f"{name}_classes"]])
                     for name in ("intents", "locales")]
        return cls(*parts)

    def understand(self, text: str, top: int = 3) -> Ranked:
        """The ``top`` likeliest intents; "other" with certainty for a text without letters."""
        indices, values = features(text)
        if not len(indices):
            return Ranked((("other", 1.0),))
        probs = self._intents.probabilities(indices, values)
        best = np.argsort(probs)[::-1][:top]
        return Ranked(tuple((self._intents.classes[i], float(probs[i])) for i in best))

    def locale(self, text: str) -> tuple[str | None, float]:
        """The corpus locale the text reads most like, and how sure that is."""
        indices, values = features(text)
        if not len(indices):
            return None, 0.0
        probs = self._locales.probabilities(indices, values)
        best = int(np.argmax(probs))
        return self._locales.classes[best], float(probs[best])

    @property
    def intents(self) -> tuple[str, ...]:
        return self._intents.classes


def cache_dir() -> Path:
    """``$CASECHECK_CACHE`` or the user's cache folder (XDG), else the temp folder."""
    configured = os.environ.get("CASECHECK_CACHE") or os.environ.get("XDG_CACHE_HOME")
    base = Path(configured) if configured else Path.home() / ".cache"
    if not configured and not os.access(base.parent, os.W_OK):
        base = Path(tempfile.gettempdir())
    return base / "casecheck"


def load_or_train(examples: Sequence[Example], directory: Path | None = None
                  ) -> UnderstandingModel:
    """The cached model for exactly these examples, trained (and cached) if missing."""
    key = (fingerprint(examples)
           + f"-{metadata.version('scikit-learn')}-{MODEL_VERSION}-{N_FEATURES}")
    path = (directory or cache_dir()) / f"understanding-{key}.npz"
    return load_or_build(path, UnderstandingModel.load,
                         functools.partial(UnderstandingModel.train, examples))

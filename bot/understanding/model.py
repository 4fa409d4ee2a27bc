"""Intent and language of a message, learned from the per-locale corpora.

Character n-grams (1 to 4, inside word boundaries) of the folded text, its
whole words and word pairs, and its length in words, are hashed into a fixed
number of features, so no vocabulary is kept in memory: the model is two
one-vs-rest logistic regressions (intent, locale) over the same features.
Training (scikit-learn, numpy) happens only when the corpus changed; serving
needs neither: the weights are kept as 16-bit integers (a scale per classifier:
the weights lie within +-20, so a step is 0.0006), about 3.8 MB, and a message's
scores are summed with Python integers (``_Linear``). numpy alone was 15 MB of a
workers' process. On all 11,103 corpus messages the intents and locales are
those of the float weights, the probabilities within 0.001.
Character n-grams cope with what people text: missing accents, typos, SMS
spellings, unspaced Chinese and Khmer, one sentence mixing two languages; words
and pairs tell "who won the game" from "who is this".

Training takes about a second (more on a busy machine), so a trained model is
cached on disk, keyed by a fingerprint of the examples and the library version:
only the first start after the corpus changes trains (off the event loop,
``Understanding.warm`` in handlers/intents.py); every other start loads the cache (tens of ms).
Classifying takes tens of microseconds (bench_understanding: p50 about 80 us, of
which about 50 the scores: numpy's gather and product took about 5 us, for 15 MB).
"""

from __future__ import annotations

import functools
import math
import re
import struct
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ..disk_cache import cache_dir, load_or_build, read_blobs, write_blobs
from .corpus import Example, fingerprint

N_FEATURES = 2 ** 16
NGRAMS = (1, 4)
ALPHA = 3e-6  # regularisation (chosen on the held-out folds of bench_understanding)
EPOCHS = 15
WORDS_REMEMBERED = 50_000
MAX_CHARS = 300  # what is read of a message: a request is in its first lines
MODEL_VERSION = "6"
WORD_WEIGHT = 2  # a whole word or word pair counts as much as two n-grams
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


@functools.lru_cache(maxsize=16)  # a turn reads one text for its intent, then its locale
def features(text: str) -> dict[int, int]:
    """How often each hashed feature occurs: character n-grams of each word (padded with
    spaces), plus whole words and word pairs (not normalised: ``_Linear`` divides by
    the counts' l2 norm).

    Character n-grams read a misspelt or unaccented word; words and pairs tell "who
    won the game" from "who is this", where every n-gram of "who" is the same.
    crc32 rather than ``hash``: the same n-gram must land on the same feature in
    every process, or a cached model would read garbage. Shared: never change it.
    """
    counts: dict[int, int] = {}
    folded = fold(text)
    for word in folded.split():
        for key in _word_features(word):
            counts[key] = counts.get(key, 0) + 1
    if WORD_WEIGHT:
        words = _WORD_SPLIT.sub(" ", folded).split()
        for gram in _word_grams(words) + _length(words):
            key = zlib.crc32(gram.encode("utf-8", "surrogatepass")) % N_FEATURES
            counts[key] = counts.get(key, 0) + WORD_WEIGHT
    return counts


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
    """The l2-normalised features of ``texts``, one row each (for training)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for row, text in enumerate(texts):
        counts = features(text)
        norm = math.sqrt(sum(c * c for c in counts.values()))
        rows += [row] * len(counts)
        cols += counts.keys()
        vals += (c / norm for c in counts.values())
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


BIAS = 32768  # a weight is stored as weight / scale + BIAS: an unsigned 16-bit integer
STEPS = 32767  # the largest weight, in steps of the scale


class _Linear:
    """A one-vs-rest logistic regression: per feature, a row of one 16-bit weight per class.

    A message's scores are the rows of its features, each times the feature's count,
    summed. Read as one Python integer, a row holds every class's weight; masking
    every other 16-bit lane gives the even classes' weights in 32-bit lanes (and
    shifting first, the odd ones'), wide enough for any sum a message makes (its
    counts add up to far less than 65,536), so one big-integer multiply-add sums a
    feature for half the classes at once: about 50 us a message without numpy.
    """

    def __init__(self, rows: bytes, scale: float, intercept: Sequence[float],
                 classes: Sequence[str]) -> None:
        if len(rows) != N_FEATURES * 2 * len(classes) or len(intercept) != len(classes):
            raise ValueError("the weights do not fit the classes")
        self.rows = rows  # N_FEATURES rows of len(classes) little-endian 16-bit weights
        self.scale = scale
        self.intercept = tuple(float(b) for b in intercept)
        self.classes = tuple(classes)
        self._width = 2 * len(classes)
        self._lanes = (len(classes) + 1) // 2  # 32-bit lanes of the even classes
        self._mask = int.from_bytes(b"\xff\xff\x00\x00" * self._lanes, "little")

    @classmethod
    def fitted(cls, coef: Any, intercept: Any, classes: Sequence[str]) -> _Linear:
        """From scikit-learn's ``coef_`` (classes x features) and ``intercept_``; of two
        classes it gives one row, the second class's score (the first's is its opposite)."""
        import numpy as np

        weights = np.asarray(coef, dtype=np.float64).T  # features x classes
        intercept = np.asarray(intercept, dtype=np.float64)
        if len(classes) == 2 and weights.shape[1] == 1:
            weights, intercept = np.hstack([-weights, weights]), np.hstack([-intercept, intercept])
        scale = float(np.abs(weights).max()) / STEPS or 1.0
        steps = np.rint(weights / scale).astype(np.int64) + BIAS
        return cls(steps.astype("<u2").tobytes(), scale, [float(b) for b in intercept],
                   [str(c) for c in classes])

    def probabilities(self, counts: dict[int, int]) -> list[float]:
        """Each class's logistic score, normalised to sum to one (as scikit-learn does)."""
        rows, width, mask = self.rows, self._width, self._mask
        from_bytes = int.from_bytes
        even = odd = total = squares = 0
        for key, count in counts.items():
            at = key * width
            row = from_bytes(rows[at:at + width], "little")
            even += count * (row & mask)
            odd += count * (row >> 16 & mask)
            total += count
            squares += count * count
        size, lanes = 4 * self._lanes, f"<{self._lanes}I"
        sums = struct.unpack(lanes, even.to_bytes(size, "little"))
        odds = struct.unpack(lanes, odd.to_bytes(size, "little"))
        per = self.scale / math.sqrt(squares)
        offset = BIAS * total
        probs = []
        for i, bias in enumerate(self.intercept):
            lane = sums[i // 2] if i % 2 == 0 else odds[i // 2]
            score = min(30.0, max(-30.0, (lane - offset) * per + bias))
            probs.append(1.0 / (1.0 + math.exp(-score)))
        whole = sum(probs)
        return [p / whole for p in probs]

    def header(self) -> dict[str, Any]:
        return {"classes": list(self.classes), "scale": self.scale,
                "intercept": list(self.intercept)}

    @classmethod
    def read(cls, header: dict[str, Any], rows: bytes) -> _Linear:
        return cls(rows, float(header["scale"]), [float(b) for b in header["intercept"]],
                   [str(c) for c in header["classes"]])


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
            only = _Linear(BIAS.to_bytes(2, "little") * N_FEATURES, 1.0, [0.0], names or [""])
        else:
            locales = _classifier()
            locales.fit(matrix[located], [examples[i].locale for i in located])
            only = _Linear.fitted(locales.coef_, locales.intercept_, locales.classes_)
        return cls(_Linear.fitted(intents.coef_, intents.intercept_, intents.classes_), only)

    def save(self, path: Path) -> None:
        """Classes, scales and intercepts, then each part's weights, in the cache format
        (disk_cache: checksummed, no pickle, so loading a cache file never runs code)."""
        parts = (self._intents, self._locales)
        write_blobs(path, {"version": MODEL_VERSION, "parts": [p.header() for p in parts]},
                    [p.rows for p in parts])

    @classmethod
    def load(cls, path: Path) -> UnderstandingModel:
        """The model ``save`` wrote; ValueError or KeyError if the file is not one."""
        header, blobs = read_blobs(path)
        if header["version"] != MODEL_VERSION or len(header["parts"]) != 2 or len(blobs) != 2:
            raise ValueError(f"{path.name}: not a model of this version")
        intents, locales = (_Linear.read(part, rows)
                            for part, rows in zip(header["parts"], blobs, strict=True))
        return cls(intents, locales)

    def understand(self, text: str, top: int = 3) -> Ranked:
        """The ``top`` likeliest intents; "other" with certainty for a text without letters."""
        counts = features(text)
        if not counts:
            return Ranked((("other", 1.0),))
        probs = self._intents.probabilities(counts)
        best = sorted(range(len(probs)), key=probs.__getitem__, reverse=True)[:top]
        return Ranked(tuple((self._intents.classes[i], probs[i]) for i in best))

    def locale(self, text: str) -> tuple[str | None, float]:
        """The corpus locale the text reads most like, and how sure that is."""
        counts = features(text)
        if not counts:
            return None, 0.0
        probs = self._locales.probabilities(counts)
        best = max(range(len(probs)), key=probs.__getitem__)
        return self._locales.classes[best], probs[best]

    @property
    def intents(self) -> tuple[str, ...]:
        return self._intents.classes


def load_or_train(examples: Sequence[Example], directory: Path | None = None
                  ) -> UnderstandingModel:
    """The cached model for exactly these examples, trained (and cached) if missing."""
    return cached(fingerprint(examples), lambda: examples, directory)


def cached(key: str, examples: Callable[[], Sequence[Example]],
           directory: Path | None = None) -> UnderstandingModel:
    """The cached model of the examples whose ``fingerprint`` is ``key``; if it is
    missing, ``examples()`` are read and trained on (and cached)."""
    key += f"-{metadata.version('scikit-learn')}-{MODEL_VERSION}-{N_FEATURES}"
    path = (directory or cache_dir()) / f"understanding-{key}.bin"
    return load_or_build(path, UnderstandingModel.load,
                         lambda: UnderstandingModel.train(examples()))

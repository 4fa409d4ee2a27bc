"""py3langid's identifier in 3 MB instead of 70: its scores, from a compact table.

py3langid counts byte n-gram features by walking a DFA whose transition table
is 39 MB of 32-bit states (256 per state), beside the weights of its 97
languages (28 MB). The DFA is Aho-Corasick's: after each byte it is in the state
of the longest suffix of the text so far that is a node of its trie (at most six
bytes), and that state says which feature, if any, is counted. So the same
counts come from a sorted array of the trie's node strings (as integers) and
what each node counts, looked up for the suffixes ending at every byte: 1.3 MB.
The weights are kept for the chosen languages only.

Building it loads py3langid's model once (half a second, 135 MB at its peak), so
the result is cached on disk, keyed by py3langid's version and the languages;
every later start loads 3 MB (milliseconds). Scores are py3langid's (summed in
another order: equal to four decimals, ``tests/test_langdetect.py`` compares them
on every corpus line and on random bytes).
"""

from __future__ import annotations

import functools
import math
import unicodedata
from importlib import metadata
from pathlib import Path

import numpy as np

from .disk_cache import load_or_build

MAX_NODE = 8  # bytes: a node string and its length fit one 64-bit key
_CHUNK = 2048  # states expanded at a time while reading the DFA (4 MB of temporaries)
FORMAT = "1"


def _key(values: np.ndarray, length: int) -> np.ndarray:
    """Node strings of ``length`` bytes (``values``: their big-endian integer) as keys:
    the length in the top byte, so "a" and "\\0a" differ."""
    return (np.uint64(length) << np.uint64(56)) | values.astype(np.uint64)


class CompactIdentifier:
    """``classify(text)`` -> (language code, normalised probability), as py3langid's
    ``LanguageIdentifier(norm_probs=True)`` restricted to ``classes`` answers."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray, depth: int, ptc: np.ndarray,
                 pc: np.ndarray, classes: list[str]) -> None:
        self.keys = keys  # sorted node keys
        self.counts = counts  # the feature each node counts, -1 for none
        self.depth = depth  # the longest node, in bytes
        self.nb_ptc = ptc  # features x classes (float16, as py3langid has them)
        self.nb_pc = pc
        self.nb_classes = classes

    # -- scoring (py3langid's _decide, for distinct class labels) --------------------------
    def _features(self, data: bytes) -> np.ndarray:
        """The feature counted after each byte: that of the longest node ending there."""
        raw = np.frombuffer(data, dtype=np.uint8).astype(np.uint64)
        found = np.full(len(raw), -1, dtype=np.int64)
        window = np.zeros(len(raw), dtype=np.uint64)
        for length in range(1, min(self.depth, len(raw)) + 1):
            # window[i] = the `length` bytes ending at i, big-endian
            window[length - 1:] = (window[length - 2:-1] << np.uint64(8) if length > 1
                                   else window[length - 1:]) | raw[length - 1:]
            keys = _key(window[length - 1:], length)
            at = np.searchsorted(self.keys, keys)
            at[at == len(self.keys)] = 0
            hit = self.keys[at] == keys
            found[length - 1:][hit] = self.counts[at[hit]]
        return found[found >= 0]

    def classify(self, text: str) -> tuple[str, float]:
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        features = self._features(data)
        if len(features):
            index, seen = np.unique(features, return_counts=True)
            scores = np.log1p(seen.astype(np.float32)) @ self.nb_ptc[index] + self.nb_pc
        else:
            scores = np.zeros(len(self.nb_classes), dtype=np.float32)
        scores *= 1.0 / math.sqrt(len(data) or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        best = int(scores.argmax())
        return self.nb_classes[best], float(scores[best])

    # -- building and caching ----------------------------------------------------------
    @classmethod
    def for_languages(cls, codes: list[str], directory: Path) -> CompactIdentifier:
        """The identifier over ``codes`` (py3langid codes, each one label in its model),
        from the cache in ``directory``, else built from py3langid's model and cached."""
        version = metadata.version("py3langid")
        path = directory / f"langid-{version}-{FORMAT}-{'-'.join(sorted(codes))}.npz"
        return load_or_build(path, cls.load, functools.partial(cls.build, codes))

    @classmethod
    def build(cls, codes: list[str]) -> CompactIdentifier:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        columns = [i for i, code in enumerate(full.nb_classes) if code in codes]
        if len({full.nb_classes[i] for i in columns}) != len(columns):
            raise ValueError("a language with two columns in py3langid's model")
        keys, counts, depth = _nodes(full.tk_nextmove, full.tk_row, full.tk_output)
        ptc = np.ascontiguousarray(full.nb_ptc[:, columns])
        return cls(keys, counts, depth, ptc, full.nb_pc[columns].copy(),
                   [full.nb_classes[i] for i in columns])

    def save(self, path: Path) -> None:
        """Plain arrays, no pickle: loading a cache file never runs code."""
        np.savez(path, keys=self.keys, counts=self.counts, depth=np.array(self.depth),
                 ptc=self.nb_ptc, pc=self.nb_pc, classes=np.array(self.nb_classes, dtype=str))

    @classmethod
    def load(cls, path: Path) -> CompactIdentifier:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["keys"], data["counts"], int(data["depth"]), data["ptc"],
                       data["pc"], [str(c) for c in data["classes"]])


def _nodes(nextmove: object, row_of: object, output: list[int]
           ) -> tuple[np.ndarray, np.ndarray, int]:
    """The DFA's states as (sorted keys of their strings, what each counts, longest).

    A breadth-first walk from the start: a state is first reached by the path that
    spells its string (any path to it ends in its string, and that one is shortest).
    """
    table = np.frombuffer(nextmove, dtype=np.uint32).reshape(-1, 256)  # type: ignore[call-overload]
    rows = np.frombuffer(row_of, dtype=np.uint16)  # type: ignore[call-overload]
    n = len(rows)
    value = np.zeros(n, dtype=np.uint64)
    length = np.full(n, -1, dtype=np.int64)
    length[0] = 0
    frontier = np.array([0], dtype=np.int64)
    while len(frontier):
        reached = []
        for start in range(0, len(frontier), _CHUNK):
            part = frontier[start:start + _CHUNK]
            targets = table[rows[part]].astype(np.int64)  # part x 256
            fresh = length[targets] == -1
            src = np.broadcast_to(part[:, None], targets.shape)[fresh]
            byte = np.broadcast_to(np.arange(256, dtype=np.uint64), targets.shape)[fresh]
            dst = targets[fresh]
            dst, first = np.unique(dst, return_index=True)
            new = length[dst] == -1
            dst, first = dst[new], first[new]
            length[dst] = length[src[first]] + 1
            value[dst] = (value[src[first]] << np.uint64(8)) | byte[first]
            reached.append(dst)
        frontier = np.concatenate(reached) if reached else np.zeros(0, dtype=np.int64)
    depth = int(length.max())
    if (length < 0).any() or depth > MAX_NODE - 1:
        raise ValueError("py3langid's tokenizer is not the DFA this reads")
    if output[0] >= 0:
        raise ValueError("py3langid's tokenizer counts a feature for no text")
    keys = value[1:] | (length[1:].astype(np.uint64) << np.uint64(56))
    order = np.argsort(keys)
    counts = np.asarray(output, dtype=np.int32)[1:][order]
    return keys[order], counts, depth

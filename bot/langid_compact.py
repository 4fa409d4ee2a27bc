"""py3langid's identifier in 3 MB instead of 70: its scores, from a compact table.

py3langid counts byte n-gram features by walking a DFA whose transition table
is 39 MB of 32-bit states (256 per state), beside the weights of its 97
languages (28 MB). The DFA is Aho-Corasick's: after each byte it is in the state
of the longest suffix of the text so far that is a node of its trie (at most six
bytes), and that state says which feature, if any, is counted. So the same
counts come from a sorted array of the trie's 105,000 node strings (as integers)
and what each node counts, looked up by bisection for the suffixes ending at
every byte: 1.25 MB. The weights (100,000 features, float16) are kept for the
chosen languages only: 1.8 MB for nine.

Building it needs numpy and py3langid's model (half a second, 135 MB at its
peak), so the result is cached on disk, keyed by py3langid's version and the
languages; every later start reads 3 MB (milliseconds) and scores with the
standard library only: a serving process never imports numpy (15 MB). Scores are
py3langid's (in doubles rather than float32, summed in another order: equal to
four decimals, ``tests/test_langdetect.py`` compares them on every corpus line
and on random bytes).
"""

from __future__ import annotations

import functools
import math
import struct
import sys
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Literal

from .disk_cache import load_or_build, read_blobs, write_blobs

MAX_NODE = 8  # bytes: a node string and its length fit one 64-bit key
_CHUNK = 2048  # states expanded at a time while reading the DFA (4 MB of temporaries)
FORMAT = "3"
_MASKS = [(1 << (8 * length)) - 1 for length in range(MAX_NODE)]
_LENGTHS = [length << 56 for length in range(MAX_NODE)]


def _ints(data: bytes, typecode: Literal["Q", "i"]) -> Sequence[int]:
    """The file's little-endian integers: its own bytes on a little-endian host (a copy
    held the table twice while loading, and the process kept that memory), else a copy."""
    if len(data) % array(typecode).itemsize:
        raise ValueError("an array's length is not a whole number of its items")
    if sys.byteorder == "little":
        return memoryview(data).cast(typecode)
    values = array(typecode, data)
    values.byteswap()
    return values


def _little_bytes(values: Sequence[int], typecode: str) -> bytes:
    """``values`` as the cache file holds them: little-endian, whatever the host."""
    copy = array(typecode, values)
    if sys.byteorder == "big":
        copy.byteswap()
    return copy.tobytes()


class CompactIdentifier:
    """``classify(text)`` -> (language code, normalised probability), as py3langid's
    ``LanguageIdentifier(norm_probs=True)`` restricted to ``classes`` answers."""

    def __init__(self, keys: Sequence[int], counts: Sequence[int], depth: int, ptc: bytes,
                 pc: list[float], classes: list[str]) -> None:
        self.keys = keys  # sorted node keys: length << 56 | the string, big-endian
        self.counts = counts  # the feature each node counts, -1 for none
        self.depth = depth  # the longest node, in bytes
        self.ptc = ptc  # features x classes, little-endian float16 (py3langid's weights)
        self.pc = pc
        self.classes = classes
        self._row = struct.Struct(f"<{len(classes)}e").unpack_from  # one feature's weights
        self._stride = 2 * len(classes)
        # keys[_bounds[n]:_bounds[n + 1]]: the nodes of n bytes
        self._bounds = [bisect_left(keys, key) for key in _LENGTHS] + [len(keys)]

    # -- scoring (py3langid's _decide, for distinct class labels) --------------------------
    def _features(self, data: bytes) -> dict[int, int]:
        """How often each feature is counted: after each byte, that of the longest node
        ending there. Its prefixes are nodes too, so it is at most one byte longer than
        the previous byte's: tried from there down, it is found in two tries on average."""
        keys, counts, bounds, depth = self.keys, self.counts, self._bounds, self.depth
        found: dict[int, int] = {}
        value = length = 0  # the longest node ending at the previous byte
        for byte in data:
            if length < depth:
                length += 1
            value = ((value << 8) | byte) & _MASKS[length]
            while length:
                key = value | _LENGTHS[length]
                end = bounds[length + 1]
                at = bisect_left(keys, key, bounds[length], end)
                if at < end and keys[at] == key:
                    feature = counts[at]
                    if feature >= 0:
                        found[feature] = found.get(feature, 0) + 1
                    break
                length -= 1
                value &= _MASKS[length]
        return found

    def classify(self, text: str) -> tuple[str, float]:
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        features = self._features(data)
        if features:
            scores = list(self.pc)
            by_count: dict[int, list[int]] = {}  # most features are counted once
            for feature, seen in features.items():
                by_count.setdefault(seen, []).append(feature)
            row, stride, ptc = self._row, self._stride, self.ptc
            for seen, group in by_count.items():
                weight = math.log1p(seen)
                rows = [row(ptc, feature * stride) for feature in group]
                totals = map(sum, zip(*rows, strict=True))
                scores = [s + weight * t for s, t in zip(scores, totals, strict=True)]
        else:
            scores = [0.0] * len(self.classes)
        best = max(scores)
        scale = 1.0 / math.sqrt(len(data) or 1)
        total = sum(math.exp((score - best) * scale) for score in scores)
        return self.classes[scores.index(best)], 1.0 / total

    # -- building and caching ----------------------------------------------------------
    @classmethod
    def for_languages(cls, codes: list[str], directory: Path) -> CompactIdentifier:
        """The identifier over ``codes`` (py3langid codes, each one label in its model),
        from the cache in ``directory``, else built from py3langid's model and cached."""
        version = metadata.version("py3langid")
        path = directory / f"langid-{version}-{FORMAT}-{'-'.join(sorted(codes))}.bin"
        return load_or_build(path, cls.load, functools.partial(cls.build, codes))

    @classmethod
    def build(cls, codes: list[str]) -> CompactIdentifier:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        columns = [i for i, code in enumerate(full.nb_classes) if code in codes]
        if len({full.nb_classes[i] for i in columns}) != len(columns):
            raise ValueError("a language with two columns in py3langid's model")
        keys, counts, depth = _nodes(full.tk_nextmove, full.tk_row, full.tk_output)
        ptc = full.nb_ptc[:, columns].astype("<f2").tobytes()
        return cls(keys, counts, depth, ptc, [float(p) for p in full.nb_pc[columns]],
                   [full.nb_classes[i] for i in columns])

    def save(self, path: Path) -> None:
        """The little-endian keys, counts and weights in the cache format (disk_cache)."""
        header = {"depth": self.depth, "classes": self.classes, "pc": self.pc}
        write_blobs(path, header, [_little_bytes(self.keys, "Q"),
                                   _little_bytes(self.counts, "i"), self.ptc])

    @classmethod
    def load(cls, path: Path) -> CompactIdentifier:
        """What ``save`` wrote; ValueError if the file is not that (truncated, garbled)."""
        header, (key_bytes, count_bytes, ptc) = read_blobs(path)
        keys, counts = _ints(key_bytes, "Q"), _ints(count_bytes, "i")
        if len(keys) != len(counts) or len(ptc) % (2 * len(header["classes"])):
            raise ValueError(f"{path.name}: its arrays do not fit together")
        return cls(keys, counts, header["depth"], ptc, header["pc"], header["classes"])


def _nodes(nextmove: object, row_of: object, output: list[int]
           ) -> tuple[array[int], array[int], int]:
    """The DFA's states as (sorted keys of their strings, what each counts, longest).

    A breadth-first walk from the start: a state is first reached by the path that
    spells its string (any path to it ends in its string, and that one is shortest).
    """
    import numpy as np

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
    return array("Q", keys[order].tobytes()), array("i", counts.tobytes()), depth

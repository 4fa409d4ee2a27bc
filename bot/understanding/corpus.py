"""The labelled examples the intent model learns from: ``locales/<locale>/intents.tsv``.

Each line is ``intent<TAB>text``; ``#`` starts a comment. (A content pack's own
names, "dookhan" or "farak", are looked up instead: handlers/intents.py.)

``locales/<locale>/intents_heldout.tsv`` has the same form: messages written fresh
for the evaluation only (bench/bench_understanding.py). Nothing trains on them:
``read_all`` reads the training files alone, so the held-out figures say how the
bot reads messages it has never seen.

``locales/<locale>/intents_blind.tsv`` is a second such set, written blind (before
any error of the model was looked at) and never tuned on: the figure nearest to
what a stranger's messages will get.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.i18n import locales_dir

CORPUS_NAME = "intents.tsv"
HELDOUT_NAME = "intents_heldout.tsv"
BLIND_NAME = "intents_blind.tsv"
INTENTS = (
    "lookup", "lawyer", "topic_record", "topic_refund", "topic_housing", "topic_employment",
    "topic_immigration", "stop", "wrong_number", "forget", "help", "language", "greeting",
    "thanks", "who", "yes", "no", "other",
)


@dataclass(frozen=True)
class Example:
    intent: str
    locale: str
    text: str


def corpus_paths(root: Path | None = None, name: str = CORPUS_NAME) -> list[Path]:
    return sorted((root or locales_dir()).glob(f"*/{name}"))


def read_file(path: Path, locale: str | None = None) -> list[Example]:
    """One locale's examples; a line naming an unknown intent is an error, not a guess."""
    return list(_examples(path, locale))


def _examples(path: Path, locale: str | None = None) -> Iterator[Example]:
    locale = locale or path.parent.name
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        intent, sep, text = line.partition("\t")
        if not sep or intent not in INTENTS or not text.strip():
            raise ValueError(f"{path}:{number}: expected 'intent<TAB>text' with a known intent")
        yield Example(intent, locale, text.strip())


def read_all(root: Path | None = None) -> list[Example]:
    """Every training example (never the held-out files)."""
    return list(stream(root))


def stream(root: Path | None = None) -> Iterator[Example]:
    """``read_all``'s examples one at a time, for a reader that keeps none of them."""
    for path in corpus_paths(root):
        yield from _examples(path)


def read_heldout(root: Path | None = None) -> list[Example]:
    """The held-out evaluation messages: for measuring only, never for training."""
    return [ex for path in corpus_paths(root, HELDOUT_NAME) for ex in read_file(path)]


def read_blind(root: Path | None = None) -> list[Example]:
    """The blind test messages: for measuring only, never for training or tuning."""
    return [ex for path in corpus_paths(root, BLIND_NAME) for ex in read_file(path)]


class Fingerprint:
    """The ``fingerprint`` of the examples that pass ``through`` it."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def through(self, examples: Iterable[Example]) -> Iterator[Example]:
        for ex in examples:
            self._digest.update(f"{ex.intent}\t{ex.locale}\t{ex.text}\n".encode())
            yield ex

    def hexdigest(self) -> str:
        return self._digest.hexdigest()[:16]


def fingerprint(examples: Iterable[Example]) -> str:
    """Changes whenever any example does: the cached model is then trained again."""
    found = Fingerprint()
    for _ex in found.through(examples):
        pass
    return found.hexdigest()

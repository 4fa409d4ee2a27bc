"""How fast is free-text understanding? ``python bench/bench_intents.py [--n 200]``.

Classifies every line of the utterance corpus N times (with the Massachusetts
pack's keywords) and prints the mean, median and p99 time per call, plus the
first call of a fresh classifier (loading and indexing the tables).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.content import ContentPack  # noqa: E402
from handlers import intents  # noqa: E402


def corpus() -> list[str]:
    shared = ROOT.parent / "shared/corpus/utterances.tsv"
    path = shared if shared.is_file() else ROOT / "tests/data/utterances.tsv"
    return [line.split("\t", 2)[2] for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="passes over the corpus")
    args = parser.parse_args()
    pack = ContentPack.load("massachusetts")
    texts = corpus()

    start = time.perf_counter()
    classifier = intents.Classifier(intents.load_table(), pack.keywords())
    build = time.perf_counter() - start

    times: list[float] = []
    for _ in range(args.n):
        for text in texts:
            t0 = time.perf_counter()
            classifier.classify(text)
            times.append(time.perf_counter() - t0)
    times.sort()
    us = [t * 1e6 for t in times]
    print(f"classifier build (tables + pack keywords): {build * 1e3:.1f} ms")
    print(f"calls: {len(us)} ({len(texts)} corpus lines x {args.n})")
    print(f"mean {statistics.fmean(us):.1f} us, median {us[len(us) // 2]:.1f} us, "
          f"p99 {us[int(len(us) * 0.99)]:.1f} us, max {us[-1]:.1f} us")
    long = "was my case affected " * 70  # about 1,500 characters, the longest accepted
    t0 = time.perf_counter()
    classifier.classify(long)
    print(f"a {len(long)}-character message: {(time.perf_counter() - t0) * 1e6:.0f} us")


if __name__ == "__main__":
    main()

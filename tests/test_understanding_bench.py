"""The held-out evaluation runs and stays above floors well below its measured figures.

bench/bench_understanding.py prints the figures (README, "Teaching the bot new
words"); these floors only catch a corpus or model change that makes things much
worse, so that a busy machine or a new example never makes them flap.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))

import bench_understanding  # noqa: E402

FLOORS = {"menu": 0.65, "first": 0.72, "yes_no": 0.95, "dates": 0.95, "shared": 0.95}
LANGUAGE_FLOOR = 0.55
# The held-out sets (never trained on): measured 91.6 % at the menu, 94 % as a first
# message, every language at 89 % or more, yes/no 97.8 %.
HELD_OUT_FLOORS = {"menu": 0.8, "first": 0.85}
HELD_OUT_LANGUAGE_FLOOR = 0.7
P50_US = 500  # measured about 45 µs (p99 under 0.5 ms) on a quiet machine: these are
P99_US = 10_000  # floors for a machine shared with the whole suite, not the goal (2 ms)


@pytest.fixture(scope="module")
def report() -> bench_understanding.Report:
    return bench_understanding.evaluate(k=3)


def test_held_out_accuracy_stays_above_its_floors(report):
    for name, floor in FLOORS.items():
        assert getattr(report, name) >= floor, (name, getattr(report, name))
    assert min(report.per_locale.values()) >= LANGUAGE_FLOOR, report.per_locale
    assert len(report.per_locale) == 11


def test_messages_never_trained_on_stay_above_their_floors(report):
    for name, floor in HELD_OUT_FLOORS.items():
        assert getattr(report.heldout, name) >= floor, (name, getattr(report.heldout, name))
    assert min(report.heldout.per_locale.values()) >= HELD_OUT_LANGUAGE_FLOOR, \
        report.heldout.per_locale
    assert len(report.heldout.per_locale) == 11
    assert report.heldout_yes_no >= FLOORS["yes_no"]


def test_every_language_is_written_down_and_told_apart(report):
    assert report.locale >= 0.8
    assert report.locale_sure_precision >= 0.9


def test_classifying_stays_fast(report):
    assert report.p50_us < P50_US and report.p99_us < P99_US, (report.p50_us, report.p99_us)


def test_the_folds_never_train_on_what_they_judge():
    examples = bench_understanding.read_all()
    fold_of = bench_understanding.folds(examples, 3)
    for fold in range(3):
        judged = {id(e) for e, f in zip(examples, fold_of, strict=True) if f == fold}
        trained = {id(e) for e, f in zip(examples, fold_of, strict=True) if f != fold}
        assert judged and not judged & trained

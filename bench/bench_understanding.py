"""How well and how fast is free text understood? ``python bench/bench_understanding.py``.

Held-out evaluation: the corpora (``locales/<locale>/intents.tsv``) are split into
five folds, each example in its (locale, intent) group going to one fold; a model
trained on four folds classifies the fifth, so every example is judged by a model
that never saw it. Printed: accuracy at the menu (the intent), as a first message
(what the person gets: greetings, thanks, yes/no, "other" and language requests
all get the welcome menu), per language, per intent, the commonest confusions.
Then the model trained on every corpus line judges the held-out sets
(``locales/<locale>/intents_heldout.tsv``: messages written fresh, never trained
on), with the same figures beside the k-fold ones: a model that learned its
corpus by heart scores well on the folds and badly there. Then the blind sets
(``locales/<locale>/intents_blind.tsv``: written before any error was looked at,
never trained or tuned on). Then the shared corpus
(``../shared/corpus/utterances.tsv``); yes/no answers and dates of birth in
every language; classification latency (p50/p99), model start-up time and
memory (a fresh process loading the cached model).

    python bench/bench_understanding.py            # everything
    python bench/bench_understanding.py --folds 3  # quicker
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.understanding.corpus import Example, read_all, read_blind, read_heldout  # noqa: E402
from bot.understanding.model import Ranked, UnderstandingModel  # noqa: E402
from bot.understanding.yesno import yes_no  # noqa: E402
from handlers.clarify import decide  # noqa: E402
from handlers.dates import BadDate, parse_birth_date  # noqa: E402
from handlers.welcome import CORPUS_LOCALE_SURE as LOCALE_SURE  # noqa: E402

SHARED = ROOT.parent / "shared/corpus/utterances.tsv"
LOCAL = ROOT / "tests/data/utterances.tsv"
# What a first message gets: these intents all get the welcome and its menus.
WELCOMED = frozenset({"greeting", "other", "thanks", "yes", "no", "language", "help", "who"})
TODAY = dt.date(2026, 1, 15)
# Dates of birth as people write them, in every language (none is in the tests).
DATES = [
    ("en", "july 4th 1980", (1980, 7, 4)), ("en", "Dec 25, 1969", (1969, 12, 25)),
    ("en", "born on the 2nd of feb 1990", (1990, 2, 2)), ("en", "10/31/1977", (1977, 10, 31)),
    ("en", "1984-06-30", (1984, 6, 30)), ("en", "8/15/85", (1985, 8, 15)),
    ("es", "4 de julio de 1980", (1980, 7, 4)), ("es", "25 diciembre 1969", (1969, 12, 25)),
    ("es", "naci el 2 de febrero del 90", (1990, 2, 2)), ("es", "31/10/1977", (1977, 10, 31)),
    ("es", "el 30 de junio de 1984", (1984, 6, 30)), ("es", "15 de agosto 1985", (1985, 8, 15)),
    ("pt_BR", "4 de julho de 1980", (1980, 7, 4)), ("pt_BR", "25 de dezembro de 1969",
                                                    (1969, 12, 25)),
    ("pt_BR", "nasci dia 2 de fevereiro de 1990", (1990, 2, 2)),
    ("pt_BR", "31/10/1977", (1977, 10, 31)), ("pt_BR", "15 agosto 1985", (1985, 8, 15)),
    ("ht", "4 jiyè 1980", (1980, 7, 4)), ("ht", "25 desanm 1969", (1969, 12, 25)),
    ("ht", "mwen fèt 2 fevriye 1990", (1990, 2, 2)), ("ht", "31 oktòb 1977", (1977, 10, 31)),
    ("ht", "15 out 1985", (1985, 8, 15)), ("ht", "30 jen 1984", (1984, 6, 30)),
    ("kea", "4 di Julhu di 1980", (1980, 7, 4)), ("kea", "25 di Dizenbru 1969", (1969, 12, 25)),
    ("kea", "N nase dia 2 di Fevereru di 1990", (1990, 2, 2)),
    ("kea", "31 Otubru 1977", (1977, 10, 31)), ("kea", "15 di agostu 1985", (1985, 8, 15)),
    ("vi", "ngày 4 tháng 7 năm 1980", (1980, 7, 4)), ("vi", "25 tháng 12 năm 1969",
                                                      (1969, 12, 25)),
    ("vi", "sinh ngày 2 tháng 2 năm 1990", (1990, 2, 2)), ("vi", "31/10/1977", (1977, 10, 31)),
    ("vi", "15 thang 8 1985", (1985, 8, 15)),
    ("km", "4 កក្កដា 1980", (1980, 7, 4)), ("km", "ថ្ងៃទី ២៥ ខែធ្នូ ឆ្នាំ ១៩៦៩", (1969, 12, 25)),
    ("km", "31/10/1977", (1977, 10, 31)), ("km", "15 សីហា 1985", (1985, 8, 15)),
    ("zh_Hans", "1980年7月4日", (1980, 7, 4)), ("zh_Hans", "1969年12月25号", (1969, 12, 25)),
    ("zh_Hans", "我1990年2月2日出生", (1990, 2, 2)), ("zh_Hans", "1977-10-31", (1977, 10, 31)),
    ("zh_Hant", "1980年7月4日", (1980, 7, 4)), ("zh_Hant", "生日是1969年12月25日",
                                                  (1969, 12, 25)),
    ("zh_Hant", "１９８５年８月１５日", (1985, 8, 15)),
    ("ru", "4 июля 1980", (1980, 7, 4)), ("ru", "25 декабря 1969 г.", (1969, 12, 25)),
    ("ru", "родилась 2 февраля 1990 года", (1990, 2, 2)), ("ru", "31.10.1977", (1977, 10, 31)),
    ("ru", "15 августа 1985", (1985, 8, 15)),
    ("ar", "4 يوليو 1980", (1980, 7, 4)), ("ar", "٢٥ ديسمبر ١٩٦٩", (1969, 12, 25)),
    ("ar", "ولدت في 2 فبراير 1990", (1990, 2, 2)), ("ar", "٣١/١٠/١٩٧٧", (1977, 10, 31)),
    ("ar", "15 آب 1985", (1985, 8, 15)), ("ar", "30 حزيران 1984", (1984, 6, 30)),
    ("en", "born 11/22/1979", (1979, 11, 22)), ("en", "Sept 9 '91", (1991, 9, 9)),
    ("kea", "22 di Novenbru 1979", (1979, 11, 22)),
    ("km", "ថ្ងៃទី៥ ខែមករា ឆ្នាំ១៩៧០", (1970, 1, 5)), ("zh_Hans", "一九七零年一月五日", (1970, 1, 5)),
]


@dataclass
class Scores:
    """How many examples were read right: at the menu, as a first message, per
    language, per intent, and the commonest confusions."""

    menu: float = 0.0
    first: float = 0.0
    per_locale: dict[str, float] = field(default_factory=dict)
    per_intent: dict[str, float] = field(default_factory=dict)
    first_per_locale: dict[str, float] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    examples: int = 0


@dataclass
class Report(Scores):
    heldout: Scores = field(default_factory=Scores)
    blind: Scores = field(default_factory=Scores)
    shared: float = 0.0
    shared_misses: list[tuple[str, str, str]] = field(default_factory=list)
    yes_no: float = 0.0
    heldout_yes_no: float = 0.0
    dates: float = 0.0
    date_misses: list[str] = field(default_factory=list)
    p50_us: float = 0.0
    p99_us: float = 0.0
    cpu_p99_us: float = 0.0
    train_s: float = 0.0
    locale: float = 0.0
    locale_sure_precision: float = 0.0
    locale_sure_coverage: float = 0.0
    stops_caught: dict[str, float] = field(default_factory=dict)
    stop_false_alarms: float = 0.0


def folds(examples: list[Example], k: int) -> list[int]:
    """Fold of each example: round-robin inside each (locale, intent) group."""
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for ex in examples:
        group = (ex.locale, ex.intent)
        out.append(seen[group] % k)
        seen[group] += 1
    return out


def shared_corpus() -> list[Example]:
    path = SHARED if SHARED.is_file() else LOCAL
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            intent, locale, text = line.split("\t", 2)
            rows.append(Example(intent, locale, text))
    return rows


def _rate(hits: list[bool]) -> float:
    return sum(hits) / len(hits) if hits else 0.0


def first_hit(predicted: str, intent: str) -> bool:
    """What a first message gets is right: the intent, or the welcome for any of WELCOMED."""
    return predicted == intent or (predicted in WELCOMED and intent in WELCOMED)


def _score(scores: Scores, predicted: list[str], examples: list[Example]) -> None:
    hits = [p == ex.intent for p, ex in zip(predicted, examples, strict=True)]
    firsts = [first_hit(p, ex.intent) for p, ex in zip(predicted, examples, strict=True)]
    scores.examples = len(examples)
    scores.menu = _rate(hits)
    scores.first = _rate(firsts)
    by_locale: dict[str, list[bool]] = defaultdict(list)
    first_by_locale: dict[str, list[bool]] = defaultdict(list)
    by_intent: dict[str, list[bool]] = defaultdict(list)
    confused: Counter[tuple[str, str]] = Counter()
    for p, ex, hit, first in zip(predicted, examples, hits, firsts, strict=True):
        by_locale[ex.locale].append(hit)
        first_by_locale[ex.locale].append(first)
        by_intent[ex.intent].append(hit)
        if not hit:
            confused[(ex.intent, p)] += 1
    scores.per_locale = {loc: _rate(h) for loc, h in sorted(by_locale.items())}
    scores.first_per_locale = {loc: _rate(h) for loc, h in sorted(first_by_locale.items())}
    scores.per_intent = {i: _rate(h) for i, h in sorted(by_intent.items())}
    scores.confusions = [(a, b, n) for (a, b), n in confused.most_common(12)]


def caught(ranked: Ranked, text: str) -> bool:
    """A stop is acted on or asked about ("Do you want to stop...?"): never let through."""
    decision = decide(ranked, len(text.split()))
    return decision.action == "confirm_stop" or (decision.action == "act"
                                                 and decision.intent == "stop")


def evaluate(k: int = 5) -> Report:
    examples = read_all()
    fold_of = folds(examples, k)
    predicted: list[str] = [""] * len(examples)
    ranked: list[Ranked] = [Ranked((("other", 1.0),))] * len(examples)
    located: list[tuple[str | None, float]] = [(None, 0.0)] * len(examples)
    for fold in range(k):
        model = UnderstandingModel.train([e for e, f in zip(examples, fold_of, strict=True)
                                          if f != fold])
        for i, ex in enumerate(examples):
            if fold_of[i] == fold:
                ranked[i] = model.understand(ex.text)
                predicted[i] = ranked[i].intent
                located[i] = model.locale(ex.text)
    report = Report()
    report.locale = _rate([loc == ex.locale for (loc, _), ex in zip(located, examples,
                                                                     strict=True)])
    sure = [(loc, ex.locale) for (loc, p), ex in zip(located, examples, strict=True)
            if p >= LOCALE_SURE]
    report.locale_sure_precision = _rate([a == b for a, b in sure])
    report.locale_sure_coverage = len(sure) / len(examples)
    _score(report, predicted, examples)
    start = time.perf_counter()
    full = UnderstandingModel.train(examples)
    report.train_s = time.perf_counter() - start
    heldout = read_heldout()
    _score(report.heldout, [full.understand(ex.text).intent for ex in heldout], heldout)
    blind = read_blind()
    _score(report.blind, [full.understand(ex.text).intent for ex in blind], blind)
    report.stops_caught = {
        "k-fold": _rate([caught(r, ex.text) for r, ex in zip(ranked, examples, strict=True)
                         if ex.intent == "stop"]),
        "held-out": _rate([caught(full.understand(ex.text), ex.text) for ex in heldout
                           if ex.intent == "stop"]),
        "blind": _rate([caught(full.understand(ex.text), ex.text) for ex in blind
                        if ex.intent == "stop"])}
    report.stop_false_alarms = _rate([caught(r, ex.text) for r, ex in zip(ranked, examples,
                                                                           strict=True)
                                      if ex.intent not in ("stop", "wrong_number", "forget")])
    shared = shared_corpus()
    report.shared = _rate([full.understand(ex.text).intent == ex.intent for ex in shared])
    report.shared_misses = [(ex.intent, full.understand(ex.text).intent, ex.text)
                            for ex in shared if full.understand(ex.text).intent != ex.intent]

    def answered_right(ex: Example) -> bool:
        said = yes_no(ex.text)
        return (said if said is not None else full.understand(ex.text).intent == "yes") \
            == (ex.intent == "yes")

    report.yes_no = _rate([answered_right(ex) for ex in examples if ex.intent in ("yes", "no")])
    report.heldout_yes_no = _rate([answered_right(ex) for ex in heldout
                                   if ex.intent in ("yes", "no")])
    date_hits = []
    for locale, said, ymd in DATES:
        try:
            ok = parse_birth_date(said, TODAY, (locale, "en")) == dt.date(*ymd)
        except BadDate:
            ok = False
        date_hits.append(ok)
        if not ok:
            report.date_misses.append(f"{locale}: {said}")
    report.dates = _rate(date_hits)

    texts = [ex.text for ex in examples + heldout + blind + shared]
    times, cpu = [], []
    for text in texts * 3:
        start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
        full.understand(text)
        cpu.append((time.thread_time_ns() - start_cpu) / 1000)
        times.append((time.perf_counter_ns() - start) / 1000)
    times.sort()
    cpu.sort()
    report.p50_us = statistics.median(times)
    report.p99_us = times[int(len(times) * 0.99)]
    report.cpu_p99_us = cpu[int(len(cpu) * 0.99)]  # without the time other processes had
    return report


START_UP = """
import json, sys, time
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
import aiohttp, babel.dates, bot.config, bot.content, bot.i18n, bot.storage  # loaded anyway
before = rss(); start = time.perf_counter()
from handlers import intents
intents.Understanding().classify("was my case affected")
print(json.dumps({"seconds": time.perf_counter() - start, "rss_mb": rss() - before}))
"""


def start_up() -> dict[str, float]:
    """A fresh process with the bot's modules loaded: what importing numpy and loading the
    cached model add (after one warm-up run that trains and caches it if needed)."""
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", START_UP], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
    return json.loads(out)


def _print_scores(folds: Scores, held: Scores) -> None:
    print(f"  at the menu        {folds.menu:6.1%} | {held.menu:6.1%}")
    print(f"  as first message   {folds.first:6.1%} | {held.first:6.1%}")
    for title, a, b in (("per language (menu)", folds.per_locale, held.per_locale),
                        ("per language (first)", folds.first_per_locale, held.first_per_locale),
                        ("per intent (menu)", folds.per_intent, held.per_intent)):
        print(f"  {title}")
        for name in sorted(a.keys() | b.keys()):
            print(f"    {name:18} {a.get(name, 0):6.1%} | {b.get(name, 0):6.1%}")
    for name, scores in (("k-fold", folds), ("held-out sets", held)):
        print(f"  confusions, {name} (true -> predicted: n) "
              + ", ".join(f"{a}->{b}: {n}" for a, b, n in scores.confusions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    r = evaluate(args.folds)
    print(f"{args.folds}-fold held-out on the corpus, {r.examples} examples | held-out sets "
          f"(never trained on), {r.heldout.examples} examples")
    _print_scores(r, r.heldout)
    print(f"  language of the text  {r.locale:6.1%}; at >= {LOCALE_SURE}: "
          f"{r.locale_sure_precision:.1%} right, for {r.locale_sure_coverage:.0%} of texts")
    b = r.blind
    print(f"blind sets (never trained or tuned on), {b.examples} examples: menu {b.menu:.1%}, "
          f"first message {b.first:.1%}")
    print("  per language (menu) " + ", ".join(f"{k} {v:.0%}" for k, v in b.per_locale.items()))
    print("  confusions " + ", ".join(f"{x}->{y}: {n}" for x, y, n in b.confusions))
    print("stop requests stopped or asked about (model alone, before the carrier keywords) "
          + ", ".join(f"{k} {v:.1%}" for k, v in r.stops_caught.items())
          + f"; other k-fold messages asked: {r.stop_false_alarms:.1%}")
    print(f"shared corpus (model trained on all)  {r.shared:6.1%}")
    for intent, got, text in r.shared_misses:
        print(f"    {intent} -> {got}: {text}")
    print(f"yes/no answers      {r.yes_no:6.1%} corpus | {r.heldout_yes_no:6.1%} held-out sets")
    print(f"dates of birth      {r.dates:6.1%}  " + "; ".join(r.date_misses))
    print(f"classify latency    p50 {r.p50_us:.0f} µs  p99 {r.p99_us:.0f} µs "
          f"(CPU time p99 {r.cpu_p99_us:.0f} µs: a busy machine's wait left out)")
    up = start_up()
    print(f"training            {r.train_s:.2f} s (first start after a corpus change)")
    print(f"start-up (cached)   {up['seconds'] * 1000:.0f} ms, +{up['rss_mb']:.1f} MB RSS")


if __name__ == "__main__":
    main()

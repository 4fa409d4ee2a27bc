"""The held-out and blind sets (locales/<locale>/intents_heldout.tsv, intents_blind.tsv)
are never trained on.

Their figures (bench/bench_understanding.py) only say how the bot reads messages
it has never seen if no held-out message reaches the model: not through the
corpus reader, not as a copy in a training file.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.understanding.corpus import (
    BLIND_NAME,
    CORPUS_NAME,
    HELDOUT_NAME,
    INTENTS,
    fingerprint,
    read_all,
    read_blind,
    read_heldout,
)
from bot.understanding.model import fold, load_or_train

PER_INTENT = 8  # held-out messages per intent and locale, at least
BLIND_PER_LOCALE = 15
SHIPPED = {"en", "es", "pt_BR", "ht", "kea", "vi", "zh_Hant", "zh_Hans", "km", "ru", "ar"}


def _key(locale: str, text: str) -> tuple[str, str]:
    return locale, fold(text).strip(" ?!.,¿¡？！。，")


def test_the_trainer_reads_the_corpus_and_never_the_held_out_file(tmp_path: Path) -> None:
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / CORPUS_NAME).write_text("stop\tquit it\nyes\tyes sure\n", "utf-8")
    (tmp_path / "xx" / HELDOUT_NAME).write_text("stop\tknock it off\n", "utf-8")
    (tmp_path / "xx" / BLIND_NAME).write_text("no\tnope\n", "utf-8")
    trained = read_all(tmp_path)
    key = fingerprint(trained)
    assert [ex.text for ex in trained] == ["quit it", "yes sure"]
    assert [ex.text for ex in read_heldout(tmp_path)] == ["knock it off"]
    assert [ex.text for ex in read_blind(tmp_path)] == ["nope"]

    # Changing the held-out file neither changes what is trained nor retrains the cache.
    (tmp_path / "xx" / HELDOUT_NAME).write_text("stop\tknock it off\nyes\tyep fine\n", "utf-8")
    assert fingerprint(read_all(tmp_path)) == key
    cache = tmp_path / "cache"
    load_or_train(read_all(tmp_path), cache)
    (tmp_path / "xx" / HELDOUT_NAME).write_text("no\tnah\n", "utf-8")
    (tmp_path / "xx" / BLIND_NAME).write_text("yes\tyup\n", "utf-8")
    load_or_train(read_all(tmp_path), cache)
    assert len(list(cache.glob("*.bin"))) == 1


def test_no_held_out_or_blind_message_is_in_a_training_file() -> None:
    trained = {_key(ex.locale, ex.text) for ex in read_all()}
    copied = [(ex.locale, ex.text) for ex in read_heldout() + read_blind()
              if _key(ex.locale, ex.text) in trained]
    assert not copied


def test_no_blind_message_is_also_a_held_out_one() -> None:
    heldout = {_key(ex.locale, ex.text) for ex in read_heldout()}
    assert not [(ex.locale, ex.text) for ex in read_blind()
                if _key(ex.locale, ex.text) in heldout]


def test_every_shipped_locale_has_a_blind_set() -> None:
    counts = Counter(ex.locale for ex in read_blind())
    assert set(counts) == SHIPPED
    assert min(counts.values()) >= BLIND_PER_LOCALE


def test_every_shipped_locale_has_held_out_messages_for_every_intent() -> None:
    counts = Counter((ex.locale, ex.intent) for ex in read_heldout())
    assert {locale for locale, _ in counts} == SHIPPED
    short = {(locale, intent): counts[(locale, intent)] for locale in SHIPPED
             for intent in INTENTS if counts[(locale, intent)] < PER_INTENT}
    assert not short

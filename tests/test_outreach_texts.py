"""Campaign texts: discretion warnings, placeholders, segments and cost; pacing and quiet hours."""

from __future__ import annotations

import datetime as dt
import json
import random
from bisect import bisect_left

import pytest

from bot.config import ConfigError
from bot.hours import QuietHours
from bot.i18n import Translator
from bot.outreach import discretion, texts
from bot.outreach.texts import TextProblem
from bot.pacing import Pacer

ORG = "Case Help Project"


def codes(text: str, org: str = ORG, extra: tuple[str, ...] = ()) -> list[str]:
    return [w.code for w in discretion.check(text, org, extra)]


@pytest.mark.parametrize("locale", ["en", "es"])
def test_the_default_texts_pass_the_discretion_check(locale):
    text = texts.default_text(Translator(["en", "es"]), locale)
    assert codes(text) == []
    assert texts.fill(text, _config()).startswith("Case Help Project ")


def test_an_organisation_name_that_gives_the_case_away_is_flagged_apart():
    text = texts.default_text(Translator(["en"]), "en")
    found = discretion.check(text, "Drug Lab Case Help (demo)")
    assert [w.code for w in found] == ["org_name"]


@pytest.mark.parametrize("text, words", [
    ("{org}: news about your drug case. Reply YES. Reply STOP to end.", "drug"),
    ("{org}: the COURT dismissed your conviction. Reply YES. Reply STOP to end.",
     "conviction, court"),
    ("{org}: su caso de drogas en la corte. Responda SI. Responda PARAR.", "corte, drogas"),
    ("{org}: sobre la cocaína y el delito. Responda SI. Responda PARAR.", "cocaina, delito"),
    ("{org}: about the Hinton lab. Reply YES. Reply STOP.", "hinton, lab"),
])
def test_texts_naming_a_case_a_court_or_an_offence_are_flagged(text, words):
    found = discretion.check(text, ORG)
    assert [w.code for w in found] == ["forbidden"]
    assert found[0].kwargs == {"words": words}


def test_registry_names_count_too_and_words_inside_words_do_not():
    text = "{org}: news from Springfield District. Reply YES. Reply STOP."
    assert codes(text, extra=("Springfield District",)) == ["forbidden"]
    assert codes("{org}: labor and courtesy matter. Reply YES. Reply STOP.") == []


def test_missing_organisation_reply_or_stop_are_flagged():
    assert codes("Hello. Reply YES. Reply STOP.") == ["no_org"]
    assert codes("Case Help Project says hello. Reply STOP to end.") == ["no_reply"]
    assert codes("{org} says hello. Reply YES to learn more.") == ["no_stop"]
    assert codes("{org}: hola. Responda SI. Responda PARAR para salir.") == []


@pytest.mark.parametrize("text, problem", [
    ("", "The message is empty."),
    ("Hi {name}", "Unknown placeholder {name}. Use only {known}."),
    ("Hi {org", "A brace is not closed. Use only {known}."),
    ("x" * 1001, "The message is too long (at most {n} characters)."),
])
def test_unusable_texts_are_refused(text, problem):
    with pytest.raises(TextProblem) as err:
        texts.check_placeholders(text)
    assert err.value.msgid == problem


def test_segments_and_cost():
    plain = texts.estimate("a" * 160, 1000, 0.0079)
    assert (plain.segments, plain.unicode, plain.cost) == (1, False, 7.9)
    long = texts.estimate("a" * 161, 1000, 0.0079)
    assert (long.segments, long.cost) == (2, 15.8)
    accented = texts.estimate("Información: " + "a" * 60, 10, 0.01)  # ó is not GSM-7
    assert (accented.segments, accented.unicode, accented.cost) == (2, True, 0.2)
    assert texts.for_channel("\u201cReply\u201d YES", "sms") == '"Reply" YES'


def _config():
    from bot.config import load_config

    return load_config(None, env={}).replace("organization", "name", ORG)


# -- pacing --------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("rate", [1.0, 7.0, 100.0, 1000.0])
def test_the_pacer_never_goes_above_the_rate_even_after_a_stall(rate):
    clock, rng = Clock(), random.Random(1)
    pacer = Pacer(rate, clock=clock)
    starts = []
    n = max(60, int(rate * 10))
    for i in range(n):
        clock.now += pacer.reserve()
        if i == n // 2:
            clock.now += 0.3  # the event loop was busy: this send starts late
        clock.now += rng.uniform(0, 0.05 / rate)  # sleeps overshoot a little
        pacer.sent()
        starts.append(clock.now)
    cap = round(rate)
    busiest = max(bisect_left(starts, t + cap / rate) - i for i, t in enumerate(starts))
    assert busiest <= cap
    achieved = (len(starts) - 1) / (starts[-1] - starts[0])
    assert 0.95 * rate <= achieved <= rate


@pytest.mark.parametrize("rate, burst", [(10.0, 0.0), (100.0, 1.0), (1000.0, 0.5)])
def test_granting_a_batch_is_taking_its_slots_one_by_one(rate, burst):
    """The outbox worker grants a batch at once: the schedule and the window it leaves
    are those of the same slots taken one at a time, and unused ones go back."""
    clocks, rng = (Clock(), Clock()), random.Random(2)
    batched, single = (Pacer(rate, burst=burst, clock=c) for c in clocks)
    for _ in range(200):
        step = rng.uniform(0, 3 / rate)
        for c in clocks:
            c.now += step
        want, unused = rng.randint(0, 40), rng.randint(0, 5)
        granted = batched.grant(want)
        room = min(want, single.available())
        for _ in range(room):
            single.take()
        assert granted == room
        batched.ungrant(min(unused, granted))
        single.ungrant(min(unused, granted))
        ours, theirs = json.loads(batched.dump()), json.loads(single.dump())
        assert ours["recent"] == theirs["recent"]
        assert ours["next"] == pytest.approx(theirs["next"], abs=1e-9)
        assert batched.wait_time() == pytest.approx(single.wait_time(), abs=1e-9)


def test_a_held_pacer_waits_then_resumes_the_schedule():
    clock = Clock()
    pacer = Pacer(10.0, clock=clock)
    assert pacer.reserve() == 0.0
    pacer.sent()
    pacer.hold(2.0)  # 429: slow down
    assert pacer.reserve() == pytest.approx(2.0)


# -- quiet hours ------------------------------------------------------------------------

def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_quiet_hours_in_the_recipients_time_zone():
    quiet = QuietHours("America/New_York", "08:00", "21:00")
    assert quiet.allowed(utc(2026, 11, 25, 13, 0))  # 08:00 EST
    assert not quiet.allowed(utc(2026, 11, 25, 12, 59))  # 07:59
    assert not quiet.allowed(utc(2026, 11, 26, 2, 0))  # 21:00
    assert quiet.opens_at(utc(2026, 11, 26, 3, 0)) == utc(2026, 11, 26, 13, 0)
    assert quiet.opens_at(utc(2026, 7, 1, 1, 0)) == utc(2026, 7, 1, 12, 0)  # EDT
    night = QuietHours("America/New_York", "22:00", "06:00")  # a window across midnight
    assert night.allowed(utc(2026, 11, 26, 4, 0)) and not night.allowed(utc(2026, 11, 25, 15))


@pytest.mark.parametrize("zone, start, end", [
    ("Mars/Olympus", "08:00", "21:00"), ("America/New_York", "8h", "21:00"),
    ("America/New_York", "09:00", "09:00")])
def test_bad_quiet_hour_settings_name_the_key(zone, start, end):
    with pytest.raises(ConfigError, match=r"\[outreach\]"):
        QuietHours(zone, start, end)

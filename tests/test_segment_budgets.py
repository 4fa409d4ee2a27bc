"""SMS budgets in every shipped locale, through the real dialogue and the SMS channel's own
rendering and splitter: HELP and the STOP confirmation fit one SMS (GSM-7) or two (UCS-2)
and name the organisation and STOP; the first SMS fits two segments; nothing a person must
read waits behind MORE; a whole dismissed-case conversation costs at most 1.5 times
English."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

import pytest

from bot.app import App
from bot.channels import sms_render
from bot.i18n import shipped_locales
from bot.model import Inbound, Option, Reply
from tests.dialogue_support import import_registry

LOCALES = shipped_locales()
ROOT = Path(__file__).resolve().parent.parent


def sent_parts(app: App, locale: str, reply: Reply) -> list[str]:
    """What the SMS channel sends for one reply: the first part, then each MORE."""
    _ = functools.partial(app.translator.gettext, locale)
    limit = app.config.sms.max_segments
    text, rest = sms_render.fit(sms_render.render(reply, _, limit), _, limit)
    parts = [text]
    while rest:
        text, rest = sms_render.fit(rest, _, limit)
        parts.append(text)
    return parts


async def say(app: App, text: str, who: str = "+16175550142") -> tuple[str, list[list[str]]]:
    turn = await app.dialogue.handle(Inbound("sms", who, text))
    return turn.locale, [sent_parts(app, turn.locale, r) for r in turn.replies]


async def choose(app: App, locale: str) -> None:
    _, first = await say(app, "hi")
    name = app.translator.language_name(locale)
    await say(app, name)
    state = await app.dialogue.handle(Inbound("sms", "+16175550142", "MENU"))
    assert state.locale == locale


@pytest.fixture
async def sms_app(config, clock):
    app = await App.create(config, clock=clock)
    try:
        yield app
    finally:
        await app.close()


@pytest.mark.parametrize("locale", LOCALES)
async def test_help_and_stop_fit_one_sms_and_name_the_organisation_and_stop(sms_app, locale):
    await choose(sms_app, locale)
    org = sms_app.config.organization.name
    for word in ("HELP", "STOP"):
        _, replies = await say(sms_app, word)
        assert len(replies) == 1 and len(replies[0]) == 1, (word, replies)  # nothing behind MORE
        text = replies[0][0]
        budget = 1 if sms_render.is_gsm7(text) else 2
        assert sms_render.segments(text) <= budget, (word, text)
        assert org in text and "STOP" in text, (word, text)


# Deployments whose default language writes in GSM-7 (the shipped default is English). A
# non-Latin default language is UCS-2: its first SMS costs three segments or more.
@pytest.mark.parametrize("locale", ["en", "es", "pt_BR", "ht", "kea"])
async def test_the_first_sms_fits_two_segments(config, clock, locale):
    app = await App.create(config.replace("dialogue", "default_locale", locale), clock=clock)
    try:
        _, replies = await say(app, "hi")
    finally:
        await app.close()
    assert len(replies) == 1 and len(replies[0]) == 1, replies  # one SMS, nothing behind MORE
    assert sms_render.segments(replies[0][0]) <= 2, replies[0][0]
    assert "LANGUAGE" in replies[0][0]


@pytest.mark.parametrize("locale", LOCALES)
async def test_the_handoff_gives_the_phone_number_in_its_first_sms(sms_app, locale):
    await choose(sms_app, locale)
    _, replies = await say(sms_app, "3")  # talk to a lawyer
    first = replies[0][0]
    assert sms_app.config.organization.phone in first, replies[0]


@pytest.mark.parametrize("locale", LOCALES)
async def test_immigration_says_talk_to_a_lawyer_first_in_the_first_sms(sms_app, locale):
    await choose(sms_app, locale)
    await say(sms_app, "2")  # what a dismissal means: the topics
    _, replies = await say(sms_app, "5")
    must = sms_app.translator.gettext(locale, sms_app.content.source(
        "must_read", "topics", "immigration", "body"))
    first = replies[-1][0]
    assert sms_render.plain(must) in first or must in first, replies[-1]
    assert sms_render.segments(first) <= 3


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_dismissed_case_says_it_cannot_be_charged_again_in_the_first_sms(
        config, clock, registry, locale):
    app = await App.create(config, clock=clock)
    try:
        await choose(app, locale)
        for answer in ("1", "0912-CR-004411", "Nunez"):
            await say(app, answer)
        _, replies = await say(app, "03/14/1975")
        must = app.translator.gettext(locale, app.content.source(
            "must_read", "status", "dismissed"))
    finally:
        await app.close()
    first = replies[0][0]
    assert "Boston Municipal Court" in first
    assert sms_render.plain(must) in first or must in first, replies[0]


def test_the_compact_menu_is_never_cut_after_its_announcement():
    _ = functools.partial(lambda msgid, **kw: msgid.format(**kw))
    reply = Reply("Thank you. " * 9 + "Choose one.", [Option(str(i), f"Choice number {i}")
                                                      for i in range(1, 8)])
    text, rest = sms_render.fit(sms_render.render(reply, _, 1), _, 1)
    assert not text.removesuffix("\nReply MORE for the rest.").rstrip().endswith(":"), text
    assert rest is not None and rest.startswith(("Reply with a number:", "1 "))


@pytest.mark.parametrize("stop", ["។", "。", "؟", "।"])
def test_every_script_s_full_stop_ends_a_sentence(stop):
    _ = functools.partial(lambda msgid, **kw: msgid.format(**kw))
    sentence = "ក" * 40 + stop  # no spaces at all, as Khmer and Chinese are written
    text, rest = sms_render.fit(sentence * 4, _, 1)
    assert text.startswith(sentence) and text.endswith("Reply MORE for the rest.")
    assert rest is not None and rest.startswith("ក")


def test_one_accent_letters_are_sent_as_gsm7_and_vietnamese_is_left_alone():
    assert sms_render.plain("Información: sí, ação") == "Informacion: si, acao"
    assert sms_render.is_gsm7(sms_render.plain("¿Qué pasó? Está en revisión."))
    viet = "Vụ việc của quý vị đang được xem xét."
    assert sms_render.plain(viet) == viet


def _bench():
    spec = importlib.util.spec_from_file_location("bench_segments",
                                                  ROOT / "bench" / "bench_segments.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


async def test_a_dismissed_case_conversation_costs_at_most_one_and_a_half_times_english(
        tmp_path):
    bench = _bench()
    tallies = {loc: await bench.conversation(loc, tmp_path) for loc in LOCALES}
    english = tallies["en"].segments
    for locale, tally in tallies.items():
        assert tally.segments <= 1.5 * english, (locale, tally.segments, english)
        assert tally.largest <= 4, (locale, tally.largest, tally.largest_what)


@pytest.fixture
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)

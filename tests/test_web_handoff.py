"""The person's side of a live handoff: the thread, quiet bot, compliance words,
office hours, the closing message, and console-channel delivery of staff replies."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest

from bot.app import App
from bot.channels import console
from bot.clock import iso
from bot.config import ConfigError
from bot.storage import casework, optouts, outbox, people
from tests.conftest import both_engines
from tests.web_support import make_escalation

pytestmark = both_engines

ADDRESS = "tester"  # the conftest ConsoleSession's address


async def poll(app: App, address: str = ADDRESS) -> list[dict[str, Any]]:
    """What the console channel hands the person without them saying anything."""
    stdout = io.StringIO()
    await console.run_json(app, address, stdin=io.StringIO('{"poll": true}\n'), stdout=stdout)
    return json.loads(stdout.getvalue())["delivered"]


async def live(app: App, *, locale: str = "en", status: str = "claimed") -> int:
    esc = await make_escalation(app, channel="console", address=ADDRESS, locale=locale)
    row = await casework.escalation(app.db, esc)
    await casework.claim(app.db, row, "staff:7", iso(app.clock()))
    if status == "waiting":
        await casework.mark_waiting(app.db, row, "staff:7", iso(app.clock()))
    return esc


async def test_open_escalation_leaves_the_bot_answering(app, session):
    await session.say("hi")
    await make_escalation(app, channel="console", address=ADDRESS)
    assert (await session.say("menu"))["replies"]


async def test_while_claimed_the_message_goes_to_the_thread_and_the_bot_is_quiet(app, session):
    await session.say("hi")
    esc = await live(app)
    turn = await session.say("My date of birth is 1975-03-14")
    assert turn["replies"] == []
    row = await casework.escalation(app.db, esc)
    assert row["person_wrote_at"] is not None
    transcript = await people.transcript(app.db, row["person_id"])
    assert transcript[-1]["body"] == "My date of birth is 1975-03-14"
    assert transcript[-1]["direction"] == "in"
    assert [e["action"] for e in await casework.events(app.db, esc)][-1] == "person_wrote"


async def test_an_answer_while_waiting_makes_it_staffs_turn(app, session):
    await session.say("hi")
    esc = await live(app, status="waiting")
    assert (await session.say("yes"))["replies"] == []  # "yes" is talk, not a keyword here
    assert (await casework.escalation(app.db, esc))["status"] == "claimed"


@pytest.mark.parametrize("word", ["STOP", "help"])
async def test_compliance_words_are_still_answered(app, session, word):
    await session.say("hi")
    await live(app)
    assert (await session.say(word))["replies"]


async def test_stop_during_a_handoff_opts_out(app, session):
    await session.say("hi")
    await live(app)
    await session.say("STOP")
    assert await optouts.is_opted_out(app.db, "console", ADDRESS)


PAUSED = "A lawyer is answering you here now, so the menu is paused. We passed your message on."


@pytest.mark.parametrize("word", ["MENU", "menu", "1", "4", "START", "/menu", "/start", "0"])
async def test_a_menu_request_during_a_handoff_is_answered_and_passed_on(app, session, word):
    await session.say("hi")
    esc = await live(app)
    turn = await session.say(word)
    assert session.text(turn) == PAUSED
    row = await casework.escalation(app.db, esc)
    assert row["status"] == "claimed" and row["person_wrote_at"] is not None
    transcript = await people.transcript(app.db, row["person_id"])
    assert [m["body"] for m in transcript[-2:]] == [word, PAUSED]


async def test_a_number_answering_the_lawyer_is_not_taken_for_a_menu(app, session):
    await session.say("hi")
    esc = await live(app)
    await casework.reply(app.db, await casework.escalation(app.db, esc), "staff:7",
                      "How many cases do you have?", iso(app.clock()), then_wait=True)
    assert (await session.say("2"))["replies"] == []  # an answer to the lawyer: quiet
    assert (await session.say("MENU"))["replies"]  # a request for the menu is still answered


async def test_the_paused_menu_answer_is_in_the_person_s_language(app, session):
    await session.say("hi")
    await live(app, locale="es")
    turn = await session.say("MENU")
    assert session.text(turn) == app.translator.gettext("es", PAUSED) != PAUSED


@pytest.mark.parametrize("locale, words", [("en", "forget me"), ("es", "borra mis datos")])
async def test_forget_me_during_a_handoff_is_handled_by_the_bot(app, session, locale, words):
    await session.say("hi")
    esc = await live(app, locale=locale)
    ask = await session.say(words)
    assert ask["awaiting"] == "confirm" and ask["replies"]
    done = await session.say("1")
    assert done["replies"], "the erasure is confirmed"
    row = await casework.escalation(app.db, esc)
    assert row["status"] == "resolved"
    assert await people.transcript(app.db, row["person_id"]) != []  # only what followed
    assert all(m["body"] != "I want a lawyer"
               for m in await people.transcript(app.db, row["person_id"]))


async def test_after_hours_the_person_is_told_once_in_their_language(app, session, clock):
    await session.say("hi")
    await live(app, locale="es")
    state = await people.get_or_create(app.db, "console", ADDRESS, iso(clock()))
    async with app.db.transaction() as conn:
        state.locale = "es"
        await people.save_state(conn, state, "console", iso(clock()))
    clock.now = dt.datetime(2026, 11, 28, 23, 0, tzinfo=dt.UTC)  # Saturday evening in Boston
    first = await session.say("Hola, ¿hay alguien?")
    text = session.text(first)
    assert "cerrada" in text and "lunes" in text and "9:00" in text
    assert (await session.say("¿Hola?"))["replies"] == []


@pytest.mark.parametrize("locale, closed, monday", [("ht", "fèmen", "lendi"),
                                                    ("pt_BR", "fechado", "segunda-feira")])
async def test_after_hours_the_day_is_named_in_the_persons_language(app, session, clock,
                                                                     locale, closed, monday):
    # CLDR has no Haitian day names (Babel says "Mon"): the catalog's are used.
    await session.say("hi")
    await live(app, locale=locale)
    state = await people.get_or_create(app.db, "console", ADDRESS, iso(clock()))
    async with app.db.transaction() as conn:
        state.locale = locale
        await people.save_state(conn, state, "console", iso(clock()))
    clock.now = dt.datetime(2026, 11, 28, 23, 0, tzinfo=dt.UTC)  # Saturday evening in Boston
    text = session.text(await session.say("alo?"))
    assert closed in text.lower() and monday in text and "Mon" not in text


@pytest.mark.parametrize("ask, hours", [
    ("I want to talk to a lawyer", "Mon–Fri 9:00 AM–5:00 PM"),
    ("quero falar com um advogado", "seg.–sex. 09:00–17:00"),
    ("mwen vle pale ak yon avoka", "lendi–vandredi 09:00–17:00"),
    ("хочу поговорить с адвокатом", "пн–пт 09:00–17:00")])
async def test_the_office_hours_a_person_is_given_are_in_their_language(session, ask, hours):
    # CLDR's English times carry a narrow no-break space; SMS renders it plain.
    text = session.text(await session.say(ask)).replace("\u202f", " ")
    assert f"({hours})" in text and "Mon-Fri" not in text


async def test_during_office_hours_nothing_is_said(app, session, clock):
    await session.say("hi")
    await live(app)
    clock.now = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # Wednesday 10:00 in Boston
    assert (await session.say("hello?"))["replies"] == []


async def test_staff_replies_reach_a_console_person_once(app, session):
    await session.say("hi")
    esc = await live(app)
    row = await casework.escalation(app.db, esc)
    await casework.reply(app.db, row, "staff:7", "Hi, I am a lawyer. Can we talk?",
                      iso(app.clock()), then_wait=True)
    assert await poll(app) == [{"text": "Hi, I am a lawyer. Can we talk?", "author": "staff:7"}]
    assert await poll(app) == []
    assert [r["status"] for r in await outbox.for_address(app.db, "console", ADDRESS)] == ["sent"]
    await casework.reply(app.db, row, "staff:7", "Still there?", iso(app.clock()), then_wait=False)
    turn = await session.say("yes, sorry")
    assert turn["delivered"] == [{"text": "Still there?", "author": "staff:7"}]
    assert turn["replies"] == []


async def test_resolve_hands_the_person_back_to_the_bot(app, session):
    await session.say("hi")
    esc = await live(app)
    closing = "Our lawyer has closed this chat."
    await casework.resolve(app.db, await casework.escalation(app.db, esc), "staff:7", closing,
                        iso(app.clock()))
    assert [m["text"] for m in await poll(app)] == [closing]
    assert (await session.say("menu"))["replies"]


async def test_opted_out_console_person_gets_no_staff_message(app, session):
    await session.say("hi")
    esc = await live(app)
    async with app.db.transaction() as conn:
        await optouts.opt_out(conn, "console", ADDRESS, "stop", iso(app.clock()))
    await casework.reply(app.db, await casework.escalation(app.db, esc), "staff:7", "Hello",
                      iso(app.clock()), then_wait=False)
    assert await poll(app) == []
    assert [r["status"] for r in await outbox.for_address(app.db, "console", ADDRESS)] == [
        "cancelled"]


def test_office_hours(config):
    hours = config.organization.hours  # Mon-Fri 9:00-17:00, America/New_York
    wed_noon = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)
    assert hours.next_opening(wed_noon) is None
    fri_night = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)  # Fri 20:00 in Boston
    opening = hours.next_opening(fri_night)
    assert opening is not None and opening.weekday() == 0 and opening.hour == 9
    weekend = config.replace("organization", "office_hours", "Fri-Mon 10:00-14:00"
                             ).organization.hours
    assert weekend.days == frozenset({4, 5, 6, 0})
    with pytest.raises(ConfigError, match="office_hours"):
        config.replace("organization", "office_hours", "weekdays")

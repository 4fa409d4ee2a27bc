"""STOP, START, HELP and "wrong number", at any step, in English, Spanish and more."""

from __future__ import annotations

import pytest

from bot.model import Inbound
from bot.storage import cases, optouts
from bot.storage import outbox as outbox_store
from tests.conftest import ConsoleSession, both_engines
from tests.dialogue_support import chat, import_registry, start, text

pytestmark = both_engines

PHONE = "+16175550101"  # the phone of case 0912-CR-004411 in the fixture registry


@pytest.fixture(autouse=True)
def registry(config, tmp_path):
    import_registry(config.storage.url or config.storage.path, tmp_path)


@pytest.mark.parametrize("word", [
    "STOP", "stop", " Stop! ", "STOPALL", "unsubscribe", "Cancel.", "END", "quit", "REVOKE",
    "optout", "PARAR", "¡Parar!", "cancelar", "stop texting me", "No me escriban más",
])
async def test_stop_words_opt_out_with_one_confirmation_then_silence(app, session, word):
    await start(session)
    await session.say("1")  # in the middle of a lookup: compliance words work at any step
    turn = await session.say(word)
    assert len(turn["replies"]) == 1 and "START" in text(turn)
    assert await optouts.is_opted_out(app.db, "console", "tester")
    for later in ("hello", "1", "HELP", "talk to a lawyer", "wrong number"):
        assert (await session.say(later))["replies"] == []


@pytest.mark.parametrize("word", ["START", "yes", "Unstop!"])
async def test_start_yes_unstop_opt_back_in(app, session, word):
    await start(session)
    await session.say("STOP")
    turn = await session.say(word)
    assert "Welcome back" in text(turn) and turn["awaiting"] == "menu"
    assert not await optouts.is_opted_out(app.db, "console", "tester")
    assert "Check my case" in text(await session.say("menu"))


async def test_spanish_opt_out_and_back_in(app, session):
    await start(session, "2")
    assert "No recibirá más mensajes" in text(await session.say("PARAR"))
    assert "Bienvenido otra vez" in text(await session.say("START"))


@pytest.mark.parametrize("word, expect", [
    ("HELP", "Reply STOP"), ("info", "Reply STOP"), ("Help?", "Reply STOP"),
])
async def test_help_names_the_organisation_and_how_to_stop(app, session, word, expect):
    await start(session)
    await session.say("1")
    turn = await session.say(word)
    org = app.config.organization
    said = text(turn)
    assert org.name in said and org.phone in said and org.website in said and expect in said
    assert turn["awaiting"] == "docket_number"  # the question stays open


async def test_ayuda_in_spanish(app, session):
    await start(session, "2")
    said = text(await session.say("AYUDA"))
    assert app.config.organization.phone in said and "Responda STOP" in said


@pytest.mark.parametrize("message", [
    "wrong number", "Wrong number!", "you have the wrong person", "Número equivocado",
    "numero errado", "ou gen move nimewo", "nhầm số rồi",
])
async def test_wrong_number_stops_everything_and_marks_the_registry_phone(app, message):
    turn = await app.dialogue.handle(Inbound("sms", PHONE, message, provider_id="SM1"))
    sorry = app.translator.gettext(turn.locale, "Sorry for the mistake. We will not send "
                                   "messages to this number again.")  # in the text's language
    assert len(turn.replies) == 1 and turn.replies[0].text == sorry
    row = await app.db.fetchone("SELECT reason FROM optouts WHERE channel='sms' AND address=?",
                                (PHONE,))
    assert row["reason"] == "wrong_number"
    (case,) = await cases.by_docket(app.db, "0912CR004411")
    assert case["phone_wrong"] == 1
    queued = await outbox_store.for_address(app.db, "sms", PHONE)
    assert [r["kind"] for r in queued] == ["compliance"]
    await app.dialogue.handle(Inbound("sms", PHONE, "hello?", provider_id="SM2"))
    assert len(await outbox_store.for_address(app.db, "sms", PHONE)) == 1


async def test_wrong_number_on_the_console_does_not_touch_the_registry(app, session):
    await start(session)
    turn = await session.say("wrong number")
    assert "not send messages" in text(turn)
    (case,) = await cases.by_docket(app.db, "0912CR004411")
    assert case["phone_wrong"] == 0


async def test_an_opted_out_sms_number_gets_nothing_queued(app):
    await app.dialogue.handle(Inbound("sms", PHONE, "hi", provider_id="SM1"))
    await app.dialogue.handle(Inbound("sms", PHONE, "STOP", provider_id="SM2"))
    before = len(await outbox_store.for_address(app.db, "sms", PHONE))
    turn = await app.dialogue.handle(Inbound("sms", PHONE, "1", provider_id="SM3"))
    assert turn.replies == []
    assert len(await outbox_store.for_address(app.db, "sms", PHONE)) == before


async def test_yes_is_an_answer_not_an_opt_in_when_not_opted_out(app):
    person = ConsoleSession(app, "p")
    await start(person)
    turn = await chat(person, "1", "2", "Nobody", "Ann", "1/1/1970", "yes")
    assert "Your reference is" in text(turn)

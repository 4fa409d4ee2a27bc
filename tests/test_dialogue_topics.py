"""Free text understood anywhere, and every information topic reachable, in both languages."""

from __future__ import annotations

import pytest

from bot.storage import escalations
from tests.dialogue_support import NUNEZ, chat, import_registry, lookup, start, state_of, text

TOPICS = ("record", "refund", "housing", "employment", "immigration", "next_steps")


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


@pytest.mark.parametrize("language, phrase", [("1", "was my case affected?"),
                                              ("2", "¿fue afectado mi caso?")])
async def test_asking_about_my_case_in_words_starts_the_lookup(session, language, phrase):
    await start(session, language)
    assert (await session.say(phrase))["awaiting"] == "docket_number"


@pytest.mark.parametrize("language, phrase", [("1", "I want to talk to a lawyer"),
                                              ("2", "quiero hablar con un abogado")])
async def test_asking_for_a_lawyer_in_the_middle_of_a_lookup_hands_off(app, session, language,
                                                                      phrase):
    await start(session, language)
    await chat(session, "1", "0912CR004411", "Nunez")
    turn = await session.say(phrase)
    assert turn["awaiting"] == "menu"
    assert await escalations.open_for_person(app.db, (await state_of(app)).person_id)


async def test_a_single_word_name_is_a_name_even_if_it_looks_like_a_topic(app, session):
    await start(session)
    turn = await chat(session, "1", "0912CR004411", "Law")
    assert turn["awaiting"] == "date_of_birth"


async def test_asking_for_spanish_in_words_switches_language(session):
    await start(session)
    turn = await session.say("en español por favor")
    assert turn["locale"] == "es"


async def test_unknown_text_gets_a_friendly_fallback_with_the_menu(session):
    await start(session)
    turn = await session.say("purple elephants dance")
    assert "Sorry, I did not understand" in text(turn) and "Check my case" in text(turn)


@pytest.mark.parametrize("language", ["1", "2"])
async def test_every_topic_is_reachable_from_the_topics_menu(app, session, language):
    turn = await start(session, language)
    locale = turn["locale"]
    menu = await session.say("2")
    keys = [o["key"] for r in menu["replies"] for o in r["options"]]
    seen = ""
    for key in keys:
        await session.say("2") if (await state_of(app)).step != "topics" else None
        seen += text(await session.say(key))
    for topic in TOPICS:
        title = app.content.text(locale, "topics", topic, "title")
        assert title in seen + text(menu), topic


async def test_a_verified_person_gets_the_status_variant_of_next_steps(app, session):
    await start(session)
    await lookup(session, *NUNEZ)
    turn = await session.say("1")
    assert turn["replies"] and (await state_of(app)).slots["verified_status"] == "dismissed"

"""Information topics and status explanations, as a person reads them, in English and Spanish."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.content import STATUSES, TOPICS
from bot.registry.importer import import_csv
from tests.conftest import ConsoleSession

LANGUAGES = {"en": "1", "es": "2"}  # the language menu's number for each
CASES = {  # status -> docket, last name, date of birth
    "dismissed": ("0912-CR-004411", "Rivera", "1975-03-14"),
    "pending": ("1081-CR-000217", "Obrien", "1968-11-02"),
    "not_dismissed": ("1184-CR-008220", "Sullivan", "1979-09-28"),
    "under_review": ("1123-CR-000588", "Carter", "1981-07-09"),
}
PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}")
TYPOGRAPHIC = set("\u2018\u2019\u201c\u201d")


@pytest.fixture
async def registry(app: App, clock, tmp_path: Path) -> None:
    lines = ["docket_number,court,last_name,first_name,date_of_birth,lab,status"]
    for status, (docket, last, dob) in CASES.items():
        lines.append(f"{docket},Boston Municipal Court,{last},Ana,{dob},Hinton,{status}")
    csv = tmp_path / "cases.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = await import_csv(app.db, csv, now=clock())
    assert not report.problems


def said(turn: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in turn["replies"])


def options(turn: dict[str, Any]) -> dict[str, str]:
    return {o["key"]: o["label"] for r in turn["replies"] for o in r["options"]}


def fields(app: App, locale: str) -> dict[str, str]:
    org = app.config.organization
    values = {"org": org.name, "phone": org.phone, "website": org.website}
    for key in app.content.contacts():
        values[key] = app.content.text(locale, "contacts", key, "name")
    return values


def expected(app: App, locale: str, topic: str, status: str | None = None) -> str:
    keys = ("topics", topic, "body")
    if status and app.content.source("topics", topic, "status", status):
        keys = ("topics", topic, "status", status)
    return app.content.text(locale, *keys, **fields(app, locale))


async def to_topics(session: ConsoleSession, locale: str) -> dict[str, Any]:
    await session.say("hi")
    await session.say(LANGUAGES[locale])
    return await session.say("2")  # What a dismissal means


# -- what the person reads ---------------------------------------------------

@pytest.mark.parametrize("locale", LANGUAGES)
async def test_the_topic_menu_lists_every_topic_a_lawyer_and_the_way_back(app, session, locale):
    turn = await to_topics(session, locale)
    assert turn["awaiting"] == "menu" and turn["locale"] == locale
    assert app.content.text(locale, "about") in said(turn)  # what happened, the first time
    menu = options(turn)
    for number, topic in enumerate(TOPICS, start=1):
        assert menu[str(number)] == app.content.text(locale, "topics", topic, "title")
    assert list(menu) == [str(i) for i in range(1, len(TOPICS) + 3)]  # 1..n, no gaps
    assert menu["7"] == app.translator.gettext(locale, "Talk to a lawyer")
    assert menu["8"] == app.translator.gettext(locale, "Back to menu")
    again = await session.say("9")  # not a topic: the menu again, without the story
    assert options(again) == menu and app.content.text(locale, "about") not in said(again)


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("number, topic", list(enumerate(TOPICS, start=1)))
async def test_each_topic_reads_in_full_and_offers_a_lawyer(app, session, locale, number, topic):
    await to_topics(session, locale)
    turn = await session.say(str(number))
    text = said(turn)
    assert app.content.text(locale, "topics", topic, "title") in text
    assert expected(app, locale, topic) in text
    assert not PLACEHOLDER.search(text) and not TYPOGRAPHIC & set(text)
    assert list(options(turn)) == ["1", "2", "3"]
    assert options(turn)["1"] == app.translator.gettext(locale, "Talk to a lawyer")
    assert turn["awaiting"] == "menu"


async def test_topics_follow_one_another_and_words_work_at_the_topic_menu(app, session):
    await to_topics(session, "es")
    turn = await session.say("5")
    assert "Inmigración" in said(turn)
    turn = await session.say("2")  # other topics
    assert options(turn)["1"] == "Sellar sus antecedentes"
    turn = await session.say("me negaron vivienda")
    assert said(turn).startswith("Vivienda\n")


async def test_the_contact_names_are_filled_in_the_person_s_language(app, session):
    await to_topics(session, "es")
    text = said(await session.say("5"))
    assert "Proyecto PAIR" in text and "Coalición MIRA" in text
    assert options(await session.say("6"))["6"]  # not offered here: the topic menu again
    text = said(await session.say("6"))
    assert app.config.organization.phone in text and "CPCS (defensores públicos)" in text


async def test_a_lawyer_from_the_topic_menu_opens_a_request(app, session):
    await to_topics(session, "en")
    await session.say("3")
    turn = await session.say("1")  # a lawyer, under the housing text
    assert "reference" in said(turn)
    row = await app.db.fetchone("SELECT summary FROM escalations")
    assert row is not None and "housing" in row["summary"]


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("status", STATUSES)
async def test_a_verified_case_explains_its_status_and_gets_its_topic_variants(
        app, session, registry, locale, status):
    docket, last, dob = CASES[status]
    await session.say("hi")
    await session.say(LANGUAGES[locale])
    await session.say("1")
    await session.say(docket)
    await session.say(last)
    turn = await session.say(dob)
    assert app.content.text(locale, "status", status) in said(turn)
    await session.say("1")  # what this means for me: the topics
    for number, topic in enumerate(TOPICS, start=1):
        text = said(await session.say(str(number)))
        assert expected(app, locale, topic, status) in text, (topic, status)
        await session.say("2")  # other topics


async def test_a_not_dismissed_case_gets_a_record_text_of_its_own(app, session, registry):
    general = expected(app, "en", "record")
    variant = expected(app, "en", "record", "not_dismissed")
    assert variant != general
    docket, last, dob = CASES["not_dismissed"]
    for text in ("hi", "1", "1", docket, last, dob, "1"):
        await session.say(text)
    said_now = said(await session.say("1"))
    assert variant in said_now and general not in said_now


# -- the pack and its catalogs ------------------------------------------------

def test_every_pack_text_is_translated_into_spanish_with_its_placeholders(app):
    for key, source in app.content.entries():
        spanish = app.content.text("es", *key.split("."), **fields(app, "es"))
        english = app.content.text("en", *key.split("."), **fields(app, "en"))
        assert spanish != english, key
        translated = app.translator.gettext("es", source)
        assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(source)), key
        assert not TYPOGRAPHIC & set(source + translated), key


def test_every_topic_and_status_exists_and_fits_a_phone_screen(app):
    for status in STATUSES:
        for locale in LANGUAGES:
            assert app.content.text(locale, "status", status)
    for key, source in app.content.entries():
        if key.startswith("topics.") and not key.endswith(".title"):
            filled = source.format(**fields(app, "en"))
            assert len(filled) <= 450, (key, len(filled))
            assert source.count("\n\n") <= 1 and "\n\n\n" not in source, key


def test_no_topic_or_status_names_an_offence(app):
    """A phone may be read by others (the organisation's name is configuration, not ours)."""
    words = re.compile(r"\b(drugs?|cocaine|heroin|marijuana|possession|trafficking|"
                       r"drogas?|posesi[oó]n|tr[aá]fico)\b", re.IGNORECASE)
    for key, source in app.content.entries():
        if key.startswith(("topics.", "status.", "contacts.")):
            for locale in LANGUAGES:
                assert not words.search(app.translator.gettext(locale, source)), key


def test_the_refund_topic_promises_no_money_and_names_no_hotline(app):
    for key, source in app.content.entries():
        assert "888" not in source and "$" not in source, key
    for status in (None, "pending", "not_dismissed"):
        text = expected(app, "en", "refund", status)
        assert "cannot promise" in text or "do not know" in text


def test_the_ui_strings_of_the_topic_menu_are_in_spanish(app):
    for msgid in ("Choose a topic. Reply with a number.", "Talk to a lawyer", "Other topics",
                  "Back to menu"):
        assert app.translator.gettext("es", msgid) != msgid

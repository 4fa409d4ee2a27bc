"""Whole conversations over Telegram: verified lookups, deep links, languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot.i18n import normalize_locale
from bot.registry.normalize import hash_notice_code
from tests.fakes.telegram_api import telegram_rig

CSV = "\n".join([
    "docket_number,court,last_name,first_name,date_of_birth,lab,status,status_date,phone,"
    "language,notice_code",
    "0912-CR-004411,Boston Municipal Court,Núñez,María,1975-03-14,Hinton,dismissed,"
    "2017-04-19,(617) 555-0101,es,HX7K-29QP",
    "1081 CR 000217,Springfield District Court,O'Brien,Patrick,11/02/1968,Amherst,pending,"
    "2019-03-05,,en,MT4R-8ZDW",
]) + "\n"
ALICE = 7101
FOUND = "We found your case"
NEUTRAL = "We could not confirm these details"


@pytest.fixture
def registry(db_path: Path, tmp_path: Path, cli_db: list[str]) -> Path:
    """The registry, imported through the real command line (into the test's database)."""
    csv = tmp_path / "cases.csv"
    csv.write_text(CSV, encoding="utf-8")
    assert cli.main(["registry", "import", str(csv), *cli_db]) == 0
    return db_path


def texts(sent) -> str:
    return "\n".join(s.text for s in sent)


def key_of(sent, label: str) -> str:
    """The callback key of the button labelled ``label`` in the last keyboard sent."""
    keyboard = [s for s in sent if s.buttons][-1]
    return keyboard.keys[keyboard.labels.index(label)]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_verified_lookup_by_typed_text(config, clock, registry, mode):
    async with telegram_rig(config, clock=clock, mode=mode) as rig:
        sent = await rig.turn(ALICE, "/start")
        assert "Check my case" in sent[-1].labels  # English from language_code: the menu
        await rig.turn(ALICE, "1")
        await rig.turn(ALICE, "0912-CR-004411")
        await rig.turn(ALICE, "Nunez")
        sent = await rig.turn(ALICE, "3/14/1975")
        assert FOUND in texts(sent)
        assert "Dismissed" in texts(sent) and "Boston Municipal Court" in texts(sent)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_verified_lookup_by_buttons(config, clock, registry, mode):
    async with telegram_rig(config, clock=clock, mode=mode) as rig:
        sent = await rig.turn(ALICE, "/start", language_code=None)
        sent = await rig.turn(ALICE, press=key_of(sent, "English"))
        sent = await rig.turn(ALICE, press=key_of(sent, "Check my case"))
        sent = await rig.turn(ALICE, press=key_of(sent, "I have a code from a letter"))
        await rig.turn(ALICE, "HX7K-29QP")
        sent = await rig.turn(ALICE, "1975-03-14")
        assert FOUND in texts(sent) and "Dismissed" in texts(sent)
        assert len(rig.fake.callback_answers) == 3  # every press was answered


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_deep_link_fills_in_the_notice_code(config, clock, registry, mode):
    async with telegram_rig(config, clock=clock, mode=mode) as rig:
        sent = await rig.turn(ALICE, "/start HX7K-29QP")
        assert "date of birth" in texts(sent).lower()
        assert "Check my case" not in texts(sent)  # no menu: the question comes next
        sent = await rig.turn(ALICE, "03/14/1975")
        assert FOUND in texts(sent) and "Dismissed" in texts(sent)
        inbox = await rig.app.db.fetchone("SELECT body, notice_code FROM inbox ORDER BY id")
        # Only the code's hash is stored, even in the inbox.
        assert (inbox["body"], inbox["notice_code"]) == ("/start", hash_notice_code("HX7K-29QP"))
        transcript = await rig.app.db.fetchall("SELECT body FROM messages WHERE direction='in'")
        assert all("HX7K" not in row["body"] for row in transcript)


async def test_a_deep_link_with_a_wrong_date_discloses_nothing(config, clock, registry):
    async with telegram_rig(config, clock=clock) as rig:
        await rig.turn(ALICE, "/start HX7K-29QP")
        sent = await rig.turn(ALICE, "01/01/1980")
        assert NEUTRAL in texts(sent)
        assert "Dismissed" not in texts(sent) and "Boston" not in texts(sent)


async def test_a_bad_deep_link_payload_is_just_a_start(config, clock, registry):
    async with telegram_rig(config, clock=clock) as rig:
        sent = await rig.turn(ALICE, "/start ../../etc/passwd")
        assert "Check my case" in sent[-1].labels
        inbox = await rig.app.db.fetchone("SELECT notice_code FROM inbox")
        assert inbox["notice_code"] is None


async def test_spanish_language_code_answers_in_spanish(config, clock, registry):
    async with telegram_rig(config, clock=clock) as rig:
        sent = await rig.turn(ALICE, "/start", language_code="es")
        assert "Revisar mi caso" in sent[-1].labels
        assert "Check my case" not in texts(sent)
        row = await rig.app.db.fetchone("SELECT locale, locale_chosen FROM people")
        assert (row["locale"], row["locale_chosen"]) == ("es", 0)


async def test_an_explicit_choice_beats_the_language_code_and_sticks(config, clock, registry):
    async with telegram_rig(config, clock=clock) as rig:
        await rig.turn(ALICE, "/start", language_code="es")
        sent = await rig.turn(ALICE, "/language", language_code="es")
        sent = await rig.turn(ALICE, press=key_of(sent, "English"), language_code="es")
        assert "What would you like to do?" in texts(sent)
        sent = await rig.turn(ALICE, "/start", language_code="es")
        row = await rig.app.db.fetchone("SELECT locale, locale_chosen FROM people")
        assert (row["locale"], row["locale_chosen"]) == ("en", 1)
        assert "What would you like to do?" in texts(sent)


async def test_brazilian_portuguese_language_code(config, clock, registry):
    async with telegram_rig(config, clock=clock) as rig:
        sent = await rig.turn(ALICE, "/start", language_code="pt-br")
        shipped = normalize_locale("pt-br", rig.app.translator.locales)
        row = await rig.app.db.fetchone("SELECT locale, locale_chosen FROM people")
        if shipped is None:  # no Portuguese catalog yet: the person chooses
            assert {"English", "Español"} <= set(sent[-1].labels)
            assert row["locale_chosen"] == 0
        else:
            assert shipped.startswith("pt") and row["locale"] == shipped


async def test_commands_reach_the_dialogue(config, clock, registry):
    async with telegram_rig(config, clock=clock) as rig:
        await rig.turn(ALICE, "/start")
        sent = await rig.turn(ALICE, "/help")
        assert "555-0100" in texts(sent)  # the organisation's phone, from HELP
        sent = await rig.turn(ALICE, "/lawyer@casecheck_test_bot")
        assert await rig.app.db.fetchone("SELECT 1 FROM escalations") is not None
        sent = await rig.turn(ALICE, "/stop")
        assert "START" in texts(sent)
        row = await rig.app.db.fetchone("SELECT channel, address, reason FROM optouts")
        assert (row["channel"], row["address"], row["reason"]) == ("telegram", str(ALICE), "stop")
        assert await rig.turn(ALICE, "hello?") == []  # opted out: silence
        sent = await rig.turn(ALICE, "/start")  # the Start button opts back in
        assert sent and await rig.app.db.fetchone("SELECT 1 FROM optouts") is None


@pytest.mark.parametrize("greeting", ["hi", "/start"])
async def test_a_first_greeting_gets_the_welcome_and_the_menu_in_one_message(config, clock,
                                                                            registry, greeting):
    async with telegram_rig(config, clock=clock, chat_gap=1.0) as rig:
        [sent] = await rig.turn(ALICE, greeting)
        assert sent.text.startswith("Welcome") or "general information" in sent.text
        assert "What would you like to do?" in sent.text
        assert "Check my case" in sent.labels  # the menu's buttons on that one message
        rows = await rig.app.db.fetchall(
            "SELECT body FROM messages WHERE direction='out' ORDER BY id")
    assert len(rows) >= 2  # the transcript keeps the welcome and the menu apart


async def test_arabic_keeps_latin_runs_left_to_right(config, clock, registry):
    """An Arabic reply naming the court and the docket: each Latin run is wrapped in
    direction isolates, as over SMS, so a phone does not lay the message out LTR."""
    async with telegram_rig(config, clock=clock) as rig:
        await rig.turn(ALICE, "/start", language_code="ar")
        await rig.turn(ALICE, "1", language_code="ar")
        await rig.turn(ALICE, "0912-CR-004411", language_code="ar")
        await rig.turn(ALICE, "Nunez", language_code="ar")
        sent = await rig.turn(ALICE, "3/14/1975", language_code="ar")
        found = texts(sent)
        assert "\u2066Boston Municipal Court\u2069" in found
        assert "Boston Municipal Court" not in found.replace("\u2066Boston Municipal Court", "")

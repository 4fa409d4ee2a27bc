"""Bad input gets a clear, localised answer and changes nothing it should not."""

from __future__ import annotations

import pytest

from bot.storage import cases
from tests.dialogue_support import chat, import_registry, start, state_of, text

ODD = {
    "empty": "",
    "spaces": "   \t  ",
    "huge": "a" * 10_000,
    "emoji": "🙂🙏🔥",
    "rtl": "\u202eمرحبا بكم",
    "control": "\x00\x07\x1b[2J",
    "sql": "'; DROP TABLE cases; --",
}


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def _attempts(app) -> int:
    row = await app.db.fetchone("SELECT COUNT(*) FROM lookup_attempts")
    return row[0]


@pytest.mark.parametrize("kind", sorted(set(ODD) - {"rtl"}))
@pytest.mark.parametrize("language, expect", [("1", "Sorry|did not get|too long"),
                                              ("2", "Perdón|No recibí|muy largo")])
async def test_odd_messages_at_the_name_question_are_answered_and_not_stored(
        app, session, kind, language, expect):
    await start(session, language)
    await chat(session, "1", "0912CR004411")
    before = await state_of(app)
    turn = await session.say(ODD[kind])
    said = text(turn)
    assert any(word in said for word in expect.split("|")) or "name" in said \
        or "nombre" in said, said
    after = await state_of(app)
    assert after.step == before.step == "docket_last_name"
    assert after.slots == before.slots and turn["awaiting"] == "last_name"
    assert len(await cases.by_docket(app.db, "0912CR004411")) == 1


@pytest.mark.parametrize("kind", sorted(set(ODD) - {"sql"}))
async def test_odd_messages_at_the_menu_show_the_menu_again(app, session, kind):
    await start(session)
    turn = await session.say(ODD[kind])
    assert turn["awaiting"] == "menu" and "Check my case" in text(turn)


async def test_a_name_in_a_right_to_left_script_is_a_name_without_its_bidi_override(app, session):
    await start(session)
    turn = await chat(session, "1", "0912CR004411", ODD["rtl"])
    assert turn["awaiting"] == "date_of_birth"
    assert "\u202e" not in (await state_of(app)).slots["lk_last"]
    assert "We could not confirm" in text(await session.say("3/14/1975"))


async def test_a_huge_message_is_refused_whole(session):
    await start(session)
    turn = await session.say("my case number is 0912CR004411 " + "x" * 10_000)
    assert "too long" in text(turn) and turn["awaiting"] == "menu"


@pytest.mark.parametrize("date", ["1980-02-31", "2/30/1990", "13/13/1985", "2030-01-01",
                                  "1850-01-01", "yesterday", "99999999"])
async def test_impossible_or_future_birth_dates_are_refused_without_counting(app, session, date):
    await start(session)
    turn = await chat(session, "1", "0912CR004411", "Nunez", date)
    assert "That date does not look right" in text(turn)
    assert turn["awaiting"] == "date_of_birth" and await _attempts(app) == 0
    assert "We found your case" in text(await session.say("3/14/1975"))


async def test_spanish_bad_date(session):
    await start(session, "2")
    turn = await chat(session, "1", "0912CR004411", "Nunez", "31 de febrero de 1980")
    assert "Esa fecha no parece correcta" in text(turn)


@pytest.mark.parametrize("docket", ["0912-cr-004411", " 0912 CR 004411 ", "09.12/cr_004411",
                                    "#0912—CR—004411!"])
async def test_docket_numbers_with_odd_punctuation_are_understood(session, docket):
    await start(session)
    turn = await chat(session, "1", docket, "Nunez", "3/14/1975")
    assert "We found your case" in text(turn)


async def test_sql_looking_text_in_every_slot_changes_nothing(app, session):
    await start(session)
    sql = ODD["sql"]
    for message in ("1", sql, "0912CR004411", sql, "Nunez", sql):
        await session.say(message)
    assert (await state_of(app)).step == "docket_dob"
    assert len(await cases.by_docket(app.db, "0912CR004411")) == 1

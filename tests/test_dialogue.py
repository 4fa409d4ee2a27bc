"""Whole conversations through the console channel: verification, disclosure, lockout."""

from __future__ import annotations

import json

import pytest

from bot.app import App
from bot.model import Inbound
from bot.registry.normalize import hash_notice_code
from bot.storage import audit, escalations, people
from tests.conftest import ConsoleSession
from tests.dialogue_support import (
    LOCKED,
    NEUTRAL,
    NUNEZ,
    chat,
    import_registry,
    lookup,
    start,
    state_of,
    text,
)

DOCKET_LOCKED = "Too many tries on this case number today."


@pytest.fixture(autouse=True)
def registry(db_path, tmp_path):
    import_registry(db_path, tmp_path)


async def test_docket_last_name_and_birth_date_disclose_the_case_in_english(app, session):
    await start(session)
    turn = await lookup(session, *NUNEZ)
    said = text(turn)
    assert "Dismissed" in said and "Boston Municipal Court" in said
    assert "April 19, 2017" in said and "0912-CR-004411" in said
    assert turn["awaiting"] == "menu" and turn["locale"] == "en"
    state = await state_of(app)
    assert state.slots["verified_status"] == "dismissed"
    assert await people.verified_case_id(app.db, state.person_id) == state.slots["verified_case_id"]
    actions = [(r["action"], r["outcome"]) for r in await audit.recent(app.db)]
    assert ("lookup", "verified") in actions and ("disclosure", None) in actions


async def test_the_same_lookup_in_spanish(app, session):
    turn = await start(session, "2")
    assert turn["locale"] == "es" and "Revisar mi caso" in text(turn)
    turn = await chat(session, "1", "0912 cr 004411", "NÚÑEZ", "14 de marzo de 1975")
    said = text(turn)
    assert "Encontramos su caso" in said and "Desestimado" in said
    assert "19 de abril de 2017" in said


@pytest.mark.parametrize("last, dob", [
    ("nunez", "1975-03-14"), ("Núñez", "03-14-1975"), ("Nunes", "March 14 1975"),
    ("NUÑEZ", "14 March 1975"), ("nuñes", "3/14/75"), ("Nuñez", "14 de marzo de 1975"),
])
async def test_names_tolerate_accents_case_and_one_typo_and_dates_come_in_many_forms(
        session, last, dob):
    await start(session)
    turn = await lookup(session, "0912CR004411", last, dob)
    assert "We found your case" in text(turn)


async def test_two_typos_in_the_name_do_not_match(session):
    await start(session)
    assert NEUTRAL in text(await lookup(session, "0912CR004411", "Nomes", "3/14/1975"))


async def test_a_docket_in_free_text_starts_the_lookup(session):
    await start(session)
    turn = await session.say("hi, my case number is 0912-CR-004411")
    assert turn["awaiting"] == "last_name"
    assert "We found your case" in text(await chat(session, "Nunez", "3/14/1975"))


async def test_wrong_answers_get_exactly_the_reply_of_an_unknown_docket(app):
    replies = []
    for address, answers in [("a", ("9999CR999999", "Nunez", "3/14/1975")),  # no such case
                             ("b", ("0912CR004411", "Nunez", "3/15/1975")),  # wrong birth date
                             ("c", ("0912CR004411", "Smith", "3/14/1975"))]:  # wrong name
        person = ConsoleSession(app, address)
        await start(person)
        replies.append(await lookup(person, *answers))
    assert replies[0] == replies[1] == replies[2]
    assert NEUTRAL in text(replies[0])
    outcomes = [r["outcome"] for r in await audit.recent(app.db) if r["action"] == "lookup"]
    assert outcomes == ["failed"] * 3


async def test_five_failures_lock_the_sender_until_the_window_passes(app, session, clock):
    await start(session)
    for _ in range(5):
        turn = await lookup(session, "0912CR004411", "Nunez", "1/1/1970")
        assert NEUTRAL in text(turn)
        await session.say("3")  # back to the main menu
    turn = await session.say("1")
    assert LOCKED in text(turn) and turn["awaiting"] == "confirm"
    clock.advance(hours=23)
    assert LOCKED in text(await chat(session, "2", "1"))
    clock.advance(hours=2)
    await session.say("menu")
    assert "We found your case" in text(await lookup(session, *NUNEZ))


async def test_many_phones_guessing_one_docket_learn_nothing(app, clock):
    for n in range(5):
        guesser = ConsoleSession(app, f"guesser{n}")
        await start(guesser)
        await lookup(guesser, "0912CR004411", "Nunez", f"1/{n + 13}/1970")
    owner = ConsoleSession(app, "owner")
    await start(owner)
    right = await lookup(owner, *NUNEZ)
    wrong = await lookup(ConsoleSession(app, "guesser0"), "0912CR004411", "Nunez", "2/2/1970")
    # The owner is told plainly the docket is locked, not that their details are wrong.
    assert DOCKET_LOCKED in text(right) and "We found" not in text(right)
    assert NEUTRAL not in text(right)
    assert text(right) == text(wrong)
    # ... and a docket that does not exist, at its limit, gets the very same answer.
    others = [ConsoleSession(app, f"other{n}") for n in range(6)]
    for other in others:
        await start(other)
    for n, other in enumerate(others[:5]):
        await lookup(other, "0101CR999999", "Nunez", f"1/{n + 20}/1970")
    assert text(await lookup(others[5], "0101CR999999", *NUNEZ[1:])) == text(right)
    clock.advance(hours=25)
    await owner.say("3")
    assert "We found your case" in text(await lookup(owner, *NUNEZ))


async def test_a_notice_code_and_birth_date_disclose_the_case(session):
    await start(session)
    turn = await chat(session, "1", "1")
    assert turn["awaiting"] == "notice_code"
    turn = await chat(session, "hx7k 29qp", "1975-03-14")
    assert "We found your case" in text(turn) and "Dismissed" in text(turn)


async def test_a_notice_code_typed_as_a_docket_goes_the_same_way_whether_it_exists(app):
    """The reply to a code at the docket question must not tell whether the code exists."""
    known, unknown = ConsoleSession(app, "known"), ConsoleSession(app, "unknown")
    for who in (known, unknown):
        await start(who)
    first_known = await chat(known, "1", "MT4R-8ZDW")
    first_unknown = await chat(unknown, "1", "MT4R-8ZDX")
    assert first_known == first_unknown and first_known["awaiting"] == "last_name"
    assert "Pending" in text(await chat(known, "O'Brien", "1968-11-02"))
    assert NEUTRAL in text(await chat(unknown, "O'Brien", "1968-11-02"))
    slots = [r["slots"] for r in await app.db.fetchall("SELECT slots FROM conversations")]
    assert not any("MT4R" in s or "8ZD" in s for s in slots)


async def test_a_wrong_notice_code_gets_the_same_neutral_reply(session):
    await start(session)
    unknown = await chat(session, "1", "1", "ZZZZ-9999", "1975-03-14", "3")
    wrong = await chat(session, "1", "1", "HX7K-29QP", "1975-03-15")
    assert NEUTRAL in text(wrong)
    assert unknown["awaiting"] == "menu"


async def test_a_telegram_deep_link_code_asks_for_the_birth_date(app, session):
    first = await app.dialogue.handle(Inbound("console", "tester", "/start", language_hint="es",
                                              notice_code=hash_notice_code("HX7K-29QP")))
    assert first.awaiting == "date_of_birth" and first.locale == "es"
    assert "Encontramos su caso" in text(await session.say("14/03/1975"))


async def test_other_cases_of_the_same_person_are_offered_one_by_one(app, session):
    await start(session)
    turn = await lookup(session, "1123-CR-000588", "Carter-Whitfield", "July 9 1981")
    assert "1 other case" in text(turn) and "Under review" in text(turn)
    assert "3" in [o["key"] for o in turn["replies"][-1]["options"]]
    turn = await session.say("3")
    assert "0845-CR-001203" in text(turn) and "Dismissed" in text(turn)
    options = {o["key"]: o["label"] for o in turn["replies"][-1]["options"]}
    assert options == {"1": "What this means for me", "2": "Talk to a lawyer",
                       "3": "Main menu"}  # numbered 1..n: no gap where "other case" was
    state = await state_of(app)
    assert state.slots["verified_status"] == "dismissed"
    disclosed = [r["case_id"] for r in await audit.recent(app.db) if r["action"] == "disclosure"]
    assert len(set(disclosed)) == 2


async def test_name_and_birth_date_alone_never_disclose_and_escalate_with_candidates(app):
    found, unknown = ConsoleSession(app, "found"), ConsoleSession(app, "unknown")
    replies = []
    for person, name in [(found, ("Carter Whitfield", "Denise")), (unknown, ("Nobody", "Ann"))]:
        await start(person)
        turn = await chat(person, "1", "2", *name, "July 9 1981")
        assert turn["awaiting"] == "confirm"
        replies.append(turn)
    assert replies[0] == replies[1]
    said = text(replies[0])
    assert "Court" not in said and "Dismissed" not in said and "Under review" not in said
    turn = await found.say("1")
    assert "Your reference is" in text(turn)
    state = await state_of(app, "found")
    row = await escalations.open_for_person(app.db, state.person_id)
    assert row["reason"] == "name_only" and len(json.loads(row["candidates"])) == 2
    assert "name_only" in [r["outcome"] for r in await audit.recent(app.db)]


async def test_notice_codes_can_be_switched_off_by_policy(config, clock):
    strict = config.replace("privacy", "allow_notice_code", False)
    app = await App.create(strict, clock=clock)
    try:
        person = ConsoleSession(app, "strict")
        turn = await start(person)
        turn = await person.say("1")
        assert "code from a letter" not in text(turn)
        turn = await chat(person, "HX7K-29QP")
        assert turn["awaiting"] == "last_name"  # read as a docket number, which it is not
        assert NEUTRAL in text(await chat(person, "Nunez", "3/14/1975"))
        deep = await app.dialogue.handle(Inbound("console", "deep", "/start",
                                                 notice_code=hash_notice_code("HX7K-29QP")))
        assert deep.awaiting == "language"
    finally:
        await app.close()

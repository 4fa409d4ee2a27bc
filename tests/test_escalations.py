"""Handoff to a lawyer from anywhere, one open escalation per person, and the CLI list."""

from __future__ import annotations

import asyncio

import pytest

from bot import cli
from bot.storage import audit, escalations
from tests.conftest import both_engines
from tests.dialogue_support import NUNEZ, chat, import_registry, lookup, start, state_of, text

pytestmark = both_engines


@pytest.fixture(autouse=True)
def registry(config, tmp_path):
    import_registry(config.storage.url or config.storage.path, tmp_path)


async def test_talk_to_a_lawyer_opens_one_escalation_and_says_what_happens_next(app, session):
    await start(session)
    turn = await session.say("3")
    said = text(turn)
    org = app.config.organization
    assert "Your reference is" in said and "24 business hours" in said
    assert org.name in said and org.phone in said
    assert "(Mon–Fri 9:00\u202fAM–5:00\u202fPM)" in said  # office_hours, in English words
    assert turn["awaiting"] == "menu"
    (row,) = await escalations.list_open(app.db)
    assert row["ref"] in said and row["channel"] == "console" and row["reason"] == "asked"
    again = text(await session.say("3"))
    assert "already have an open request" in again and row["ref"] in again
    assert len(await escalations.list_open(app.db)) == 1
    assert [r["detail"] for r in await audit.recent(app.db) if r["action"] == "escalation"] \
        == [row["ref"]]


async def test_the_escalation_carries_the_verified_case_and_a_summary_without_secrets(app,
                                                                                        session):
    await start(session)
    await lookup(session, *NUNEZ)
    await session.say("2")
    state = await state_of(app)
    row = await escalations.open_for_person(app.db, state.person_id)
    assert row["case_id"] == state.slots["verified_case_id"]
    assert row["address"] == "tester" and row["locale"] == "en"
    assert "verified" in row["summary"]
    for secret in ("Nunez", "1975", "0912", "tester"):
        assert secret not in row["summary"]


async def test_spanish_handoff(app, session):
    await start(session, "2")
    said = text(await session.say("3"))
    assert "un abogado de" in said and "24 horas hábiles" in said


async def test_escalations_list_shows_open_ones_without_personal_data(app, session, cli_db,
                                                                      capsys):
    await start(session)
    await lookup(session, *NUNEZ)
    await session.say("2")
    (row,) = await escalations.list_open(app.db)
    capsys.readouterr()
    argv = ["escalations", "list", *cli_db]
    assert await asyncio.to_thread(cli.main, argv) == 0
    out = capsys.readouterr().out
    assert row["ref"] in out and "console" in out and "asked" in out and "1 open" in out
    for secret in ("tester", "Nunez", "Núñez", "0912", "1975"):
        assert secret not in out


def test_escalations_list_on_an_empty_database(cli_db, capsys):
    assert cli.main(["escalations", "list", *cli_db]) == 0
    assert "0 open" in capsys.readouterr().out


async def test_after_a_name_only_lookup_the_open_escalation_gains_the_candidates(app, session):
    await start(session)
    await session.say("3")
    turn = await chat(session, "1", "2", "Carter-Whitfield", "Denise", "1981-07-09", "1")
    assert "already have an open request" in text(turn)
    state = await state_of(app)
    row = await escalations.open_for_person(app.db, state.person_id)
    assert row["candidates"] != "[]"

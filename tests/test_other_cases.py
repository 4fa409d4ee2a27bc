"""'Other cases' are only the proven person's: never a namesake with the same date of birth."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.registry.importer import import_csv
from bot.storage import Database, audit
from tests.conftest import ConsoleSession
from tests.dialogue_support import chat, lookup, start, text

# Two different people each: "Rivera" with no first name, and José / Jose Rodriguez,
# sharing a date of birth; and one person with two cases under one person record.
CSV = """docket_number,court,last_name,first_name,date_of_birth,status,person_id
0101-CR-000001,Boston Municipal Court,Rivera,,1980-01-01,dismissed,
0202-CR-000002,Lowell District Court,Rivera,,1980-01-01,pending,
0303-CR-000003,Boston Municipal Court,Rodriguez,José,1970-05-05,dismissed,
0404-CR-000004,Brockton District Court,Rodriguez,Jose,1970-05-05,under_review,
0505-CR-000005,Boston Municipal Court,Silva,Ana,1966-06-06,dismissed,R-77
0606-CR-000006,Lowell District Court,Silva,Ana,1966-06-06,pending,R-77
"""


@pytest.fixture(autouse=True)
def registry(db_path: Path, tmp_path: Path) -> None:
    csv = tmp_path / "cases.csv"
    csv.write_text(CSV, encoding="utf-8")

    async def load() -> None:
        async with await Database.open(db_path) as db:
            report = await import_csv(db, str(csv), now=utcnow())
        assert report.inserted == 6 and not report.problems
    asyncio.run(load())


@pytest.mark.parametrize("docket, last, dob, namesake_court", [
    ("0101-CR-000001", "Rivera", "1/1/1980", "Lowell District Court"),
    ("0303-CR-000003", "Rodriguez", "5/5/1970", "Brockton District Court"),
    ("0404-CR-000004", "Rodríguez", "5/5/1970", "Boston Municipal Court"),
])
async def test_a_namesake_is_neither_shown_nor_counted(app, docket, last, dob, namesake_court):
    session = ConsoleSession(app, "tester")
    await start(session)
    turn = await lookup(session, docket, last, dob)
    said = text(turn)
    assert "We found your case" in said
    assert "other case" not in said and "See my other case" not in said
    after = text(await session.say("3"))  # what "See my other case" would have been
    assert namesake_court not in after
    disclosed = [r for r in await audit.recent(app.db) if r["action"] == "disclosure"]
    assert len(disclosed) == 1


async def test_the_registrys_person_record_brings_the_other_case(app):
    session = ConsoleSession(app, "tester")
    await start(session)
    turn = await lookup(session, "0505-CR-000005", "Silva", "6/6/1966")
    assert "1 other case" in text(turn)
    turn = await chat(session, "3")
    assert "0606-CR-000006" in text(turn) and "Lowell District Court" in text(turn)

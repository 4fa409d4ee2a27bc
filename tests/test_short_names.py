"""A two-letter surname needs no typo to be meaningful: "e", "Li" and "Xe" are not "Lê"."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.registry.importer import import_csv
from bot.storage import Database
from tests.conftest import ConsoleSession
from tests.dialogue_support import NEUTRAL, lookup, start, text

CSV = """docket_number,court,last_name,first_name,date_of_birth,status
1002-CR-007730,Lowell District Court,Lê,Thanh,1988-12-01,under_review
"""


@pytest.fixture(autouse=True)
def registry(db_path: Path, tmp_path: Path) -> None:
    csv = tmp_path / "cases.csv"
    csv.write_text(CSV, encoding="utf-8")

    async def load() -> None:
        async with await Database.open(db_path) as db:
            assert (await import_csv(db, str(csv), now=utcnow())).inserted == 1
    asyncio.run(load())


@pytest.mark.parametrize("typed, found", [
    ("e", False), ("Li", False), ("Xe", False), ("Lee", False), ("le", True), ("LÊ", True),
])
async def test_short_surnames_must_match_exactly(app, typed, found):
    session = ConsoleSession(app, f"tester-{typed}")
    await start(session)
    said = text(await lookup(session, "1002-CR-007730", typed, "1988-12-01"))
    assert ("We found your case" in said) is found
    if not found:
        assert NEUTRAL in said

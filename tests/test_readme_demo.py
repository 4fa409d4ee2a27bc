"""The README's "Try the demo" table, played row by row on the demo's own cases.

Every row of the table must have a script here (and every script a row), each
value the row tells people to type must be typed by the script, and what the
row promises must be what the person reads (and what staff see).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.demo_data import shipped_csv
from bot.registry.importer import import_csv
from tests.conftest import ConsoleSession

README = Path(__file__).resolve().parents[1] / "README.md"
NOT_CONFIRMED = "We could not confirm these details"
MATCH = ("Case 0912-CR-004411, Boston Municipal Court.", "Status: Dismissed, since April 19, "
         "2017.", "cannot be charged again")
Check = Callable[[App, list[list[str]]], Awaitable[None]]  # per script, each turn's text


def demo_table() -> dict[str, str]:
    """The "try" -> "type" cells of the README's demo table."""
    section = README.read_text(encoding="utf-8").split("### Try the demo", 1)[1]
    rows: dict[str, str] = {}
    for line in section.split("\n## ", 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("try", "---"):
            rows[cells[0]] = cells[1]
    return rows


async def _match(app: App, said: list[list[str]]) -> None:
    assert all(part in said[0][-1] for part in MATCH), said[0][-1]


async def _wrong_dob(app: App, said: list[list[str]]) -> None:
    wrong, missing = said[0][-1], said[1][-1]
    assert NOT_CONFIRMED in wrong and wrong == missing  # exactly as for no such docket


async def _name_only(app: App, said: list[list[str]]) -> None:
    offer, accepted = said[0][-2], said[0][-1]
    assert "0845" not in offer + accepted and "Dismissed" not in offer + accepted
    assert "lawyer" in offer and "reference" in accepted
    candidates = (await app.db.fetchone("SELECT candidates FROM escalations"))["candidates"]
    assert len(re.findall(r"\d+", candidates)) == 2  # staff see two candidate cases


async def _two_cases(app: App, said: list[list[str]]) -> None:
    asked, last = said[0][-2], said[0][-1]
    assert asked.startswith("Which date did you mean?\nJuly 9, 1981\n")  # option 1
    assert "Case 0845-CR-001203" in last and "Dismissed" in last
    assert "1 other case" in last and "See my other case" in last


async def _statuses(app: App, said: list[list[str]]) -> None:
    for turns, status in zip(said, ("Pending", "Not dismissed", "Under review"), strict=True):
        assert f"Status: {status}" in turns[-1] and "We found your case" in turns[-1]
    assert len({turns[-1].split("Status: ")[1] for turns in said}) == 3  # each explained


async def _locked(app: App, said: list[list[str]]) -> None:
    assert all(NOT_CONFIRMED in turn for turn in said[0][3:16:4])  # tries 1-4
    assert "cannot check cases from here right now" in said[0][-1]
    assert "lawyer" in said[0][-1]


async def _lawyer(app: App, said: list[list[str]]) -> None:
    assert re.search(r"Your reference is [2-9A-Z]{6}\.", said[0][-1])
    assert (await app.db.fetchone("SELECT COUNT(*) FROM escalations"))[0] == 1


START = ["was my case affected?"]
SCRIPTS: dict[str, tuple[list[list[str]], Check]] = {
    "a match": ([START + ["0912-CR-004411", "Nunez", "03/14/1975"]], _match),
    "a typo": ([START + ["0912 cr 004411", "Nunes", "1975-03-14"]], _match),
    "a wrong date of birth": ([START + ["0912-CR-004411", "Nunez", "1975-03-15"],
                               START + ["0999-CR-000000", "Nunez", "1975-03-15"]], _wrong_dob),
    "a name only": ([START + ["I do not have a number", "Carter-Whitfield", "Denise",
                              "1981-07-09", "yes"]], _name_only),
    "one person, two cases": ([START + ["0845-CR-001203", "Carter-Whitfield", "07/09/1981",
                                        "1"]],
                              _two_cases),
    "a notice code": ([START + ["I have a code from a letter", "HX7K-29QP",
                                "1975-03-14"]], _match),
    "other statuses": ([START + ["1081-CR-000217", "O'Brien", "1968-11-02"],
                        START + ["0703-CR-002918", "Kowalski", "05/30/1972"],
                        START + ["1002-CR-007730", "Lê", "1988-12-01"]], _statuses),
    "five wrong tries": ([START + [x for _ in range(5)
                                   for x in ("0912-CR-004411", "Nunez", "1970-01-01", "1")]
                          + ["0845-CR-001203"]], _locked),
    "a lawyer": ([START + ["I want to talk to a lawyer"]], _lawyer),
}


def test_every_row_of_the_readme_table_is_played() -> None:
    assert set(demo_table()) == set(SCRIPTS)


@pytest.mark.parametrize("row", list(SCRIPTS))
def test_the_script_types_what_the_row_says(row: str) -> None:
    typed = {text for script in SCRIPTS[row][0] for text in script}
    for value in re.findall(r"`([^`]+)`", demo_table()[row]):
        assert value in typed, value
    for value in re.findall(r'"([^"]+)"', demo_table()[row]):
        assert value in typed, value


@pytest.mark.parametrize("row", list(SCRIPTS))
async def test_the_row_shows_what_the_readme_promises(app: App, row: str) -> None:
    report = await import_csv(app.db, shipped_csv(), now=app.clock())
    assert report.imported
    said: list[list[str]] = []
    scripts, check = SCRIPTS[row]
    for n, script in enumerate(scripts):
        person = ConsoleSession(app, f"readme-{n}")
        turns: list[str] = []
        for message in script:
            turn: dict[str, Any] = await person.say(message)
            turns.append(person.text(turn) + "\n" + "\n".join(
                o["label"] for r in turn["replies"] for o in r.get("options") or []))
        said.append(turns)
    await check(app, said)

"""Helpers for the dialogue tests: a small registry, imported for real, and chat helpers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.app import App
from bot.clock import utcnow
from bot.registry.importer import import_csv
from bot.storage import Database, people
from tests.conftest import ConsoleSession

ROWS = [
    'docket_number,court,last_name,first_name,date_of_birth,lab'
    ',status,status_date,phone,language,notice_code,person_id',
    '0912-CR-004411,Boston Municipal Court,Núñez,María,1975-03-14,Hinton'
    ',dismissed,2017-04-19,(617) 555-0101,es,HX7K-29QP,P1',
    '0845-CR-001203,Boston Municipal Court,Carter-Whitfield,Denise,1981-07-09,Hinton'
    ',dismissed,2017-04-19,617-555-0103,en,,P2',
    '1123-CR-000588,Springfield District Court,Carter-Whitfield,Denise,1981-07-09,Amherst'
    ',under_review,2020-01-22,617-555-0103,en,,P2',
    '1184CR008220,Springfield District Court,Sullivan,Victor,09/28/1979,Amherst'
    ',not_dismissed,2018-11-28,,en,,P3',
    "1081 CR 000217,Springfield District Court,O'Brien,Patrick,11/02/1968,Amherst"
    ',pending,2019-03-05,,en,MT4R-8ZDW,P4',
]
CSV = "\n".join(ROWS) + "\n"
NUNEZ = ("0912-CR-004411", "Nunez", "3/14/1975")
NEUTRAL = "We could not confirm these details."
LOCKED = "For your safety, we cannot check cases from here right now."


def import_registry(db_path: Path | str, tmp_path: Path) -> None:
    """Load the fixture registry through the importer (no event loop running yet) into a
    SQLite file or, given a URL, a PostgreSQL database."""
    csv = tmp_path / "cases.csv"
    csv.write_text(CSV, encoding="utf-8")

    async def load() -> None:
        async with await Database.open(db_path) as db:
            report = await import_csv(db, str(csv), now=utcnow())
        assert report.imported and not report.problems

    asyncio.run(load())


async def chat(session: ConsoleSession, *texts: str) -> dict[str, Any]:
    """Say each text in turn; return the last turn."""
    turn: dict[str, Any] = {}
    for text in texts:
        turn = await session.say(text)
    return turn


async def start(session: ConsoleSession, language: str = "en") -> dict[str, Any]:
    """Open a conversation and choose a language (a locale, or "1" English, "2" Spanish).

    The language is picked by its name in the menu, so adding locales never
    changes which one a test gets; a language the short first menu leaves out is
    picked from the whole menu, after LANGUAGE, as a person would.
    """
    locale = {"1": "en", "2": "es"}.get(language, language)
    menu = await session.say("hi")
    name = session.app.translator.language_name(locale)
    keys = [o["key"] for r in menu["replies"] for o in r["options"] if o["label"] == name]
    if not keys:
        menu = await session.say("LANGUAGE")
        keys = [o["key"] for r in menu["replies"] for o in r["options"] if o["label"] == name]
    assert keys, f"{name} is not in the language menu"
    return await session.say(keys[0])


async def lookup(session: ConsoleSession, docket: str, last: str, dob: str) -> dict[str, Any]:
    """From the main menu: check my case with a docket number."""
    return await chat(session, "1", docket, last, dob)


async def state_of(app: App, address: str = "tester", channel: str = "console") -> people.State:
    return await people.get_or_create(app.db, channel, address, "2026-01-01T00:00:00+00:00")


def text(turn: dict[str, Any]) -> str:
    """Everything the person reads: each reply and its option labels."""
    lines = []
    for reply in turn["replies"]:
        lines.append(reply["text"])
        lines += [f"{o['key']}. {o['label']}" for o in reply["options"]]
    return "\n".join(lines)

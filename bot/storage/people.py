"""People, their contacts (channel + address) and their dialogue state."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from . import Database, Write, execute_all, on_thread


@dataclass
class State:
    person_id: int
    contact_id: int
    locale: str | None
    locale_chosen: bool
    step: str | None
    awaiting: str | None
    slots: dict[str, Any] = field(default_factory=dict)
    is_new: bool = False
    updated_at: str | None = None  # the conversation's last turn (ISO)


async def get_or_create(db: Database, channel: str, address: str, now: str) -> State:
    """The person behind (channel, address) and their conversation, created if new."""
    row = await db.fetchone(_LOAD, (channel, address))
    if row is None:
        def create(raw: sqlite3.Connection) -> State | aiosqlite.Row:
            with closing(raw.execute(_LOAD, (channel, address))) as cursor:
                found: aiosqlite.Row | None = cursor.fetchone()
            if found is not None:  # created meanwhile
                return found
            person_id = raw.execute("INSERT INTO people(created_at, updated_at) VALUES (?, ?)",
                                    (now, now)).lastrowid or 0
            contact_id = raw.execute(
                "INSERT INTO contacts(person_id, channel, address, created_at) VALUES (?,?,?,?)",
                (person_id, channel, address, now)).lastrowid or 0
            raw.execute(
                "INSERT INTO conversations(person_id, slots, updated_at) VALUES (?, '{}', ?)",
                (person_id, now))
            return State(person_id=person_id, contact_id=contact_id, locale=None,
                         locale_chosen=False, step=None, awaiting=None, is_new=True)
        async with db.transaction() as conn:
            made = await on_thread(conn, create)
        if isinstance(made, State):
            return made
        row = made
    state = _state(row)
    state.is_new = state.step is None
    return state


_LOAD = """SELECT c.id AS contact_id, p.id AS person_id, p.locale, p.locale_chosen,
                  v.step, v.awaiting, v.slots, v.updated_at
           FROM contacts c JOIN people p ON p.id = c.person_id
           LEFT JOIN conversations v ON v.person_id = p.id
           WHERE c.channel = ? AND c.address = ?"""


def _state(row: aiosqlite.Row) -> State:
    return State(
        person_id=row["person_id"], contact_id=row["contact_id"], locale=row["locale"],
        locale_chosen=bool(row["locale_chosen"]), step=row["step"], awaiting=row["awaiting"],
        slots=json.loads(row["slots"] or "{}"), updated_at=row["updated_at"])


def state_writes(state: State, channel: str, now: str) -> list[Write]:
    """The statements that save a person's locale and conversation state."""
    return [
        ("UPDATE people SET locale=?, locale_chosen=?, updated_at=? WHERE id=?",
         (state.locale, int(state.locale_chosen), now, state.person_id)),
        ("""INSERT INTO conversations(person_id, step, awaiting, slots, last_channel, updated_at)
            VALUES (?,?,?,?,?,?)
            ON CONFLICT(person_id) DO UPDATE SET step=excluded.step, awaiting=excluded.awaiting,
              slots=excluded.slots, last_channel=excluded.last_channel,
              updated_at=excluded.updated_at""",
         (state.person_id, state.step, state.awaiting,
          json.dumps(state.slots, ensure_ascii=False), channel, now)),
    ]


async def save_state(conn: aiosqlite.Connection, state: State, channel: str, now: str) -> None:
    await execute_all(conn, state_writes(state, channel, now))


def message_write(person_id: int, direction: str, channel: str, body: str, now: str,
                  author: str | None = None) -> Write:
    return ("INSERT INTO messages(person_id, direction, channel, body, author, created_at)"
            " VALUES (?,?,?,?,?,?)", (person_id, direction, channel, body, author, now))


async def add_message(conn: aiosqlite.Connection, person_id: int, direction: str, channel: str,
                      body: str, now: str, author: str | None = None) -> None:
    await conn.execute(*message_write(person_id, direction, channel, body, now, author))


def reply_writes(person_id: int, channel: str, bodies: list[str], now: str) -> list[Write]:
    """The statements that put the bot's replies of one turn in the transcript, in order."""
    return [message_write(person_id, "out", channel, body, now, "bot") for body in bodies]


async def transcript(db: Database, person_id: int, limit: int = 200) -> list[aiosqlite.Row]:
    rows = await db.fetchall(
        "SELECT direction, channel, body, author, created_at FROM messages"
        " WHERE person_id=? ORDER BY id DESC LIMIT ?", (person_id, limit))
    return list(reversed(rows))


async def contacts_of(db: Database, person_id: int) -> list[aiosqlite.Row]:
    return await db.fetchall(
        "SELECT channel, address, unreachable FROM contacts WHERE person_id=? ORDER BY id",
        (person_id,))


async def set_verified_case(conn: aiosqlite.Connection, person_id: int, case_id: int,
                            now: str) -> None:
    """Remember the case this person proved is theirs."""
    await conn.execute("UPDATE people SET verified_case_id=?, updated_at=? WHERE id=?",
                       (case_id, now, person_id))


async def verified_case_id(db: Database, person_id: int) -> int | None:
    row = await db.fetchone("SELECT verified_case_id FROM people WHERE id=?", (person_id,))
    return row[0] if row else None

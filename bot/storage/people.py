"""People, their contacts (channel + address) and their dialogue state."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import Database, Row, Tx, Write


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
    return await state_of(db, await db.fetchone(*load_read(channel, address)),
                          channel, address, now)


def load_read(channel: str, address: str) -> Write:
    """The person's state, as a read to batch (``turn_reads``); ``state_of`` reads it."""
    return _LOAD, (channel, address)


async def state_of(db: Database, row: Row | None, channel: str, address: str,
                   now: str) -> State:
    """The state in ``load_read``'s row, or (no row) the person created."""
    if row is None:
        async def create(tx: Tx) -> State | Row | None:
            made = await _create(tx, channel, address, now)
            return made or await tx.fetchone(_LOAD, (channel, address))  # created meanwhile
        found = await db.in_one_trip(create)
        if isinstance(found, State):
            return found
        assert found is not None
        row = found
    state = _state(row)
    state.is_new = state.step is None
    return state


async def _create(tx: Tx, channel: str, address: str, now: str) -> State | None:
    """A new person for (channel, address), in two trips; None if they exist already."""
    person = await tx.fetchone(
        "INSERT INTO people(created_at, updated_at) SELECT ?, ? WHERE NOT EXISTS"
        " (SELECT 1 FROM contacts WHERE channel=? AND address=?) RETURNING id",
        (now, now, channel, address))
    if person is None:
        return None
    person_id = int(person[0])
    contact, _ = await tx.fetch_each([
        ("INSERT INTO contacts(person_id, channel, address, created_at) VALUES (?,?,?,?)"
         " RETURNING id", (person_id, channel, address, now)),
        ("INSERT INTO conversations(person_id, slots, updated_at) VALUES (?, '{}', ?)",
         (person_id, now))])
    return State(person_id=person_id, contact_id=int(contact[0]) if contact else 0,
                 locale=None, locale_chosen=False, step=None, awaiting=None, is_new=True)


_LOAD = """SELECT c.id AS contact_id, p.id AS person_id, p.locale, p.locale_chosen,
                  v.step, v.awaiting, v.slots, v.updated_at
           FROM contacts c JOIN people p ON p.id = c.person_id
           LEFT JOIN conversations v ON v.person_id = p.id
           WHERE c.channel = ? AND c.address = ?"""


def _state(row: Row) -> State:
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


async def save_state(tx: Tx, state: State, channel: str, now: str) -> None:
    await tx.run(state_writes(state, channel, now))


def message_write(person_id: int, direction: str, channel: str, body: str, now: str,
                  author: str | None = None) -> Write:
    return ("INSERT INTO messages(person_id, direction, channel, body, author, created_at)"
            " VALUES (?,?,?,?,?,?)", (person_id, direction, channel, body, author, now))


async def add_message(tx: Tx, person_id: int, direction: str, channel: str,
                      body: str, now: str, author: str | None = None) -> None:
    await tx.execute(*message_write(person_id, direction, channel, body, now, author))


def reply_writes(person_id: int, channel: str, bodies: list[str], now: str) -> list[Write]:
    """The statements that put the bot's replies of one turn in the transcript, in order."""
    return [message_write(person_id, "out", channel, body, now, "bot") for body in bodies]


async def transcript(db: Database, person_id: int, limit: int = 200) -> list[Row]:
    rows = await db.fetchall(
        "SELECT direction, channel, body, author, created_at FROM messages"
        " WHERE person_id=? ORDER BY id DESC LIMIT ?", (person_id, limit))
    return list(reversed(rows))


async def contacts_of(db: Database, person_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT channel, address, unreachable FROM contacts WHERE person_id=? ORDER BY id",
        (person_id,))


async def set_verified_case(tx: Tx, person_id: int, case_id: int,
                            now: str) -> None:
    """Remember the case this person proved is theirs."""
    await tx.execute("UPDATE people SET verified_case_id=?, updated_at=? WHERE id=?",
                       (case_id, now, person_id))


async def verified_case_id(db: Database, person_id: int) -> int | None:
    row = await db.fetchone("SELECT verified_case_id FROM people WHERE id=?", (person_id,))
    return row[0] if row else None

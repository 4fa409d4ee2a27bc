"""SMS-only bookkeeping: the rest of long replies, waiting for the person to text MORE."""

from __future__ import annotations

import aiosqlite

from . import Database


async def keep_rest(db: Database, address: str, body: str, person_id: int | None,
                    now: str) -> None:
    """Remember what is left of a long reply (replacing any older rest)."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO sms_more(address, body, person_id, created_at) VALUES (?,?,?,?)"
            " ON CONFLICT(address) DO UPDATE SET body=excluded.body,"
            " person_id=excluded.person_id, created_at=excluded.created_at",
            (address, body, person_id, now))


async def has_rest(db: Database, address: str) -> bool:
    return await db.fetchone("SELECT 1 FROM sms_more WHERE address=?", (address,)) is not None


async def take_rest(conn: aiosqlite.Connection, address: str) -> aiosqlite.Row | None:
    """Remove and return the waiting rest for an address (inside a transaction)."""
    row = await (await conn.execute(
        "SELECT body, person_id FROM sms_more WHERE address=?", (address,))).fetchone()
    if row is not None:
        await conn.execute("DELETE FROM sms_more WHERE address=?", (address,))
    return row


async def drop_rest(db: Database, address: str) -> None:
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM sms_more WHERE address=?", (address,))

"""SMS-only bookkeeping: the rest of long replies, waiting for the person to text MORE."""

from __future__ import annotations

from . import Database, Tx


async def keep_rest(db: Database, address: str, body: str, now: str) -> None:
    """Remember what is left of a long reply (replacing any older rest)."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO sms_more(address, body, created_at) VALUES (?,?,?)"
            " ON CONFLICT(address) DO UPDATE SET body=excluded.body,"
            " created_at=excluded.created_at", (address, body, now))


async def addresses_with_rest(db: Database) -> set[str]:
    return {row[0] for row in await db.fetchall("SELECT address FROM sms_more")}


async def take_rest(tx: Tx, address: str) -> str | None:
    """Remove and return the waiting rest for an address (inside a transaction)."""
    row = await tx.fetchone("SELECT body FROM sms_more WHERE address=?", (address,))
    if row is None:
        return None
    await tx.execute("DELETE FROM sms_more WHERE address=?", (address,))
    return str(row[0])


async def drop_rest(db: Database, address: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM sms_more WHERE address=?", (address,))

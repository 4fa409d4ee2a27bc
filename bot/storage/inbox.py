"""The durable inbox: messages stored (deduplicated) before the provider hears 200."""

from __future__ import annotations

from ..model import Inbound
from . import Database, Row, Tx, Write

_INSERT = """INSERT INTO inbox(channel, provider_id, address, body, language_hint,
                               media_count, received_at)
             VALUES (?,?,?,?,?,?,?) ON CONFLICT(channel, provider_id) DO NOTHING
             RETURNING id"""


def _values(inbound: Inbound, now: str) -> tuple[object, ...]:
    return (inbound.channel, inbound.provider_id, inbound.address, inbound.text,
            inbound.language_hint, inbound.media_count, now)


async def store(db: Database, inbound: Inbound, now: str) -> int | None:
    """Store one inbound message; return its id, or None if already stored (a retry)."""
    return (await store_many(db, [inbound], now))[0]


async def store_many(db: Database, inbounds: list[Inbound], now: str) -> list[int | None]:
    """``store`` for several messages in one transaction (group commit under load)."""
    async with db.transaction() as tx:
        rows = await tx.fetch_each([(_INSERT, _values(inbound, now)) for inbound in inbounds])
    return [int(row[0]) if row is not None else None for row in rows]


def done_write(inbox_id: int, now: str) -> Write:
    return "UPDATE inbox SET status='done', processed_at=? WHERE id=?", (now, inbox_id)


async def mark_done(tx: Tx, inbox_id: int, now: str) -> None:
    await tx.execute(*done_write(inbox_id, now))


async def mark_failed(tx: Tx, inbox_id: int, now: str) -> None:
    await tx.execute(
        "UPDATE inbox SET status='failed', processed_at=? WHERE id=?", (now, inbox_id))


async def add_attempt(db: Database, inbox_id: int) -> int:
    """Count one failed handling of a row; return the attempts so far."""
    async with db.transaction() as tx:
        await tx.execute("UPDATE inbox SET attempts = attempts + 1 WHERE id=?", (inbox_id,))
        row = await tx.fetchone(
            "SELECT attempts FROM inbox WHERE id=?", (inbox_id,))
    return int(row[0]) if row else 0


async def pending(db: Database, channel: str | None = None,
                  limit: int = 500) -> list[Row]:
    if channel is None:
        return await db.fetchall(
            "SELECT * FROM inbox WHERE status='pending' ORDER BY id LIMIT ?", (limit,))
    return await db.fetchall(
        "SELECT * FROM inbox WHERE status='pending' AND channel=? ORDER BY id LIMIT ?",
        (channel, limit))


async def pending_after(db: Database, after_id: int, limit: int) -> list[Row]:
    """Pending rows with an id above ``after_id``, oldest first."""
    return await db.fetchall(
        "SELECT * FROM inbox WHERE status='pending' AND id>? ORDER BY id LIMIT ?",
        (after_id, limit))

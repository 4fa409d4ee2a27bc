"""The durable inbox: messages stored (deduplicated) before the provider hears 200."""

from __future__ import annotations

import aiosqlite

from ..model import Inbound
from . import Database


async def store(db: Database, inbound: Inbound, now: str) -> int | None:
    """Store one inbound message; return its id, or None if already stored (a retry)."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            """INSERT INTO inbox(channel, provider_id, address, body, language_hint,
                                 media_count, received_at)
               VALUES (?,?,?,?,?,?,?) ON CONFLICT(channel, provider_id) DO NOTHING""",
            (inbound.channel, inbound.provider_id, inbound.address, inbound.text,
             inbound.language_hint, inbound.media_count, now))
        return cur.lastrowid if cur.rowcount else None


async def mark_done(conn: aiosqlite.Connection, inbox_id: int, now: str) -> None:
    await conn.execute(
        "UPDATE inbox SET status='done', processed_at=? WHERE id=?", (now, inbox_id))


async def pending(db: Database, channel: str | None = None, limit: int = 500) -> list[aiosqlite.Row]:
    if channel is None:
        return await db.fetchall(
            "SELECT * FROM inbox WHERE status='pending' ORDER BY id LIMIT ?", (limit,))
    return await db.fetchall(
        "SELECT * FROM inbox WHERE status='pending' AND channel=? ORDER BY id LIMIT ?",
        (channel, limit))

"""The durable outbox: every outbound message, whatever the channel."""

from __future__ import annotations

import json

import aiosqlite

from ..model import Reply
from . import Database


async def enqueue(conn: aiosqlite.Connection, channel: str, address: str, reply: Reply, now: str,
                  *, person_id: int | None = None, inbox_id: int | None = None,
                  campaign_id: int | None = None, author: str = "bot",
                  kind: str = "reply") -> int:
    options = json.dumps([{"key": o.key, "label": o.label} for o in reply.options],
                         ensure_ascii=False)
    cur = await conn.execute(
        """INSERT INTO outbox(channel, address, body, options, status, next_attempt_at,
                              person_id, inbox_id, campaign_id, author, kind,
                              created_at, updated_at)
           VALUES (?,?,?,?,'pending',?,?,?,?,?,?,?,?)""",
        (channel, address, reply.text, options, now, person_id, inbox_id, campaign_id,
         author, kind, now, now))
    return cur.lastrowid or 0


async def for_address(db: Database, channel: str, address: str) -> list[aiosqlite.Row]:
    return await db.fetchall(
        "SELECT * FROM outbox WHERE channel=? AND address=? ORDER BY id", (channel, address))

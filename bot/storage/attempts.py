"""Verification attempts, counted per key for the lookup rate limit.

Keys: ``sender:<channel>:<address>``, ``docket:<docket>`` (across senders), or
``notice:<hash prefix>`` for a notice code that matches no case.
"""

from __future__ import annotations

import aiosqlite

from . import Database


async def record(conn: aiosqlite.Connection, key: str, success: bool, now: str) -> None:
    await conn.execute("INSERT INTO lookup_attempts(key, success, at) VALUES (?,?,?)",
                       (key, int(success), now))


async def failures_since(db: Database, key: str, since: str) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) FROM lookup_attempts WHERE key=? AND success=0 AND at>=?",
        (key, since))
    return int(row[0]) if row else 0

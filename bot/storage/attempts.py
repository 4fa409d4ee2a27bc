"""Verification attempts, counted per key for the lookup rate limit.

Keys (``hashed_key``): ``sender`` (channel and address), ``docket`` (across senders),
or ``notice`` for a notice code that matches no case; console sign-ins use
``account`` and ``address``. Only a hash of the value is stored: the table says
how often a key was tried, not whose phone or which docket it was.
"""

from __future__ import annotations

import hashlib

import aiosqlite

from . import Database


def hashed_key(kind: str, value: str) -> str:
    """``kind:`` and a SHA-256 prefix of the value: the attempt tables hold no raw key."""
    digest = hashlib.sha256(f"{kind}\x1f{value}".encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


async def record(conn: aiosqlite.Connection, key: str, success: bool, now: str) -> None:
    await conn.execute("INSERT INTO lookup_attempts(key, success, at) VALUES (?,?,?)",
                       (key, int(success), now))


async def failures_since(db: Database, key: str, since: str) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) FROM lookup_attempts WHERE key=? AND success=0 AND at>=?",
        (key, since))
    return int(row[0]) if row else 0

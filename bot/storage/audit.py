"""The audit trail: who looked up, saw or did what. Never personal data in ``detail``."""

from __future__ import annotations

import aiosqlite

from . import Database


async def record(conn: aiosqlite.Connection, now: str, actor: str, action: str,
                 outcome: str | None = None, person_id: int | None = None,
                 case_id: int | None = None, detail: str | None = None) -> None:
    await conn.execute(
        "INSERT INTO audit(at, actor, action, outcome, person_id, case_id, detail)"
        " VALUES (?,?,?,?,?,?,?)",
        (now, actor, action, outcome, person_id, case_id, detail))


async def recent(db: Database, limit: int = 100) -> list[aiosqlite.Row]:
    return await db.fetchall("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))

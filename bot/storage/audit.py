"""The audit trail: who looked up, saw or did what. Never personal data in ``detail``."""

from __future__ import annotations

from . import Database, Row, Tx


async def record(tx: Tx, now: str, actor: str, action: str,
                 outcome: str | None = None, person_id: int | None = None,
                 case_id: int | None = None, detail: str | None = None) -> None:
    await tx.execute(
        "INSERT INTO audit(at, actor, action, outcome, person_id, case_id, detail)"
        " VALUES (?,?,?,?,?,?,?)",
        (now, actor, action, outcome, person_id, case_id, detail))


async def recent(db: Database, limit: int = 100) -> list[Row]:
    return await db.fetchall("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))

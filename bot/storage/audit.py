"""The audit trail: who looked up, saw or did what. Never personal data in ``detail``."""

from __future__ import annotations

from typing import Any

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


async def audit_page(db: Database, *, actor: str = "", action: str = "", limit: int = 100,
                     offset: int = 0) -> tuple[list[Row], int]:
    clauses: list[str] = []
    params: list[Any] = []
    if actor:
        clauses.append("a.actor = ?")
        params.append(actor)
    if action:
        clauses.append("a.action = ?")
        params.append(action)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = await db.fetchall(
        "SELECT a.*, c.docket_display AS docket FROM audit a"
        f" LEFT JOIN cases c ON c.id = a.case_id{where} ORDER BY a.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset])
    total = await db.fetchone(f"SELECT COUNT(*) FROM audit a{where}", params)
    return rows, int(total[0]) if total else 0

"""Escalations: a person handed to counsel, with the context staff need."""

from __future__ import annotations

import json
from collections.abc import Sequence

from . import Database, Row, Tx
from .records import Escalation

OPEN_STATUSES = ("open", "claimed", "waiting")


async def create(tx: Tx, *, ref: str, person_id: int, channel: str,
                 address: str, locale: str, reason: str, case_id: int | None,
                 candidates: Sequence[int], summary: str, now: str) -> int:
    row = await tx.fetchone(
        """INSERT INTO escalations(ref, person_id, channel, address, locale, reason, case_id,
                                   candidates, summary, status, created_at, updated_at)
           VALUES (?,?,?,?,?,?,?,?,?, 'open', ?, ?) RETURNING id""",
        (ref, person_id, channel, address, locale, reason, case_id,
         json.dumps(sorted(set(candidates))), summary, now, now))
    return int(row[0]) if row else 0


async def open_for_person(db: Database, person_id: int) -> Escalation | None:
    return Escalation.maybe(await db.fetchone(
        "SELECT * FROM escalations WHERE person_id=? AND status IN (?,?,?)"
        " ORDER BY id DESC LIMIT 1", (person_id, *OPEN_STATUSES)))


async def ref_exists(db: Database, ref: str) -> bool:
    return await db.fetchone("SELECT 1 FROM escalations WHERE ref=?", (ref,)) is not None


async def add_candidates(tx: Tx, escalation_id: int,
                         candidates: Sequence[int], now: str) -> None:
    """Merge more candidate case ids into an open escalation (a later name-only lookup)."""
    row = await tx.fetchone(
        "SELECT candidates FROM escalations WHERE id=?", (escalation_id,))
    if row is None:
        return
    merged = sorted(set(json.loads(row[0] or "[]")) | set(candidates))
    await tx.execute("UPDATE escalations SET candidates=?, updated_at=? WHERE id=?",
                       (json.dumps(merged), now, escalation_id))


async def list_open(db: Database) -> list[Row]:
    return await db.fetchall(
        "SELECT id, ref, channel, locale, reason, status, created_at FROM escalations"
        " WHERE status IN (?,?,?) ORDER BY created_at, id", OPEN_STATUSES)

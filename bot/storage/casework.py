"""The console's escalation queue and casework: listing, claiming, assigning, replying,
resolving, notes and history.

Every staff action is written with its history event and its audit row in one
transaction. Times are ISO 8601 UTC strings, as everywhere in the database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Reply
from . import Database, Row, Tx, audit, outbox, people
from .records import Escalation

STATUSES = ("open", "claimed", "waiting", "resolved")


@dataclass(frozen=True)
class QueueFilter:
    status: str = "active"  # active (not resolved), all, or one of STATUSES
    locale: str = ""
    channel: str = ""
    age: str = ""  # "", "overdue" (older than the target), "recent" (within it), "week"


def _queue_where(f: QueueFilter, overdue_before: str, week_before: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if f.status == "active":
        clauses.append("status != 'resolved'")  # matches the partial index escalations_active
    elif f.status in STATUSES:
        clauses.append("status = ?")
        params.append(f.status)
    if f.locale:
        clauses.append("locale = ?")
        params.append(f.locale)
    if f.channel:
        clauses.append("channel = ?")
        params.append(f.channel)
    if f.age == "overdue":
        clauses.append("created_at < ? AND status != 'resolved'")
        params.append(overdue_before)
    elif f.age == "recent":
        clauses.append("created_at >= ?")
        params.append(overdue_before)
    elif f.age == "week":
        clauses.append("created_at < ?")
        params.append(week_before)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


async def queue(db: Database, f: QueueFilter, *, overdue_before: str, week_before: str,
                limit: int, offset: int, count_cap: int = 5000) -> tuple[list[Row], int]:
    """One page of escalations (oldest first while unresolved) and how many match.

    The count stops at ``count_cap`` + 1 so that a huge backlog costs no more
    than a page (the page shows "more than N").
    """
    where, params = _queue_where(f, overdue_before, week_before)
    order = "DESC" if f.status in ("resolved", "all") else "ASC"
    rows = await db.fetchall(
        "SELECT id, ref, status, locale, channel, reason, claimed_by, created_at, updated_at,"
        " person_wrote_at, EXISTS(SELECT 1 FROM optouts o WHERE o.channel = escalations.channel"
        " AND o.address = escalations.address) AS opted_out"
        f" FROM escalations{where} ORDER BY created_at {order}, id {order}"
        " LIMIT ? OFFSET ?", [*params, limit, offset])
    total = await db.fetchone(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM escalations{where} LIMIT ?) AS matching",
        [*params, count_cap + 1])
    return rows, int(total[0]) if total else 0


async def overdue_count(db: Database, overdue_before: str) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) FROM escalations WHERE status != 'resolved' AND created_at < ?",
        (overdue_before,))
    return int(row[0]) if row else 0


async def escalation(db: Database, escalation_id: int) -> Escalation | None:
    return Escalation.maybe(await db.fetchone(
        """SELECT e.*, p.locale AS person_locale, p.verified_case_id
           FROM escalations e JOIN people p ON p.id = e.person_id WHERE e.id=?""",
        (escalation_id,)))


async def cases_by_ids(db: Database, ids: Sequence[int]) -> list[Row]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return await db.fetchall(f"SELECT * FROM cases WHERE id IN ({marks}) ORDER BY id", list(ids))


async def disclosed_cases(db: Database, person_id: int) -> list[Row]:
    """Every case the bot disclosed to this person (from the audit trail), in order."""
    return await db.fetchall(
        "SELECT * FROM cases WHERE id IN (SELECT case_id FROM audit WHERE person_id=?"
        " AND action='disclosure' AND case_id IS NOT NULL) ORDER BY id", (person_id,))


def candidate_ids(esc: Row) -> list[int]:
    try:
        ids = json.loads(esc["candidates"] or "[]")
    except ValueError:
        return []
    return [i for i in ids if isinstance(i, int)][:20]


async def notes(db: Database, escalation_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT author, body, at FROM escalation_notes WHERE escalation_id=? ORDER BY id",
        (escalation_id,))


async def events(db: Database, escalation_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT actor, action, at FROM escalation_events WHERE escalation_id=? ORDER BY id",
        (escalation_id,))


async def record_view(db: Database, esc: Row, actor: str, now: str) -> None:
    """Opening an escalation shows a transcript and case data: audit it."""
    async with db.transaction() as tx:
        await _audit(tx, esc, actor, "escalation_view", now)


async def record_export(db: Database, esc: Row, actor: str, now: str) -> None:
    """Downloading a conversation takes a transcript out of the console: audit it."""
    async with db.transaction() as tx:
        await _audit(tx, esc, actor, "escalation_export", now)


async def _audit(tx: Tx, esc: Row, actor: str, action: str, now: str, more: str = "") -> None:
    await audit.record(tx, now, actor, action, person_id=esc["person_id"],
                       case_id=esc["case_id"], detail=f"escalation={esc['id']}{more}")


async def _event(tx: Tx, esc: Row, actor: str, action: str, now: str,
                 assignee: str | None = None) -> None:
    """One step in the escalation's history, and its audit line."""
    await tx.execute(
        "INSERT INTO escalation_events(escalation_id, actor, action, at) VALUES (?,?,?,?)",
        (esc["id"], actor, f"{action}:{assignee}" if assignee else action, now))
    await _audit(tx, esc, actor, f"escalation_{action}", now,
                 f" to={assignee}" if assignee else "")


async def claim(db: Database, esc: Row, actor: str, now: str) -> bool:
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE escalations SET status='claimed', claimed_by=?, updated_at=?"
            " WHERE id=? AND status != 'resolved'", (actor, now, esc["id"]))
        if changed == 0:
            return False
        await _event(tx, esc, actor, "claimed", now)
    return True


async def assign(db: Database, esc: Row, actor: str, assignee: str, now: str) -> bool:
    """Give a live escalation to a colleague; the event names them ("assigned:staff:3")."""
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE escalations SET status=CASE status WHEN 'open' THEN 'claimed' ELSE status"
            " END, claimed_by=?, updated_at=? WHERE id=? AND status != 'resolved'",
            (assignee, now, esc["id"]))
        if changed == 0:
            return False
        await _event(tx, esc, actor, "assigned", now, assignee)
    return True


async def mark_waiting(db: Database, esc: Row, actor: str, now: str) -> bool:
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE escalations SET status='waiting', updated_at=?"
            " WHERE id=? AND status='claimed' AND claimed_by=?", (now, esc["id"], actor))
        if changed == 0:
            return False
        await _event(tx, esc, actor, "waiting", now)
    return True


async def _send(tx: Tx, esc: Row, actor: str, text: str, now: str) -> None:
    """Queue a message to the person on their channel and put it in the transcript."""
    await outbox.enqueue(tx, esc["channel"], esc["address"], Reply(text), now,
                         person_id=esc["person_id"], author=actor, kind="staff")
    await people.add_message(tx, esc["person_id"], "out", esc["channel"], text, now,
                             author=actor)


async def reply(db: Database, esc: Row, actor: str, text: str, now: str, *,
                then_wait: bool) -> bool:
    """Send a staff reply; only the claimant of a live escalation may."""
    status = "waiting" if then_wait else "claimed"
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE escalations SET status=?, person_wrote_at=NULL, updated_at=?"
            " WHERE id=? AND status IN ('claimed','waiting') AND claimed_by=?",
            (status, now, esc["id"], actor))
        if changed == 0:
            return False
        await _send(tx, esc, actor, text, now)
        await _event(tx, esc, actor, "replied", now)
        if then_wait:
            await _event(tx, esc, actor, "waiting", now)
    return True


async def resolve(db: Database, esc: Row, actor: str, closing: str, now: str) -> bool:
    """Close the escalation and hand the person back to the bot with ``closing``."""
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE escalations SET status='resolved', person_wrote_at=NULL, updated_at=?"
            " WHERE id=? AND status != 'resolved'", (now, esc["id"]))
        if changed == 0:
            return False
        await _send(tx, esc, actor, closing, now)
        await _event(tx, esc, actor, "resolved", now)
    return True


async def add_note(db: Database, esc: Row, actor: str, body: str, now: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO escalation_notes(escalation_id, author, body, at) VALUES (?,?,?,?)",
            (esc["id"], actor, body, now))
        await _event(tx, esc, actor, "noted", now)

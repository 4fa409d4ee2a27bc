"""The person's side of a live handoff: while staff hold a thread, what the person
writes is marked on the escalation, and console replies are taken from the outbox.
"""

from __future__ import annotations

from . import Database, Row, Tx, Write


def live_read(channel: str, address: str) -> Write:
    """The claimed or waiting escalation of the person behind (channel, address), if
    any: staff are talking with them (a turn's read, ``turn_reads``)."""
    return ("SELECT e.* FROM contacts c JOIN escalations e ON e.person_id = c.person_id"
            " WHERE c.channel=? AND c.address=? AND e.status IN ('claimed','waiting')"
            " ORDER BY e.id DESC LIMIT 1", (channel, address))


async def staff_wrote_last(db: Database, person_id: int) -> bool:
    """Was the last message to the person a staff member's (not the bot's)?"""
    row = await db.fetchone(
        "SELECT author FROM messages WHERE person_id=? AND direction='out'"
        " ORDER BY id DESC LIMIT 1", (person_id,))
    return row is not None and str(row["author"] or "").startswith("staff:")


async def person_wrote(tx: Tx, escalation_id: int, now: str,
                       *, told_after_hours: bool) -> None:
    """The person answered in the thread: it is staff's turn again."""
    await tx.execute(
        """UPDATE escalations SET person_wrote_at=?, updated_at=?,
               status=CASE status WHEN 'waiting' THEN 'claimed' ELSE status END,
               after_hours_told=CASE WHEN ? = 1 THEN 1 ELSE after_hours_told END
           WHERE id=?""", (now, now, int(told_after_hours), escalation_id))
    await tx.execute(
        "INSERT INTO escalation_events(escalation_id, actor, action, at) VALUES (?,?,?,?)",
        (escalation_id, "person", "person_wrote", now))


async def take_console_outbox(db: Database, address: str, now: str) -> list[Row]:
    """Pending console-channel messages for ``address``, marked sent as they are handed over.

    An opt-out cancels them (except compliance messages), as the other channels do.
    """
    waiting = await db.fetchone(
        "SELECT 1 FROM outbox WHERE channel='console' AND address=? AND status='pending' LIMIT 1",
        (address,))
    if waiting is None:
        return []
    async with db.transaction() as tx:
        opted = await tx.fetchone(
            "SELECT 1 FROM optouts WHERE channel='console' AND address=?", (address,))
        if opted is not None:
            await tx.execute(
                "UPDATE outbox SET status='cancelled', updated_at=? WHERE channel='console'"
                " AND address=? AND status='pending' AND kind!='compliance'", (now, address))
        rows = await tx.fetchall(
            "UPDATE outbox SET status='sent', attempts=attempts+1, updated_at=?"
            " WHERE channel='console' AND address=? AND status='pending'"
            " RETURNING id, body, author, kind", (now, address))
    return sorted(rows, key=lambda r: r["id"])

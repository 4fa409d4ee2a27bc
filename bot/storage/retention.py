"""Retention and erasure: message bodies go, the audit trail of who saw what stays.

``purge`` deletes transcripts and blanks inbox/outbox bodies older than the
retention cutoff. ``forget_person`` does the same for one person at once, when
they ask the bot to forget them or staff erase their data on request.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from . import Database


@dataclass(frozen=True)
class Purged:
    messages: int
    inbox: int
    outbox: int
    sms_more: int

    def total(self) -> int:
        return self.messages + self.inbox + self.outbox + self.sms_more


async def purge(db: Database, cutoff: str) -> Purged:
    """Delete message bodies older than ``cutoff`` (an ISO timestamp)."""
    async with db.transaction() as conn:
        messages = await conn.execute("DELETE FROM messages WHERE created_at < ?", (cutoff,))
        inbox = await conn.execute(
            "UPDATE inbox SET body='' WHERE status <> 'pending' AND received_at < ?"
            " AND body <> ''", (cutoff,))
        outbox = await conn.execute(
            "UPDATE outbox SET body='', options='[]' WHERE status NOT IN ('pending','sending')"
            " AND created_at < ? AND body <> ''", (cutoff,))
        more = await conn.execute("DELETE FROM sms_more WHERE created_at < ?", (cutoff,))
    return Purged(messages.rowcount, inbox.rowcount, outbox.rowcount, more.rowcount)


async def forget_person(conn: aiosqlite.Connection, person_id: int, now: str) -> None:
    """Erase one person's conversation data inside the caller's transaction."""
    await conn.execute("DELETE FROM messages WHERE person_id=?", (person_id,))
    await conn.execute(
        "UPDATE conversations SET slots='{}', step=NULL, awaiting=NULL, updated_at=?"
        " WHERE person_id=?", (now, person_id))
    await conn.execute("UPDATE people SET verified_case_id=NULL, updated_at=? WHERE id=?",
                       (now, person_id))
    contacts = "SELECT channel, address FROM contacts WHERE person_id=?"
    await conn.execute(
        "UPDATE inbox SET body='' WHERE status <> 'pending'"
        f" AND (channel, address) IN ({contacts})",
        (person_id,))
    await conn.execute(
        "UPDATE outbox SET body='', options='[]' WHERE status NOT IN ('pending','sending')"
        f" AND (channel, address) IN ({contacts})", (person_id,))
    await conn.execute(
        f"DELETE FROM sms_more WHERE address IN (SELECT address FROM ({contacts}))",
        (person_id,))
    await conn.execute(
        "UPDATE escalations SET summary='', candidates='[]', status='resolved', updated_at=?"
        " WHERE person_id=? AND status <> 'resolved'", (now, person_id))

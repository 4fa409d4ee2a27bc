"""Opt-outs, per channel and address; they govern every message and outreach."""

from __future__ import annotations

from . import Database, Tx, Write, linking


async def is_opted_out(db: Database, channel: str, address: str) -> bool:
    """This address opted out, or another contact of the same person did (linking)."""
    row = await db.fetchone(*opted_out_read(channel, address))
    return bool(row and row[0])


def opted_out_read(channel: str, address: str) -> Write:
    """``is_opted_out`` as a read to batch (``turn_reads``): one row, true or false."""
    return (f"SELECT {linking.opted_out_clause('?', '?')}", (channel, address, channel, address))


async def opt_out(tx: Tx, channel: str, address: str, reason: str,
                  now: str) -> None:
    await tx.execute(
        "INSERT INTO optouts(channel, address, reason, at) VALUES (?,?,?,?)"
        " ON CONFLICT(channel, address) DO UPDATE SET reason=excluded.reason, at=excluded.at",
        (channel, address, reason, now))
    # Nothing queued for this address may leave after an opt-out.
    await tx.execute(
        "UPDATE outbox SET status='cancelled', updated_at=? WHERE channel=? AND address=?"
        " AND status='pending'", (now, channel, address))


async def opt_in(tx: Tx, channel: str, address: str) -> None:
    await tx.execute("DELETE FROM optouts WHERE channel=? AND address=?", (channel, address))
    await linking.opt_in_person(tx, channel, address)

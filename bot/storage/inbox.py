"""The durable inbox: messages stored (deduplicated) before the provider hears 200."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Inbound
from . import Database, Tx, Write
from .records import InboxMessage

_INSERT = """INSERT INTO inbox(channel, provider_id, address, body, language_hint,
                               media_count, received_at)
             VALUES (?,?,?,?,?,?,?) ON CONFLICT(channel, provider_id) DO NOTHING
             RETURNING id"""


def _values(inbound: Inbound, now: str) -> tuple[object, ...]:
    return (inbound.channel, inbound.provider_id, inbound.address, inbound.text,
            inbound.language_hint, inbound.media_count, now)


async def store(db: Database, inbound: Inbound, now: str) -> int | None:
    """Store one inbound message; return its id, or None if already stored (a retry)."""
    return (await store_many(db, [inbound], now))[0]


async def store_many(db: Database, inbounds: list[Inbound], now: str) -> list[int | None]:
    """``store`` for several messages in one transaction (group commit under load)."""
    writes = [(_INSERT, _values(inbound, now)) for inbound in inbounds]
    rows = await db.in_one_trip(lambda tx: tx.fetch_each(writes))
    return [int(row[0]) if row is not None else None for row in rows]


def done_write(inbox_id: int, now: str) -> Write:
    return "UPDATE inbox SET status='done', processed_at=? WHERE id=?", (now, inbox_id)


async def mark_done(tx: Tx, inbox_id: int, now: str) -> None:
    await tx.execute(*done_write(inbox_id, now))


async def mark_failed(tx: Tx, inbox_id: int, now: str) -> None:
    await tx.execute(
        "UPDATE inbox SET status='failed', processed_at=? WHERE id=?", (now, inbox_id))


async def add_attempt(db: Database, inbox_id: int) -> int:
    """Count one failed handling of a row; return the attempts so far."""
    async with db.transaction() as tx:
        await tx.execute("UPDATE inbox SET attempts = attempts + 1 WHERE id=?", (inbox_id,))
        row = await tx.fetchone(
            "SELECT attempts FROM inbox WHERE id=?", (inbox_id,))
    return int(row[0]) if row else 0


async def pending(db: Database, channel: str | None = None,
                  limit: int = 500) -> list[InboxMessage]:
    if channel is None:
        return InboxMessage.all(await db.fetchall(
            "SELECT * FROM inbox WHERE status='pending' ORDER BY id LIMIT ?", (limit,)))
    return InboxMessage.all(await db.fetchall(
        "SELECT * FROM inbox WHERE status='pending' AND channel=? ORDER BY id LIMIT ?",
        (channel, limit)))


async def pending_after(db: Database, after_id: int, limit: int) -> list[InboxMessage]:
    """Pending rows with an id above ``after_id``, oldest first, each with the
    ``person_id`` of its sender (None for a sender not seen before)."""
    return InboxMessage.all(await db.fetchall(
        "SELECT i.*, c.person_id FROM inbox i"
        " LEFT JOIN contacts c ON c.channel = i.channel AND c.address = i.address"
        " WHERE i.status='pending' AND i.id>? ORDER BY i.id LIMIT ?", (after_id, limit)))


# A row is claimed by ``worker`` if it is pending, not under another worker's live
# lease, and every earlier pending row of its sender is this worker's already or
# claimed with it (in ``ids`` and under no other worker's live lease: an id in ``ids``
# that another worker holds is not claimed, so it must hold back its sender's later
# rows), and no other worker holds a live lease on a row of the same person (linked
# contacts): one person's turns never run in two workers at once. (That last test
# looks the other rows up per linked contact, by address: joined to ``inbox`` directly,
# SQLite scanned every pending row for each row claimed, seconds for a backlog.)
_CLAIM = """UPDATE inbox SET claimed_by=?, claimed_until=?
    WHERE id IN ({ids}) AND status='pending'
      AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?)
      AND NOT EXISTS (
        SELECT 1 FROM inbox o
        WHERE o.channel = inbox.channel AND o.address = inbox.address
          AND o.status = 'pending' AND o.id < inbox.id
          AND (o.claimed_by IS NULL OR o.claimed_by <> ?)
          AND (o.id NOT IN ({ids}) OR o.claimed_until >= ?))
      AND NOT EXISTS (
        SELECT 1 FROM contacts me
        JOIN contacts other ON other.person_id = me.person_id
        WHERE me.channel = inbox.channel AND me.address = inbox.address
          AND EXISTS (
            SELECT 1 FROM inbox o
            WHERE o.channel = other.channel AND o.address = other.address
              AND o.status = 'pending' AND o.claimed_by <> ? AND o.claimed_until >= ?))"""
_CHUNK = 400  # ids per statement (each appears twice)
CLAIM_LOCK = 0x63617365_696E  # pg_advisory_xact_lock key of the inbox claim ("casein")


async def claim(db: Database, ids: Sequence[int], worker: str, now: str,
                until: str) -> set[int]:
    """Claim the rows ``ids`` for ``worker`` until ``until``; the ids it now holds.
    The claim joins the group commit of concurrent turns (no commit of its own)."""
    if not ids:
        return set()
    writes: list[Write] = []
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        writes.append((_CLAIM.format(ids=marks),
                       (worker, until, *chunk, now, worker, worker, *chunk, now,
                        worker, now)))
    if db.dialect == "postgresql":
        # Instances claim concurrently under READ COMMITTED, and the claim reads rows it
        # does not update (a sender's earlier rows, a linked contact's leases): row locks
        # (FOR UPDATE SKIP LOCKED) would not stop two instances taking one person's
        # turns at once. One claim at a time per database does, until its commit.
        writes.insert(0, ("SELECT pg_advisory_xact_lock(?)", (CLAIM_LOCK,)))
    await db.write_grouped(writes)
    held: set[int] = set()
    for sql, params in _by_chunks("SELECT id FROM inbox WHERE id IN ({ids}) AND claimed_by=?",
                                  (), ids, (worker,)):
        held.update(int(row[0]) for row in await db.fetchall(sql, params))
    return held


def _chunks(ids: Sequence[int]) -> list[tuple[int, ...]]:
    return [tuple(ids[start:start + _CHUNK]) for start in range(0, len(ids), _CHUNK)]


def _by_chunks(sql: str, head: tuple[object, ...], ids: Sequence[int],
               tail: tuple[object, ...]) -> list[Write]:
    """``sql`` once per chunk of ``ids`` (``{ids}``: its placeholders, bound after
    ``head`` and before ``tail``)."""
    return [(sql.format(ids=",".join("?" * len(chunk))), (*head, *chunk, *tail))
            for chunk in _chunks(ids)]


async def free_dead_claims(db: Database, worker: str, now: str) -> int:
    """End the live leases of workers no longer present (their process died), so their
    rows are taken over at once rather than when the leases expire; the rows freed."""
    holders = [row[0] for row in await db.fetchall(
        "SELECT DISTINCT claimed_by FROM inbox WHERE status='pending'"
        " AND claimed_by IS NOT NULL AND claimed_by <> ? AND claimed_until >= ?",
        (worker, now))]
    gone = sorted(await db.absent(holders)) if holders else []
    if not gone:
        return 0
    async with db.transaction() as tx:
        return await tx.execute(
            f"UPDATE inbox SET claimed_by=NULL, claimed_until=NULL WHERE status='pending'"
            f" AND claimed_by IN ({','.join('?' * len(gone))})", gone)


async def renew(db: Database, ids: Sequence[int], worker: str, until: str) -> None:
    """Extend the lease of the rows ``worker`` holds (group committed)."""
    if ids:
        await db.write_grouped(_by_chunks(
            "UPDATE inbox SET claimed_until=? WHERE id IN ({ids}) AND claimed_by=?",
            (until,), ids, (worker,)))


async def release(db: Database, ids: Sequence[int], worker: str) -> None:
    """Give the rows back (a worker stopping): another worker may take them at once."""
    if ids:
        await db.write_grouped(_by_chunks(
            "UPDATE inbox SET claimed_by=NULL, claimed_until=NULL"
            " WHERE id IN ({ids}) AND claimed_by=? AND status='pending'",
            (), ids, (worker,)))

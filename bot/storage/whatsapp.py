"""WhatsApp-only bookkeeping: the 24-hour window and the replies held outside it.

The window is read from the inbox itself (the person's last WhatsApp message),
so it needs no table of its own and survives restarts. An outbox row that may
not leave outside the window is 'held' (see ``outbox.mark_held``); the next
message from the person opens the window and puts the held rows back to
'pending', in their original order.
"""

from __future__ import annotations

from ..channels.registry import WHATSAPP
from . import Database

CHANNEL = WHATSAPP.name
WINDOW_REFUSED = "63016"  # Twilio's error for a free-form message outside the window


async def last_inbound_at(db: Database, address: str) -> str | None:
    """When the person at ``address`` last wrote on WhatsApp (ISO), if ever."""
    row = await db.fetchone(
        "SELECT MAX(received_at) FROM inbox WHERE channel=? AND address=?", (CHANNEL, address))
    return row[0] if row and row[0] else None


async def has_held(db: Database, address: str) -> bool:
    """Does a row already wait for the window (so the person was already told)?"""
    row = await db.fetchone(
        "SELECT 1 FROM outbox WHERE channel=? AND address=? AND status='held' LIMIT 1",
        (CHANNEL, address))
    return row is not None


async def held_count(db: Database, address: str) -> int:
    """How many messages to this WhatsApp number wait for the window (for staff)."""
    row = await db.fetchone(
        "SELECT COUNT(*) FROM outbox WHERE channel=? AND address=? AND status='held'",
        (CHANNEL, address))
    return int(row[0]) if row else 0


async def release_held(db: Database, address: str, now: str) -> int:
    """The window is open again: held rows go out now; return how many."""
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE outbox SET status='pending', next_attempt_at=?, updated_at=?"
            " WHERE channel=? AND address=? AND status='held'",
            (now, now, CHANNEL, address))
        return changed


async def put_back_refused(db: Database, now: str) -> int:
    """Rows Twilio accepted and then failed with 63016 (outside the window) go back
    to 'pending'; their error code sends the next try down the template path.
    (By status, not by message: a callback that came before our own 'sent' was
    applied with it, and is swept up by the next callback.)"""
    found = await db.fetchone(
        "SELECT 1 FROM outbox WHERE status IN ('failed','undelivered') AND channel=?"
        " AND error_code=? LIMIT 1", (CHANNEL, WINDOW_REFUSED))
    if found is None:
        return 0
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE outbox SET status='pending', next_attempt_at=?, updated_at=?"
            " WHERE status IN ('failed','undelivered') AND channel=? AND error_code=?",
            (now, now, CHANNEL, WINDOW_REFUSED))
        return changed


async def was_refused(db: Database, outbox_id: int) -> bool:
    """Did Twilio already refuse this row for the window (so do not try free-form)?"""
    row = await db.fetchone("SELECT error_code FROM outbox WHERE id=?", (outbox_id,))
    return bool(row and row[0] == WINDOW_REFUSED)

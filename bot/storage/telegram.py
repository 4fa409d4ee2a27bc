"""Telegram-only bookkeeping: storing updates, reachability of chats, staff alerts."""

from __future__ import annotations

from ..channels.registry import TELEGRAM
from ..model import Inbound, Reply
from . import Database, Row, outbox

CHANNEL = TELEGRAM.name


async def store_updates(db: Database, inbounds: list[Inbound], now: str) -> list[int | None]:
    """Store updates in the inbox in one transaction (deduplicated by update_id); return
    the id of each, or None for one already stored.

    A person who writes again has unblocked the bot: their chat is reachable again,
    in the same transaction.
    """
    inserts = [("""INSERT INTO inbox(channel, provider_id, address, body, language_hint,
                                     media_count, notice_code, received_at)
                   VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(channel, provider_id) DO NOTHING
                   RETURNING id""",
                (inbound.channel, inbound.provider_id, inbound.address, inbound.text,
                 inbound.language_hint, inbound.media_count, inbound.notice_code, now))
               for inbound in inbounds]
    async with db.transaction() as tx:
        rows = await tx.fetch_each(inserts)
        reachable = [("UPDATE contacts SET unreachable=0 WHERE channel=? AND address=?"
                      " AND unreachable=1", (CHANNEL, inbound.address))
                     for inbound, row in zip(inbounds, rows, strict=True) if row is not None]
        if reachable:
            await tx.run(reachable)
    return [int(row[0]) if row is not None else None for row in rows]


async def is_unreachable(db: Database, address: str) -> bool:
    row = await db.fetchone(
        "SELECT unreachable FROM contacts WHERE channel=? AND address=?", (CHANNEL, address))
    return bool(row and row["unreachable"])


async def set_reachable(db: Database, address: str, reachable: bool) -> None:
    """The person blocked (or unblocked) the bot: Telegram's my_chat_member update."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE contacts SET unreachable=? WHERE channel=? AND address=?",
            (0 if reachable else 1, CHANNEL, address))


# -- staff alerts -------------------------------------------------------------

async def alerts_since(db: Database, now: str) -> str:
    """When alerts were switched on (recorded the first time they are)."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO telegram_meta(key, value) VALUES ('alerts_since', ?)"
            " ON CONFLICT(key) DO NOTHING", (now,))
        row = await tx.fetchone(
            "SELECT value FROM telegram_meta WHERE key='alerts_since'")
    return str(row[0]) if row is not None else now


async def escalations_after(db: Database, after_id: int, since: str,
                            limit: int) -> list[Row]:
    """Escalations with an id above ``after_id``, oldest first, each with ``due``: true
    when created since alerts were switched on (``since``) and not yet announced.

    The watcher walks the table once and then reads only new rows (an id range on the
    primary key), instead of re-reading every escalation since ``since`` each time.
    Only what an alert may show: reference, language, channel, creation time.
    """
    return await db.fetchall(
        """SELECT e.id, e.ref, e.locale, e.channel, e.created_at,
                  e.created_at >= ?
                    AND NOT EXISTS (SELECT 1 FROM telegram_alerts a WHERE a.ref = e.ref) AS due
           FROM escalations e WHERE e.id > ? ORDER BY e.id LIMIT ?""",
        (since, after_id, limit))


async def queue_alert(db: Database, ref: str, chat_id: int, text: str, now: str) -> bool:
    """Queue the alert for one escalation, once; return False if it was already queued
    or the escalation is not there (reads see committed rows only, but a row may go)."""
    async with db.transaction() as tx:
        changed = await tx.execute(
            "INSERT INTO telegram_alerts(ref, at) SELECT ?, ?"
            " WHERE EXISTS (SELECT 1 FROM escalations WHERE ref = ?)"
            " ON CONFLICT(ref) DO NOTHING", (ref, now, ref))
        if not changed:
            return False
        outbox_id = await outbox.enqueue(tx, CHANNEL, str(chat_id), Reply(text), now,
                                         kind="alert")
        await tx.execute("UPDATE telegram_alerts SET outbox_id=? WHERE ref=?",
                           (outbox_id, ref))
    return True

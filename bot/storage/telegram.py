"""Telegram-only bookkeeping: storing updates, reachability of chats, staff alerts."""

from __future__ import annotations

import aiosqlite

from ..model import Inbound, Reply
from . import Database, outbox

CHANNEL = "telegram"


async def store_update(db: Database, inbound: Inbound, now: str) -> int | None:
    """Store one update in the inbox (deduplicated by update_id); return its id or None.

    A person who writes again has unblocked the bot: their chat is reachable again,
    in the same transaction.
    """
    async with db.transaction() as conn:
        cur = await conn.execute(
            """INSERT INTO inbox(channel, provider_id, address, body, language_hint,
                                 media_count, notice_code, received_at)
               VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(channel, provider_id) DO NOTHING""",
            (inbound.channel, inbound.provider_id, inbound.address, inbound.text,
             inbound.language_hint, inbound.media_count, inbound.notice_code, now))
        inbox_id = cur.lastrowid if cur.rowcount else None
        if inbox_id is not None:
            await conn.execute(
                "UPDATE contacts SET unreachable=0 WHERE channel=? AND address=?"
                " AND unreachable=1", (CHANNEL, inbound.address))
    return inbox_id


async def is_unreachable(db: Database, address: str) -> bool:
    row = await db.fetchone(
        "SELECT unreachable FROM contacts WHERE channel=? AND address=?", (CHANNEL, address))
    return bool(row and row["unreachable"])


async def set_reachable(db: Database, address: str, reachable: bool) -> None:
    """The person blocked (or unblocked) the bot: Telegram's my_chat_member update."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE contacts SET unreachable=? WHERE channel=? AND address=?",
            (0 if reachable else 1, CHANNEL, address))


# -- staff alerts -------------------------------------------------------------

async def alerts_since(db: Database, now: str) -> str:
    """When alerts were switched on (recorded the first time they are)."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO telegram_meta(key, value) VALUES ('alerts_since', ?)"
            " ON CONFLICT(key) DO NOTHING", (now,))
        row = await (await conn.execute(
            "SELECT value FROM telegram_meta WHERE key='alerts_since'")).fetchone()
    return str(row[0]) if row is not None else now


async def unannounced_escalations(db: Database, since: str,
                                  limit: int = 50) -> list[aiosqlite.Row]:
    """Escalations created since alerts were switched on and not yet announced.

    Only what an alert may show: reference, language, channel, creation time.
    """
    return await db.fetchall(
        """SELECT e.ref, e.locale, e.channel, e.created_at FROM escalations e
           WHERE e.created_at >= ?
             AND NOT EXISTS (SELECT 1 FROM telegram_alerts a WHERE a.ref = e.ref)
           ORDER BY e.id LIMIT ?""", (since, limit))


async def queue_alert(db: Database, ref: str, chat_id: int, text: str, now: str) -> bool:
    """Queue the alert for one escalation, once; return False if it was already queued."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO telegram_alerts(ref, at) VALUES (?,?) ON CONFLICT(ref) DO NOTHING",
            (ref, now))
        if not cur.rowcount:
            return False
        outbox_id = await outbox.enqueue(conn, CHANNEL, str(chat_id), Reply(text), now,
                                         kind="alert")
        await conn.execute("UPDATE telegram_alerts SET outbox_id=? WHERE ref=?",
                           (outbox_id, ref))
    return True

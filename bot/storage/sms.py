"""MORE pages: the rest of a long reply, kept on its outbox row until the person texts MORE.

Only a row the provider accepted (``provider_id`` set) offers its rest: one
that a crash left unsettled may carry it already (``keep_more``, from the
reconciliation) but offers it only once settled as sent. One rest waits per
address: a newer one replaces it, and any other message drops it.
"""

from __future__ import annotations

from . import Database, Row, Tx, Write


def keep_more_writes(outbox_id: int, channel: str, address: str, rest: str) -> list[Write]:
    """The statements that keep ``rest`` on its row, replacing the address's older one."""
    return [("UPDATE outbox SET more=NULL WHERE channel=? AND address=? AND more IS NOT NULL"
             " AND id<>?", (channel, address, outbox_id)),
            ("UPDATE outbox SET more=? WHERE id=?", (rest, outbox_id))]


async def keep_more(db: Database, outbox_id: int, channel: str, address: str,
                    rest: str) -> None:
    async with db.transaction() as tx:
        await tx.run(keep_more_writes(outbox_id, channel, address, rest))


def more_read(channel: str, address: str) -> Write:
    """The long reply whose rest waits for MORE, if any (a turn's read, ``turn_reads``)."""
    return ("SELECT id, more FROM outbox WHERE channel=? AND address=? AND more IS NOT NULL"
            " AND provider_id IS NOT NULL ORDER BY id DESC LIMIT 1", (channel, address))


def more_waiting(row: Row | None) -> tuple[int, str] | None:
    """(outbox id, rest) from ``more_read``'s row."""
    return (int(row["id"]), str(row["more"])) if row else None


async def take_more(tx: Tx, outbox_id: int) -> None:
    """The rest was sent on: it waits no more."""
    await tx.execute("UPDATE outbox SET more=NULL WHERE id=?", (outbox_id,))


async def drop_more(tx: Tx, channel: str, address: str) -> None:
    """The person moved on: the rest waiting for this address is stale."""
    await tx.execute("UPDATE outbox SET more=NULL WHERE channel=? AND address=?"
                     " AND more IS NOT NULL", (channel, address))

"""The durable outbox: every outbound message, whatever the channel.

Life of a row: ``pending`` -> ``sending`` (claimed by the outbox worker, the
provider is being called) -> ``sent`` (the provider accepted it) -> whatever
the provider's status callbacks say (``delivered``, ``undelivered``,
``failed``), never backwards. A transient error puts it back to ``pending``
with a later ``next_attempt_at``; a permanent one makes it ``failed`` with
``error_code``. Rows for an opted-out address are ``cancelled`` unless their
kind is ``compliance``. A row found in ``sending`` after a crash becomes
``unknown`` (``error_code`` 'interrupted'): the provider may or may not have
accepted it. The outbox worker then settles it (``interrupted``,
``settle_interrupted``): found at the provider -> 'sent'; not found, or a
channel that cannot be asked (Telegram) -> 'pending' again; could not be asked
after several tries -> stays ``unknown`` with ``error_code`` 'undecided', for
staff to resend from the console (``undecided``, ``resend_undecided``). An
'interrupted' row holds back its address's later rows, so replies keep their
order; an 'undecided' one does not (staff may be a while).
A WhatsApp row outside the 24-hour window is ``held`` until the person writes.

Several instances: a claimed row carries its worker's lease (``claimed_by``,
``claimed_until``, renewed while the provider is called: ``renew``). A 'sending'
row is settled as interrupted only once its claim is over: the lease expired, or
the worker that holds it is no longer present (``Database.absent``: its process
died). A row another live instance is sending is its own; the interrupted rows a
worker settles are claimed by it the same way, so two never ask about one row.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import Reply
from . import Database, Row, Tx, Write, linking
from . import optouts as optouts_store
from .locks import one_at_a_time
from .records import OutboxRow

# Order of delivery states; a status update never moves a row to a lower rank.
STATUS_RANK = {
    "pending": 0, "sending": 0, "unknown": 0, "held": 0,
    "queued": 1, "accepted": 1, "scheduled": 1,
    "sent": 3,
    "delivered": 4, "undelivered": 4, "failed": 4, "canceled": 4, "cancelled": 4,
    "read": 5,
}
# Provider statuses we store as they are; 'queued' or 'sending' after our own
# 'sent' say nothing new.
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "canceled", "read"})


async def enqueue(tx: Tx, channel: str, address: str, reply: Reply, now: str,
                  *, person_id: int | None = None, inbox_id: int | None = None,
                  campaign_id: int | None = None, author: str = "bot",
                  kind: str = "reply") -> int:
    options = _options_json(reply)
    row = await tx.fetchone(
        """INSERT INTO outbox(channel, address, body, options, status, next_attempt_at,
                              person_id, inbox_id, campaign_id, author, kind,
                              created_at, updated_at)
           VALUES (?,?,?,?,'pending',?,?,?,?,?,?,?,?) RETURNING id""",
        (channel, address, reply.text, options, now, person_id, inbox_id, campaign_id,
         author, kind, now, now))
    return int(row[0]) if row else 0


def enqueue_writes(channel: str, address: str, replies: list[Reply], now: str, *,
                   person_id: int | None, inbox_id: int | None, kind: str) -> list[Write]:
    """The statements that ``enqueue`` a turn's replies, in order (a turn's writes)."""
    return [("""INSERT INTO outbox(channel, address, body, options, status, next_attempt_at,
                                   person_id, inbox_id, author, kind, created_at, updated_at)
                VALUES (?,?,?,?,'pending',?,?,?,'bot',?,?,?)""",
             (channel, address, reply.text, _options_json(reply), now, person_id, inbox_id,
              kind, now, now))
            for reply in replies]


def _options_json(reply: Reply) -> str:
    return json.dumps([{"key": o.key, "label": o.label} for o in reply.options],
                      ensure_ascii=False)


async def for_address(db: Database, channel: str, address: str) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM outbox WHERE channel=? AND address=? ORDER BY id", (channel, address))


async def recipient(db: Database, channel: str, address: str) -> Row | None:
    """(person_id, locale) of the person behind an address, if known."""
    return await db.fetchone(
        "SELECT p.id AS person_id, p.locale FROM contacts c JOIN people p ON p.id=c.person_id"
        " WHERE c.channel=? AND c.address=?", (channel, address))


async def has_for_inbox(db: Database, channel: str, address: str, inbox_id: int) -> bool:
    """Was a reply to this inbox row queued? (Replies go to the row's own address: found
    through the address index, among that address's rows only.)"""
    row = await db.fetchone(
        "SELECT 1 FROM outbox WHERE channel=? AND address=? AND inbox_id=? LIMIT 1",
        (channel, address, inbox_id))
    return row is not None


async def claim_due(db: Database, channel: str, now: str, limit: int, *,
                    worker: str = "", until: str | None = None) -> list[OutboxRow]:
    """Mark up to ``limit`` due rows 'sending', claimed by ``worker`` until ``until``,
    and return them, each with the recipient's ``locale``; cancel instead the ones an
    opt-out forbids.

    At most one row per address is claimed, and only when no earlier row of that
    address is still waiting, so one person's messages leave in order.
    """
    async def claim(tx: Tx) -> list[Row]:
        # PostgreSQL: instances claim one at a time (READ COMMITTED would let two pick
        # the same row, or one person's next row before the first is sent); this read
        # then sees the previous claim committed. SQLite's single writer already does.
        await one_at_a_time(tx, [f"outbox:{channel}"])
        due = await tx.fetchall(
            f"""SELECT o.id, o.kind != 'compliance'
                        AND {linking.opted_out_clause('o.channel', 'o.address')} AS blocked
               FROM outbox o
               WHERE o.status='pending' AND o.channel=? AND o.next_attempt_at<=?
                 AND NOT EXISTS (SELECT 1 FROM outbox e
                                 WHERE e.channel=o.channel AND e.address=o.address
                                   AND e.status IN ('pending','sending','unknown')
                                   AND (e.status != 'unknown' OR e.error_code='interrupted')
                                   AND e.id<o.id)
               ORDER BY o.id LIMIT ?""", (channel, now, limit))
        blocked = [r["id"] for r in due if r["blocked"]]
        wanted = [r["id"] for r in due if not r["blocked"]]
        if blocked:
            await tx.execute(
                f"UPDATE outbox SET status='cancelled', updated_at=?"
                f" WHERE id IN ({_marks(blocked)})", (now, *blocked))
        if not wanted:
            return []
        claimed = [row[0] for row in await tx.fetchall(
            f"UPDATE outbox SET status='sending', attempts=attempts+1, updated_at=?,"
            f" claimed_by=?, claimed_until=? WHERE status='pending' AND id IN ({_marks(wanted)})"
            f" RETURNING id", (now, worker or None, until, *wanted))]
        if not claimed:
            return []
        return await tx.fetchall(
            f"""SELECT o.*, p.locale FROM outbox o LEFT JOIN people p ON p.id=o.person_id
                WHERE o.id IN ({_marks(claimed)}) ORDER BY o.id""", claimed)
    return OutboxRow.all(await db.in_one_trip(claim))


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


async def next_due(db: Database, channel: str) -> str | None:
    """When the earliest waiting row of a channel falls due (None: nothing waits)."""
    row = await db.fetchone(
        "SELECT MIN(next_attempt_at) FROM outbox WHERE status='pending' AND channel=?",
        (channel,))
    return row[0] if row else None


async def mark_sent(tx: Tx, outbox_id: int, provider_id: str | None,
                    now: str) -> None:
    await mark_sent_many(tx, [(outbox_id, provider_id)], now)


async def mark_sent_many(tx: Tx, sent: list[tuple[int, str | None]],
                         now: str) -> None:
    """Rows ``(outbox_id, provider_id)`` the provider accepted: 'sent', or the later
    status a callback already brought (kept in provider_status_early, then dropped).
    A few statements for the whole batch, whatever its size."""
    if not sent:
        return
    await tx.executemany(
        "UPDATE outbox SET status='sent', provider_id=?, error_code=NULL, updated_at=?"
        " WHERE id=?", [(provider_id, now, outbox_id) for outbox_id, provider_id in sent])
    by_provider = {provider_id: outbox_id for outbox_id, provider_id in reversed(sent)
                   if provider_id is not None}
    if not by_provider:
        return
    early = await tx.fetchall(
        f"DELETE FROM provider_status_early WHERE provider_id IN ({_marks(list(by_provider))})"
        " RETURNING provider_id, status, error_code", list(by_provider))
    later = [(row["status"], row["error_code"], now, by_provider[row["provider_id"]])
             for row in early if STATUS_RANK.get(row["status"], 0) > STATUS_RANK["sent"]]
    if later:
        await tx.executemany(
            "UPDATE outbox SET status=?, error_code=?, updated_at=? WHERE id=?", later)


async def mark_retry(tx: Tx, outbox_id: int, next_attempt_at: str,
                     error_code: str | None, now: str) -> None:
    await tx.execute(
        "UPDATE outbox SET status='pending', next_attempt_at=?, error_code=?, updated_at=?"
        " WHERE id=?", (next_attempt_at, error_code, now, outbox_id))


async def mark_failed(tx: Tx, outbox_id: int, error_code: str | None,
                      now: str) -> None:
    await tx.execute(
        "UPDATE outbox SET status='failed', error_code=?, updated_at=? WHERE id=?",
        (error_code, now, outbox_id))


async def mark_held(tx: Tx, outbox_id: int, error_code: str | None,
                    now: str) -> None:
    """The row may not leave now (WhatsApp's 24-hour window): it waits, visibly, for the
    person's next message (``storage.whatsapp.release_held``)."""
    await tx.execute(
        "UPDATE outbox SET status='held', error_code=?, updated_at=? WHERE id=?",
        (error_code, now, outbox_id))


async def mark_unreachable(tx: Tx, channel: str, address: str) -> None:
    await tx.execute(
        "UPDATE contacts SET unreachable=1 WHERE channel=? AND address=?", (channel, address))


INTERRUPTED = "interrupted"  # unknown, to be settled with the provider
UNDECIDED = "undecided"  # unknown, and the provider could not tell: staff decide


_UNSETTLED = "(status='sending' OR (status='unknown' AND error_code=?))"


async def renew(db: Database, ids: list[int], worker: str, until: str) -> None:
    """Extend ``worker``'s lease on the rows it is sending or settling (group committed)."""
    if ids:
        await db.write_grouped([(
            f"UPDATE outbox SET claimed_until=? WHERE claimed_by=? AND {_UNSETTLED}"
            f" AND id IN ({_marks(ids)})", (until, worker, INTERRUPTED, *ids))])


async def recover_sending(db: Database, worker: str, now: str, until: str) -> int:
    """Rows whose claim is over (the lease expired, or its worker is absent: it died)
    and that were left 'sending' become 'unknown' (error_code 'interrupted'), claimed
    by ``worker`` to settle; interrupted rows a dead worker was settling are taken
    over too. The number of rows taken.

    Whether the provider accepted such a message is not known yet (Twilio has no
    idempotency key for messages): ``interrupted`` lists them to ask. Their
    ``updated_at`` stays the time they were claimed: what the provider is asked
    about is what it accepted since then. Rows another live worker holds are its own.
    """
    holders = [row[0] for row in await db.fetchall(
        f"SELECT DISTINCT claimed_by FROM outbox WHERE {_UNSETTLED}"
        " AND claimed_by IS NOT NULL AND claimed_by <> ?", (INTERRUPTED, worker))]
    gone = sorted(await db.absent(holders)) if holders else []
    dead = f" OR claimed_by IN ({_marks(gone)})" if gone else ""
    async with db.transaction() as tx:
        return await tx.execute(
            f"UPDATE outbox SET status='unknown', error_code=?, claimed_by=?, claimed_until=?"
            f" WHERE {_UNSETTLED} AND (claimed_by IS NULL OR claimed_by <> ?)"
            f" AND (claimed_by IS NULL OR claimed_until IS NULL OR claimed_until < ?{dead})",
            (INTERRUPTED, worker, until, INTERRUPTED, worker, now, *gone))


async def interrupted(db: Database, worker: str, after: int, limit: int) -> list[OutboxRow]:
    """Rows a crash interrupted that ``worker`` settles, oldest first, each with the
    recipient's ``locale`` (``updated_at``: when the row was claimed)."""
    rows = await db.fetchall(
        """SELECT o.*, p.locale FROM outbox o LEFT JOIN people p ON p.id=o.person_id
           WHERE o.status='unknown' AND o.error_code=? AND o.claimed_by=? AND o.id>?
           ORDER BY o.id LIMIT ?""",
        (INTERRUPTED, worker, after, limit))
    return OutboxRow.all(rows)


async def known_provider_ids(db: Database, provider_ids: list[str]) -> set[str]:
    """Which of these provider ids an outbox row already holds (a match for another row)."""
    if not provider_ids:
        return set()
    rows = await db.fetchall(
        f"SELECT provider_id FROM outbox WHERE provider_id IN ({_marks(provider_ids)})",
        provider_ids)
    return {row[0] for row in rows}


async def settle_interrupted(db: Database, *, found: list[tuple[int, str]],
                             resend: list[int], undecided: list[int], now: str) -> None:
    """Interrupted rows settled: ``found`` at the provider (row id, provider id) ->
    'sent'; ``resend`` -> 'pending', due now; ``undecided`` -> left to staff."""
    async with db.transaction() as tx:
        await mark_sent_many(tx, [(oid, sid) for oid, sid in found], now)
        if resend:
            await tx.execute(
                f"UPDATE outbox SET status='pending', next_attempt_at=?, error_code=NULL,"
                f" updated_at=? WHERE status='unknown' AND id IN ({_marks(resend)})",
                (now, now, *resend))
        if undecided:
            await tx.execute(
                f"UPDATE outbox SET error_code=?, updated_at=?"
                f" WHERE status='unknown' AND id IN ({_marks(undecided)})",
                (UNDECIDED, now, *undecided))


async def undecided(db: Database, limit: int = 200) -> list[Row]:
    """Replies nobody can say were sent, oldest first: for staff to resend or not."""
    return await db.fetchall(
        "SELECT id, channel, address, body, kind, person_id, created_at, updated_at"
        " FROM outbox WHERE status='unknown' AND error_code=? ORDER BY id LIMIT ?",
        (UNDECIDED, limit))


async def resend_undecided(db: Database, outbox_id: int, actor: str, now: str) -> bool:
    """Staff chose to send an undecided reply again; False if it is not undecided."""
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE outbox SET status='pending', next_attempt_at=?, error_code=NULL,"
            " updated_at=? WHERE id=? AND status='unknown' AND error_code=?",
            (now, now, outbox_id, UNDECIDED))
        if not changed:
            return False
        await tx.execute(
            "INSERT INTO audit(at, actor, action, outcome, person_id, detail)"
            " SELECT ?, ?, 'reply_resent', 'pending', person_id, ? FROM outbox WHERE id=?",
            (now, actor, f"outbox {outbox_id}", outbox_id))
    return True


async def apply_statuses(db: Database, updates: list[tuple[str, str, str | None]],
                         now: str) -> list[str]:
    """Apply provider status callbacks ``(provider_id, status, error_code)`` in one
    transaction; return 'applied', 'ignored' or 'early' for each.

    Idempotent and monotonic: a repeated or older status changes nothing. A
    callback for a provider id not yet recorded is kept and applied when it is.
    The rows are read and written a batch at a time, not one callback at a time.
    """
    outcomes: list[str] = []

    async def apply(tx: Tx) -> None:
        ids = list(dict.fromkeys(provider_id for provider_id, _, _ in updates))
        rows: dict[str, dict[str, Any]] = {}
        for found in await tx.fetchall(
                f"SELECT id, provider_id, channel, address, status FROM outbox"
                f" WHERE provider_id IN ({_marks(ids)}) ORDER BY id", ids):
            rows.setdefault(found["provider_id"], dict(found))
        missing = [provider_id for provider_id in ids if provider_id not in rows]
        early: dict[str, str] = {}
        if missing:
            early = {found[0]: found[1] for found in await tx.fetchall(
                f"SELECT provider_id, status FROM provider_status_early"
                f" WHERE provider_id IN ({_marks(missing)})", missing)}
        applied: list[tuple[str, str | None, str, int]] = []
        kept: list[tuple[str, str, str | None, str]] = []
        for provider_id, status, error_code in updates:
            rank = STATUS_RANK.get(status)
            row = rows.get(provider_id)
            if rank is None:
                outcomes.append("ignored")
            elif row is None:
                known = early.get(provider_id)
                if known is None or STATUS_RANK.get(known, 0) < rank:
                    early[provider_id] = status
                    kept.append((provider_id, status, error_code, now))
                outcomes.append("early")
            elif rank <= STATUS_RANK.get(row["status"], 0) or status not in FINAL_STATUSES:
                outcomes.append("ignored")
            else:
                row["status"] = status
                applied.append((status, error_code, now, row["id"]))
                if error_code == "21610":
                    await optouts_store.opt_out(tx, row["channel"], row["address"],
                                                "provider", now)
                outcomes.append("applied")
        if applied:
            await tx.executemany(
                "UPDATE outbox SET status=?, error_code=COALESCE(?, error_code), updated_at=?"
                " WHERE id=?", applied)
        if kept:
            await tx.executemany(
                "INSERT INTO provider_status_early(provider_id, status, error_code, at)"
                " VALUES (?,?,?,?) ON CONFLICT(provider_id) DO UPDATE SET"
                " status=excluded.status, error_code=excluded.error_code, at=excluded.at",
                kept)
    await db.in_one_trip(apply)
    return outcomes


async def opt_out(tx: Tx, channel: str, address: str, now: str) -> None:
    """The provider says the address unsubscribed: record it as an opt-out."""
    await optouts_store.opt_out(tx, channel, address, "provider", now)

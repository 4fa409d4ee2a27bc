"""Outreach campaigns and their recipients: all of the outreach SQL.

A campaign's audience is materialised into ``outreach_recipients`` in SQL
(``INSERT ... SELECT`` over case-id ranges), never loaded into memory; the
sender then claims small pages of recipients (``claim``), marking them
'sending' in the same transaction that checks opt-outs, before any provider
call. See ``bot/outreach/sender.py`` for the life of a recipient.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..channels.registry import BUILTIN, SMS, TELEGRAM
from . import Database, Row, Tx, Write, audit
from . import optouts as optouts_store
from .linking import PHONE_CHANNELS, opted_out_clause
from .locks import one_at_a_time

ANY, MIXED = "any", "mixed"  # audiences over two channels (see Audience.channel)
CHANNELS = (*BUILTIN.outreach_channels(), ANY, MIXED)
# Recipients at the registry's phone number, as SQL: ('sms','whatsapp').
PHONE_SQL = "(" + ",".join(f"'{name}'" for name in PHONE_CHANNELS) + ")"
STATES = ("draft", "scheduled", "running", "paused", "cancelled", "done")
CASE_CHUNK = 20_000  # cases per materialising transaction (keeps the write lock short)
REACHED = "('sent','delivered')"
# Delivery statuses from the provider, in order; a recipient never moves backwards.
STATUS_LOCK = "outreach_status"  # recording sends and their status callbacks take turns
FINAL_STATUSES = {"delivered": "delivered", "undelivered": "failed", "failed": "failed"}


@dataclass(frozen=True)
class Audience:
    """Who a campaign is for. Empty tuples mean "any"."""

    labs: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    courts: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    # sms | telegram | any (Telegram when linked, else SMS) | whatsapp | mixed (WhatsApp
    # for numbers abroad, SMS at home: see ``move_abroad``)
    channel: str = SMS.name
    include_reached: bool = False  # also people an earlier campaign reached

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | None) -> Audience:
        data: dict[str, Any] = json.loads(raw or "{}")
        return cls(
            labs=tuple(data.get("labs", ())), statuses=tuple(data.get("statuses", ())),
            courts=tuple(data.get("courts", ())), languages=tuple(data.get("languages", ())),
            channel=data.get("channel", SMS.name),
            include_reached=bool(data.get("include_reached", False)))


@dataclass(frozen=True)
class Result:
    """What happened to one send, as the sender records it."""

    recipient_id: int
    outcome: str  # sent | retry | failed | opted_out | unreachable
    provider_id: str | None = None
    reason: str | None = None
    next_attempt_at: str | None = None


# -- campaigns -------------------------------------------------------------------

async def create(db: Database, name: str, audience: Audience, texts: dict[str, str],
                 start_at: str | None, actor: str, now: str) -> int:
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "INSERT INTO campaigns(name, filters, texts, start_at, created_by, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
            (name, audience.to_json(), json.dumps(texts, ensure_ascii=False), start_at, actor,
             now, now))
        campaign_id = int(row[0]) if row else 0
        await audit.record(tx, now, actor, "outreach", "created",
                           detail=f"campaign {campaign_id}")
    return campaign_id


async def update_draft(db: Database, campaign_id: int, name: str, audience: Audience,
                       texts: dict[str, str], start_at: str | None, actor: str,
                       now: str) -> bool:
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE campaigns SET name=?, filters=?, texts=?, start_at=?, updated_at=?"
            " WHERE id=? AND state='draft'",
            (name, audience.to_json(), json.dumps(texts, ensure_ascii=False), start_at, now,
             campaign_id))
        if changed:
            await audit.record(tx, now, actor, "outreach", "edited",
                               detail=f"campaign {campaign_id}")
        return changed == 1


async def get(db: Database, campaign_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM campaigns WHERE id=?", (campaign_id,))


async def listing(db: Database, limit: int = 200) -> list[Row]:
    return await db.fetchall("SELECT * FROM campaigns ORDER BY id DESC LIMIT ?", (limit,))


async def transition(db: Database, campaign_id: int, from_states: Sequence[str], to_state: str,
                     actor: str, now: str) -> bool:
    """Move a campaign between states (compare-and-set); audited. Cancelling skips
    every recipient not yet claimed."""
    marks = ",".join("?" * len(from_states))
    stamps = {"scheduled": ", launched_at=COALESCE(launched_at, ?)",
              "done": ", finished_at=?", "cancelled": ", finished_at=?"}
    extra = stamps.get(to_state, "")
    params: list[Any] = [to_state, now] + ([now] if extra else []) + [campaign_id, *from_states]
    async with db.transaction() as tx:
        changed = await tx.execute(
            f"UPDATE campaigns SET state=?, updated_at=?{extra}"
            f" WHERE id=? AND state IN ({marks})", params)
        if changed != 1:
            return False
        if to_state == "cancelled":
            await _skip_pending(tx, campaign_id, now)
        await audit.record(tx, now, actor, "outreach", to_state,
                           detail=f"campaign {campaign_id}")
    return True


async def _skip_pending(tx: Tx, campaign_id: int, now: str) -> None:
    await tx.execute(
        "UPDATE outreach_recipients SET state='skipped', reason='cancelled', done_at=?"
        " WHERE campaign_id=? AND state='pending'", (now, campaign_id))


async def skip_pending(db: Database, campaign_id: int, now: str) -> None:
    """A cancelled campaign's recipients released by its sender after the cancel."""
    async with db.transaction() as tx:
        await _skip_pending(tx, campaign_id, now)


async def due(db: Database, now: str) -> list[Row]:
    """Campaigns that should be sending now, oldest first."""
    return await db.fetchall(
        "SELECT * FROM campaigns WHERE state IN ('scheduled','running')"
        " AND (start_at IS NULL OR start_at <= ?) ORDER BY id", (now,))


async def take_lease(db: Database, campaign_id: int, runner: str, now: str, until: str,
                     dead_runner: str | None = None) -> bool:
    """Become the one process sending this campaign: free, expired, ours, or the
    holder is known dead."""
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE campaigns SET runner=?, lease_until=? WHERE id=? AND (runner IS NULL"
            " OR runner=? OR lease_until IS NULL OR lease_until < ? OR runner=?)",
            (runner, until, campaign_id, runner, now, dead_runner or runner))
        return changed == 1


async def drop_lease(db: Database, campaign_id: int, runner: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("UPDATE campaigns SET runner=NULL, lease_until=NULL"
                           " WHERE id=? AND runner=?", (campaign_id, runner))


# -- audience -------------------------------------------------------------------

def _in(column: str, values: Sequence[str], params: list[Any]) -> str:
    params.extend(values)
    return f"{column} IN ({','.join('?' * len(values))})"


def _case_filters(audience: Audience, default_locale: str, params: list[Any]) -> str:
    clauses = ["TRUE"]
    for column, values in (("c.lab", audience.labs), ("c.status", audience.statuses),
                           ("c.court", audience.courts)):
        if values:
            clauses.append(_in(column, values, params))
    if audience.languages:
        params.append(default_locale)
        clauses.append(_in("COALESCE(NULLIF(c.language, ''), ?)", audience.languages, params))
    return " AND ".join(clauses)


def _locale_expr(channel_sql: str, address_sql: str, locales: Sequence[str],
                 default_locale: str, params: list[Any]) -> str:
    """The person's chosen language if they have talked to us, else the registry's
    language if shipped, else the default."""
    chosen = _in("p.locale", locales, params)
    known = _in("c.language", locales, params)
    params.append(default_locale)
    return (f"COALESCE((SELECT p.locale FROM contacts k JOIN people p ON p.id = k.person_id"
            f" WHERE k.channel = {channel_sql} AND k.address = {address_sql}"
            f" AND p.locale_chosen = 1 AND {chosen}),"
            f" CASE WHEN {known} THEN c.language ELSE ? END)")


def _not_reached(channel_sql: str, address_sql: str, campaign_id: int,
                 params: list[Any]) -> str:
    params.extend([campaign_id, campaign_id])
    return (f"NOT EXISTS (SELECT 1 FROM outreach_recipients x WHERE x.channel = {channel_sql}"
            f" AND x.address = {address_sql} AND x.campaign_id != ? AND x.state IN {REACHED})"
            f" AND NOT EXISTS (SELECT 1 FROM outreach_recipients x WHERE x.case_id = c.id"
            f" AND x.campaign_id != ? AND x.state IN {REACHED})")


def _select(channel: str, campaign_id: int, audience: Audience, locales: Sequence[str],
            default_locale: str, now: str) -> tuple[str, list[Any]]:
    """SELECT of (campaign, channel, address, case, locale, created) rows for one channel,
    for cases with ids in (?, ?] (the two last parameters)."""
    params: list[Any] = [campaign_id]
    if channel in PHONE_CHANNELS:
        address, source = "c.phone", "FROM cases c"
        where = "c.phone IS NOT NULL AND c.phone != '' AND c.phone_wrong = 0"
    else:
        address = "ct.address"
        source = (f"FROM cases c JOIN contacts ct ON ct.channel = '{channel}'"
                  " AND ct.unreachable = 0"
                  " AND ct.person_id IN (SELECT p2.id FROM people p2 WHERE p2.verified_case_id"
                  f" = c.id UNION SELECT s.person_id FROM contacts s WHERE s.channel = '{SMS.name}'"
                  " AND s.address = c.phone AND c.phone_wrong = 0)")
        where = "TRUE"
    ch = f"'{channel}'"
    locale = _locale_expr(ch, address, locales, default_locale, params)
    columns = f"?, {ch}, {address}, c.id, {locale}, 'pending', ?"
    params.append(now)
    where += " AND " + _case_filters(audience, default_locale, params)
    where += f" AND NOT {opted_out_clause(ch, address)}"
    if not audience.include_reached:
        where += " AND " + _not_reached(ch, address, campaign_id, params)
    if channel == SMS.name and audience.channel == ANY:  # Telegram first, when linked
        where += (" AND NOT EXISTS (SELECT 1 FROM outreach_recipients t JOIN cases c2"
                  f" ON c2.id = t.case_id WHERE t.campaign_id = ? AND t.channel = '{TELEGRAM.name}'"
                  " AND c2.phone = c.phone)")
        params.append(campaign_id)
    sql = (f"INSERT INTO outreach_recipients(campaign_id, channel, address, case_id,"
           f" locale, state, created_at) SELECT {columns} {source}"
           f" WHERE {where} AND c.id > ? AND c.id <= ? ORDER BY c.id ON CONFLICT DO NOTHING")
    return sql, params


async def materialise(db: Database, campaign_id: int, audience: Audience,
                      locales: Sequence[str], default_locale: str, now: str) -> int:
    """(Re)build the recipients of a campaign that has sent nothing yet; return the count."""
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM outreach_recipients WHERE campaign_id=?", (campaign_id,))
    row = await db.fetchone("SELECT COALESCE(MAX(id), 0) FROM cases")
    top = int(row[0]) if row else 0
    channels = {ANY: [TELEGRAM.name, SMS.name], MIXED: [SMS.name]}.get(audience.channel,
                                                                     [audience.channel])
    for channel in channels:
        sql, params = _select(channel, campaign_id, audience, locales, default_locale, now)
        for low in range(0, top, CASE_CHUNK):
            async with db.transaction() as tx:
                await tx.execute(sql, (*params, low, low + CASE_CHUNK))
    return await count(db, campaign_id)


async def phone_prefixes(db: Database, campaign_id: int) -> list[Row]:
    """(channel, locale, prefix, sample, n) of a campaign's phone recipients, grouped by
    the first five characters of the number ('+1809', '+2389'): enough for the
    country (a country code, or +1 and an area code), with one number per group
    to ask the phone metadata about. A few hundred groups, whatever the size."""
    return await db.fetchall(
        "SELECT channel, locale, substr(address, 1, 5) AS prefix, MIN(address) AS sample,"
        " COUNT(*) AS n FROM outreach_recipients WHERE campaign_id=? AND state != 'skipped'"
        f" AND channel IN {PHONE_SQL} GROUP BY channel, locale, prefix", (campaign_id,))


async def move_to_channel(db: Database, campaign_id: int, prefixes: Sequence[str],
                          from_channel: str, to_channel: str) -> None:
    """Recipients whose number starts with one of ``prefixes`` change channel
    (a mixed campaign: numbers abroad go by WhatsApp)."""
    if not prefixes:
        return
    marks = ",".join("?" * len(prefixes))
    async with db.transaction() as tx:
        await tx.execute(
            f"UPDATE outreach_recipients SET channel=? WHERE campaign_id=? AND channel=?"
            f" AND substr(address, 1, 5) IN ({marks})",
            (to_channel, campaign_id, from_channel, *prefixes))


async def count(db: Database, campaign_id: int) -> int:
    row = await db.fetchone("SELECT COUNT(*) FROM outreach_recipients WHERE campaign_id=?",
                            (campaign_id,))
    return int(row[0]) if row else 0


async def per_locale(db: Database, campaign_id: int) -> list[Row]:
    """(locale, channel, n) of the recipients still to be sent or sent."""
    return await db.fetchall(
        "SELECT locale, channel, COUNT(*) AS n FROM outreach_recipients WHERE campaign_id=?"
        " AND state != 'skipped' GROUP BY locale, channel ORDER BY locale, channel",
        (campaign_id,))


async def distinct_values(db: Database, column: str) -> list[str]:
    """Labs, courts or languages in the registry (for the forms and the discretion check)."""
    if column not in ("lab", "court", "language"):
        raise ValueError(column)
    rows = await db.fetchall(
        f"SELECT DISTINCT {column} FROM cases WHERE {column} IS NOT NULL AND {column} != ''"
        f" ORDER BY {column} LIMIT 500")
    return [r[0] for r in rows]


# -- sending --------------------------------------------------------------------

async def claim(db: Database, campaign_id: int, channel: str, now: str,
                limit: int) -> list[Row]:
    """Mark up to ``limit`` due recipients 'sending' (attempts + 1), in one transaction
    that first skips those who opted out or whose number is marked wrong."""
    sendable: list[Row] = []
    async with db.transaction() as tx:
        for _round in range(5):  # rounds only repeat when skips ate the page
            want = limit - len(sendable)
            if want <= 0:
                break
            rows = await tx.fetchall(
                f"""SELECT r.id, r.channel, r.address, r.locale, r.attempts + 1 AS attempts,
                          {opted_out_clause('r.channel', 'r.address')} AS opted_out,
                          (r.channel IN {PHONE_SQL} AND EXISTS (SELECT 1 FROM cases w
                           WHERE w.phone = r.address AND w.phone_wrong = 1)) AS wrong
                   FROM outreach_recipients r
                   WHERE r.campaign_id = ? AND r.channel = ? AND r.state = 'pending'
                     AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= ?)
                   ORDER BY r.id LIMIT ?""", (campaign_id, channel, now, want))
            if not rows:
                break
            skips = [("wrong_number" if r["wrong"] else "opted_out", now, r["id"])
                     for r in rows if r["opted_out"] or r["wrong"]]
            if skips:
                await tx.executemany(
                    "UPDATE outreach_recipients SET state='skipped', reason=?, done_at=?"
                    " WHERE id=?", skips)
            ok = [r for r in rows if not (r["opted_out"] or r["wrong"])]
            await tx.executemany(
                "UPDATE outreach_recipients SET state='sending', attempts=attempts+1,"
                " attempted_at=? WHERE id=?", [(now, r["id"]) for r in ok])
            sendable.extend(ok)
            if len(rows) < want:
                break
    return sendable


async def defer(db: Database, until: Sequence[tuple[int, str]]) -> None:
    """Claimed recipients ``(id, next_attempt_at)`` for whom it is night go back to
    'pending' until then (the claim's attempt is not counted)."""
    if not until:
        return
    async with db.transaction() as tx:
        await tx.executemany(
            "UPDATE outreach_recipients SET state='pending', attempts=attempts-1,"
            " next_attempt_at=? WHERE id=? AND state='sending'",
            [(at, recipient_id) for recipient_id, at in until])


async def release(db: Database, ids: Iterable[int]) -> None:
    """Claimed recipients that were never handed to the provider go back to 'pending'."""
    batch = [(i,) for i in ids]
    if not batch:
        return
    async with db.transaction() as tx:
        await tx.executemany(
            "UPDATE outreach_recipients SET state='pending', attempts=attempts-1"
            " WHERE id=? AND state='sending'", batch)


async def record(db: Database, results: Sequence[Result], now: str) -> None:
    """Write send outcomes in one transaction (group commit), a statement per kind of
    outcome: at 1,000 sends a second every round trip to the database thread counts."""
    by_kind: dict[str, list[Result]] = {}
    for res in results:
        by_kind.setdefault(res.outcome, []).append(res)
    async with db.transaction() as tx:
        sent = by_kind.pop("sent", [])
        if sent:
            await one_at_a_time(tx, [STATUS_LOCK])
            await tx.executemany(
                "UPDATE outreach_recipients SET state='sent', provider_id=?, sent_at=?,"
                " reason=NULL, next_attempt_at=NULL WHERE id=? AND state='sending'",
                [(r.provider_id, now, r.recipient_id) for r in sent])
            await _apply_early(tx, [r.provider_id for r in sent if r.provider_id], now)
        retry = by_kind.pop("retry", [])
        if retry:
            await tx.executemany(
                "UPDATE outreach_recipients SET state='pending', reason=?, next_attempt_at=?"
                " WHERE id=? AND state='sending'",
                [(r.reason, r.next_attempt_at, r.recipient_id) for r in retry])
        failed = by_kind.pop("failed", [])
        if failed:
            await tx.executemany(
                "UPDATE outreach_recipients SET state='failed', reason=?, done_at=?"
                " WHERE id=? AND state='sending'",
                [(r.reason, now, r.recipient_id) for r in failed])
        for kind, rest in by_kind.items():  # opted_out (Twilio 21610), unreachable (Telegram)
            for res in rest:
                await _skip_refused(tx, res.recipient_id, kind, now)


async def _skip_refused(tx: Tx, rid: int, kind: str, now: str) -> None:
    row = await tx.fetchone(
        "UPDATE outreach_recipients SET state='skipped', reason=?, done_at=?"
        " WHERE id=? AND state='sending' RETURNING channel, address",
        (kind, now, rid))
    if row is None:
        return
    if kind == "opted_out":
        await optouts_store.opt_out(tx, row["channel"], row["address"], "provider", now)
    else:
        await tx.execute("UPDATE contacts SET unreachable=1 WHERE channel=? AND address=?",
                           (row["channel"], row["address"]))


async def apply_statuses(db: Database, updates: Sequence[tuple[str, str, str | None]],
                         now: str) -> None:
    """Provider callbacks ``(provider_id, status, error_code)``: idempotent, never
    backwards; a callback for a message not yet recorded waits in the early table."""
    async with db.transaction() as tx:
        # On PostgreSQL a callback's look-up of its message and a send's check of the early
        # table could each miss the other's uncommitted row: they take turns.
        await one_at_a_time(tx, [STATUS_LOCK])
        for provider_id, status, error_code in updates:
            state = FINAL_STATUSES.get(status)
            if state is None:
                continue
            row = await tx.fetchone(
                "SELECT id, state FROM outreach_recipients WHERE provider_id=?",
                (provider_id,))
            if row is None:
                await tx.execute(
                    "INSERT INTO outreach_status_early(provider_id, status, error_code, at)"
                    " VALUES (?,?,?,?) ON CONFLICT(provider_id) DO NOTHING",
                    (provider_id, status, error_code, now))
                continue
            await _final(tx, row["id"], state, error_code, now)


async def _final(tx: Tx, rid: int, state: str, error_code: str | None,
                 now: str) -> None:
    row = await tx.fetchone(
        "UPDATE outreach_recipients SET state=?, reason=COALESCE(?, reason), done_at=?"
        " WHERE id=? AND state='sent' RETURNING channel, address",
        (state, error_code, now, rid))
    if row is not None and error_code == "21610":
        await optouts_store.opt_out(tx, row["channel"], row["address"], "provider", now)


async def _apply_early(tx: Tx, provider_ids: Sequence[str],
                       now: str) -> None:
    """Apply the callbacks that arrived before these messages were recorded as sent."""
    if not provider_ids:
        return
    marks = ",".join("?" * len(provider_ids))
    early = await tx.fetchall(
        f"DELETE FROM outreach_status_early WHERE provider_id IN ({marks})"
        " RETURNING provider_id, status, error_code", tuple(provider_ids))
    for item in early:
        row = await tx.fetchone(
            "SELECT id FROM outreach_recipients WHERE provider_id=?",
            (item["provider_id"],))
        if row is not None:
            await _final(tx, row["id"], FINAL_STATUSES[item["status"]], item["error_code"],
                         now)


async def in_doubt(db: Database, campaign_id: int, after_id: int = 0,
                   limit: int = 100) -> list[Row]:
    """Recipients left 'sending' (a crash mid-send), a page at a time."""
    return await db.fetchall(
        "SELECT r.id, r.channel, r.address, r.locale, r.attempted_at FROM outreach_recipients r"
        " WHERE r.campaign_id=? AND r.state='sending' AND r.id > ? ORDER BY r.id LIMIT ?",
        (campaign_id, after_id, limit))


async def next_retry(db: Database, campaign_id: int,
                     channel: str | None = None) -> tuple[int, int, str | None]:
    """(recipients pending, recipients 'sending', earliest retry time), for one
    channel or all."""
    where = "campaign_id=?" + (" AND channel=?" if channel else "")
    params = (campaign_id, channel) if channel else (campaign_id,)
    row = await db.fetchone(
        f"SELECT SUM(CASE WHEN state='pending' THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN state='sending' THEN 1 ELSE 0 END),"
        f" MIN(CASE WHEN state='pending' THEN next_attempt_at END)"
        f" FROM outreach_recipients WHERE {where} AND state IN ('pending','sending')", params)
    if row is None:
        return 0, 0, None
    return int(row[0] or 0), int(row[1] or 0), row[2]


# -- replies --------------------------------------------------------------------

def latest_sent_read(channel: str, address: str, since: str) -> Write:
    """The latest campaign message sent to this address since ``since`` (a turn's read,
    ``turn_reads``)."""
    return ("SELECT campaign_id, locale, sent_at, replied_at FROM outreach_recipients"
            " WHERE channel=? AND address=? AND state IN ('sent','delivered') AND sent_at >= ?"
            " ORDER BY sent_at DESC, id DESC LIMIT 1", (channel, address, since))


async def mark_replied(tx: Tx, campaign_id: int, channel: str,
                       address: str, now: str) -> None:
    await tx.execute(
        "UPDATE outreach_recipients SET replied_at=? WHERE campaign_id=? AND channel=?"
        " AND address=? AND replied_at IS NULL", (now, campaign_id, channel, address))


# -- progress -------------------------------------------------------------------

async def progress(db: Database, campaign_id: int) -> dict[str, int]:
    """Counts for the console and the CLI: queued, sent, delivered, failed, skipped,
    replied, opted_out (skipped for it, or opted out since), total."""
    rows = await db.fetchall(
        "SELECT state, COUNT(*) FROM outreach_recipients WHERE campaign_id=? GROUP BY state",
        (campaign_id,))
    by_state = {r[0]: int(r[1]) for r in rows}
    row = await db.fetchone(
        "SELECT (SELECT COUNT(*) FROM outreach_recipients WHERE campaign_id=?"
        " AND replied_at IS NOT NULL),"
        " (SELECT COUNT(*) FROM outreach_recipients r JOIN optouts o"
        " ON o.channel = r.channel AND o.address = r.address WHERE r.campaign_id=?)",
        (campaign_id, campaign_id))
    assert row is not None
    return {
        "total": sum(by_state.values()),
        "queued": by_state.get("pending", 0) + by_state.get("sending", 0),
        "sent": by_state.get("sent", 0) + by_state.get("delivered", 0),
        "delivered": by_state.get("delivered", 0),
        "failed": by_state.get("failed", 0),
        "skipped": by_state.get("skipped", 0),
        "replied": int(row[0]),
        "opted_out": int(row[1]),
    }


@dataclass(frozen=True)
class Bucket:
    """Sends and replies in one time bucket (``b``: its number since the start)."""
    b: int
    sends: int
    replies: int


async def timeline(db: Database, campaign_id: int, start: str,
                   bucket_seconds: int) -> list[Bucket]:
    """Sends and replies per time bucket since ``start``, in bucket order."""
    origin = dt.datetime.fromisoformat(start)
    counts: dict[int, list[int]] = {}
    for column, slot in (("sent_at", 0), ("replied_at", 1)):
        for at, n in await db.fetchall(
                f"SELECT {column}, COUNT(*) FROM outreach_recipients"
                f" WHERE campaign_id=? AND {column} IS NOT NULL GROUP BY {column}",
                (campaign_id,)):
            b = int((dt.datetime.fromisoformat(at) - origin).total_seconds() / bucket_seconds)
            if b >= 0:
                counts.setdefault(b, [0, 0])[slot] += int(n)
    return [Bucket(b, sends, replies) for b, (sends, replies) in sorted(counts.items())]


async def span(db: Database, campaign_id: int) -> tuple[str | None, str | None]:
    """First send and last send-or-reply of a campaign."""
    row = await db.fetchone(
        "SELECT MIN(sent_at), MAX(sent_at), MAX(replied_at)"
        " FROM outreach_recipients WHERE campaign_id=?", (campaign_id,))
    if row is None or row[0] is None:
        return None, None
    return row[0], max(row[1] or "", row[2] or "") or row[0]


async def record_test_send(db: Database, campaign_id: int, actor: str, outcome: str,
                           now: str) -> None:
    async with db.transaction() as tx:
        await audit.record(tx, now, actor, "outreach", f"test_send:{outcome}",
                           detail=f"campaign {campaign_id}")

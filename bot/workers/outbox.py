"""**Outbox worker.** Due ``pending`` rows are claimed per channel (at most one
per address, earliest first, so a person's messages leave in order), as many
as the channel's pacer allows right now, and handed to
``Channel.send``. Results are written back in small batches. A row a
crash left ``sending`` is settled at start (``reconcile``): asked of the
provider where it can be (SMS), sent again where it cannot (Telegram), left to
staff only when the provider could not be asked; see ``bot/storage/outbox.py``.
A row carries its worker's lease while it is sent; another instance settles it
only once that lease expired or its worker is gone (every ``PEERS_SECONDS``), never
while a live instance is still sending it.

Both workers sleep on an ``asyncio.Event`` (``Wakeup``) that the webhooks and
the inbox worker set, with a one-second poll as a safety net; a woken outbox
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import time
import uuid

from ..app import App
from ..channels.base import Channel, FindsSent, OutgoingMessage, SendResult
from ..clock import iso
from ..shared_rates import outbox_pacer
from ..storage import Tx, outbox
from ..storage import sms as more_pages
from ..storage.records import OutboxRow
from .apology import where
from .batching import Batcher
from .shutdown import finish_tasks
from .wakeup import Wakeup

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
LEASE_SECONDS = 60.0  # a claim's life; renewed every third of it while the row is held
PEERS_SECONDS = 5.0  # between looks for rows a dead instance left 'sending'
GATHER_SECONDS = 0.002  # a woken outbox worker waits this long to claim in batches
RECONCILE_SLACK = dt.timedelta(minutes=2)  # clock skew between us and the provider
LOOKUP_TRIES = 5  # failed provider lookups before an interrupted reply goes to staff
RECONCILE_SECONDS = 5.0  # between lookup rounds while some lookups fail
LOOKUP_CONCURRENCY = 8  # provider lookups at once after a crash


class OutboxWorker:
    def __init__(self, app: App, channels: list[Channel], wakeup: Wakeup, *,
                 batch: int = 200, concurrency: int = 32, max_attempts: int = 8,
                 base_delay: float = 2.0, max_delay: float = 900.0,
                 reconcile_seconds: float = RECONCILE_SECONDS,
                 peers_seconds: float = PEERS_SECONDS) -> None:
        self.app = app
        self.reconcile_seconds = reconcile_seconds
        self.peers_seconds = peers_seconds
        self.channels = {ch.name: ch for ch in channels}
        # Each channel's rate holds for all the instances on one database.
        self.pacers = {ch.name: outbox_pacer(app, ch.name) for ch in channels}
        self.wakeup = wakeup
        self.batch = batch
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._slots = asyncio.Semaphore(concurrency)
        self._results: Batcher[tuple[OutboxRow, SendResult], None] = Batcher(self._record)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._lookups: dict[int, int] = {}  # interrupted row id -> failed provider lookups
        self._reconcile_at: float | None = None  # monotonic time of the next lookup round
        self.worker_id = uuid.uuid4().hex[:16]  # claims' owner: this worker
        self._held: set[int] = set()  # row ids this worker is sending or settling
        self._renew_at = 0.0  # monotonic time of the next lease renewal
        self._peers_at = 0.0  # monotonic time of the next look for dead instances' rows

    def _until(self) -> str:
        return iso(self.app.clock() + dt.timedelta(seconds=LEASE_SECONDS))

    async def recover(self) -> int:
        """Rows a dead instance (or a crash of this one) left 'sending' become 'unknown',
        this worker's to settle (see outbox.recover_sending); a live one's are left."""
        self._peers_at = time.monotonic() + self.peers_seconds
        count = await outbox.recover_sending(self.app.db, self.worker_id,
                                             iso(self.app.clock()), self._until())
        if count:
            log.warning("%d outbox rows were being sent when their instance stopped;"
                        " asking the providers", count)
            self._reconcile_at = time.monotonic()
        return count

    async def _renew(self) -> None:
        """Extend the leases of the rows in hand, every third of a lease."""
        if time.monotonic() < self._renew_at:
            return
        self._renew_at = time.monotonic() + LEASE_SECONDS / 3
        held = sorted(self._held | set(self._lookups))
        try:
            await outbox.renew(self.app.db, held, self.worker_id, self._until())
        except Exception as exc:  # retried at the next loop; the lease has time left
            log.error("outbox leases not renewed: %s", where(exc))
            self._renew_at = 0.0

    async def reconcile(self) -> None:
        """Settle the rows a crash interrupted, before anything else is sent: found at
        the provider -> 'sent' (never twice); not found, or a channel that cannot be
        asked (Telegram: a repeated message is better than silence) -> sent again;
        the provider could not be asked ``LOOKUP_TRIES`` times -> 'undecided', for
        staff. Until then an interrupted row holds back its address's later rows."""
        db = self.app.db
        after = 0
        lookups = asyncio.Semaphore(LOOKUP_CONCURRENCY)
        while rows := await outbox.interrupted(db, self.worker_id, after, 200):
            after = rows[-1]["id"]
            outcomes = await asyncio.gather(*(self._settle(row, lookups) for row in rows))
            found = [(row["id"], sid) for row, (what, sid) in zip(rows, outcomes, strict=True)
                     if what == "found" and sid]
            resend = [row["id"] for row, (what, _) in zip(rows, outcomes, strict=True)
                      if what == "resend"]
            undecided = [row["id"] for row, (what, _) in zip(rows, outcomes, strict=True)
                         if what == "undecided"]
            await outbox.settle_interrupted(db, found=found, resend=resend,
                                            undecided=undecided, now=iso(self.app.clock()))
            for outbox_id in (*(f[0] for f in found), *resend, *undecided):
                self._lookups.pop(outbox_id, None)
            if found or resend or undecided:
                log.warning("outbox: settled %d interrupted sends: %d had been accepted,"
                            " %d sent again, %d left to staff", len(found) + len(resend)
                            + len(undecided), len(found), len(resend), len(undecided))
        self._reconcile_at = (time.monotonic() + self.reconcile_seconds if self._lookups
                              else None)

    async def _settle(self, row: OutboxRow,
                      lookups: asyncio.Semaphore) -> tuple[str, str | None]:
        """What to do with one interrupted row: ('found', SID), ('resend', None),
        ('undecided', None), or ('wait', None) to ask again later."""
        channel = self.channels.get(row["channel"])
        if channel is None:  # not enabled now: left for when it is
            return "wait", None
        if not isinstance(channel, FindsSent):
            return "resend", None
        since = dt.datetime.fromisoformat(row["updated_at"]) - RECONCILE_SLACK
        try:
            async with lookups:
                sids = await channel.find_sent(self._message(row), since)
        except Exception as exc:
            tries = self._lookups[row["id"]] = self._lookups.get(row["id"], 0) + 1
            log.warning("outbox row %d: %s lookup failed (%d): %s", row["id"],
                        row["channel"], tries, where(exc))
            return ("undecided" if tries >= LOOKUP_TRIES else "wait"), None
        known = await outbox.known_provider_ids(self.app.db, sids)
        fresh = [sid for sid in sids if sid not in known]
        if fresh:
            return "found", fresh[-1]  # the earliest match no other row holds
        return "resend", None

    async def run(self) -> None:
        await self.app.db.hold_presence(self.worker_id)
        await self.app.db.on_stored("outbox", self.wakeup.outbox.set)
        await self.recover()
        await self.reconcile()
        while not self._stopping:
            self.wakeup.outbox.clear()
            await self._renew()
            if time.monotonic() >= self._peers_at:
                try:
                    await self.recover()
                except Exception as exc:  # the database: try again at the next look
                    log.error("outbox: looking for interrupted sends failed: %s", where(exc))
            if self._reconcile_at is not None and time.monotonic() >= self._reconcile_at:
                try:
                    await self.reconcile()
                except Exception as exc:  # the database: try again at the next poll
                    log.error("outbox reconciliation failed: %s", where(exc))
            timeout = min(POLL_SECONDS, self._peers_at - time.monotonic(),
                          self._renew_at - time.monotonic())
            if self._reconcile_at is not None:
                timeout = min(timeout, self._reconcile_at - time.monotonic())
            for name in self.channels:
                timeout = min(timeout, await self._dispatch(name))
            try:
                await asyncio.wait_for(self.wakeup.outbox.wait(), max(timeout, 0.001))
                # Let the replies queued in the same instant join one claim.
                await asyncio.sleep(GATHER_SECONDS)
            except TimeoutError:
                pass

    async def _dispatch(self, name: str) -> float:
        """Claim and start sending what is due; return how long to sleep at most."""
        pacer = self.pacers[name]
        room = await pacer.take_up_to(self.batch)
        if room < 1:
            return pacer.wait_time()
        now = self.app.clock()
        rows: list[OutboxRow] = []
        try:
            rows = await outbox.claim_due(self.app.db, name, iso(now), room,
                                          worker=self.worker_id, until=self._until())
        finally:  # slots no row took go back (to the other instances too)
            await pacer.give_back(room - len(rows))
        for row in rows:
            self._held.add(row["id"])
            await self._slots.acquire()
            task = asyncio.create_task(self._send(name, row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if rows:
            return 0.0 if len(rows) == room else POLL_SECONDS
        due = await outbox.next_due(self.app.db, name)
        if due is None:
            return POLL_SECONDS
        return (dt.datetime.fromisoformat(due) - now).total_seconds()

    @staticmethod
    def _message(row: OutboxRow) -> OutgoingMessage:
        return OutgoingMessage(
            id=row["id"], channel=row["channel"], address=row["address"], body=row["body"],
            options=_options(row["options"]), kind=row["kind"], attempts=row["attempts"],
            locale=row["locale"])

    async def _send(self, name: str, row: OutboxRow) -> None:
        message = self._message(row)
        try:
            try:
                result = await self.channels[name].send(message)
            except Exception as exc:
                log.error("outbox row %d: %s send raised %s", row["id"], name, where(exc))
                result = SendResult("retry", error_code="exception")
            await self._results.submit((row, result))
        except Exception as exc:  # could not record: the row stays 'sending' -> 'unknown'
            log.error("outbox row %d: result not recorded: %s", row["id"], where(exc))
        finally:
            self._held.discard(row["id"])
            self._slots.release()

    def _delay(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return max(retry_after, 1.0)
        delay = min(self.max_delay, self.base_delay * 2 ** max(attempts - 1, 0))
        return delay * random.uniform(0.8, 1.2)

    async def _record(self, items: list[tuple[OutboxRow, SendResult]]) -> list[None]:
        now = self.app.clock()
        stamp = iso(now)

        async def record(conn: Tx) -> None:
            await outbox.mark_sent_many(conn, [(row["id"], result.provider_id)
                                               for row, result in items
                                               if result.outcome == "sent"], stamp)
            await conn.run([write for row, result in items
                            if result.outcome == "sent" and result.more
                            for write in more_pages.keep_more_writes(
                                row["id"], row["channel"], row["address"], result.more)])
            for row, result in items:
                if result.outcome == "retry" and row["attempts"] < self.max_attempts:
                    later = now + dt.timedelta(seconds=self._delay(row["attempts"],
                                                                   result.retry_after))
                    await outbox.mark_retry(conn, row["id"], iso(later), result.error_code,
                                            stamp)
                elif result.outcome == "held":  # WhatsApp's window: waits for the person
                    await outbox.mark_held(conn, row["id"], result.error_code, stamp)
                elif result.outcome != "sent":
                    await outbox.mark_failed(conn, row["id"], result.error_code, stamp)
                    log.warning("outbox row %d failed (%s): %s", row["id"], row["channel"],
                                result.error_code)
                if result.opt_out:
                    await outbox.opt_out(conn, row["channel"], row["address"], stamp)
                if result.unreachable:
                    await outbox.mark_unreachable(conn, row["channel"], row["address"])
        await self.app.db.in_one_trip(record)
        self.wakeup.outbox.set()  # the next message of these addresses may go now
        return [None] * len(items)

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the sends in flight finish and be recorded."""
        self._stopping = True
        self.wakeup.outbox.set()
        await finish_tasks(self._tasks, timeout)


def _options(raw: str | None) -> list[dict[str, str]]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return [o for o in value if isinstance(o, dict)] if isinstance(value, list) else []

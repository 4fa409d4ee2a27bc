"""**Inbox worker.** Every stored inbound message (``inbox`` row, status
``pending``) goes through ``Dialogue.handle(inbound, inbox_id=...)``, which
marks the row done in the same transaction that queues the replies. InboxMessages are
read in id order, so rows left pending by a crash are simply the first ones
processed at start. A row is claimed (a lease in the database, renewed while
in hand) before it is handled, so two workers (two processes on one
database) never handle the same row, and a dead worker's rows are taken over
once its lease expires or at once when its presence lock is free (its process
died: ``Database.absent``). On PostgreSQL a row stored by any instance wakes
every instance's worker (LISTEN/NOTIFY), the poll being the safety net. One
person's messages (on every linked channel) are handled one at a time, in
order; different people run concurrently (``CONCURRENCY`` at a time: the turns
that end together share one commit, one fsync, so more of them in flight cost
less each; beyond that a group holds the writers' lock long enough to delay the
webhooks' inserts). Every row goes to the
dialogue, MORE and MMS included (``handlers/preflight.py``). A handler that
raises does not stop the worker: the row is retried a few times (a locked or
busy database passes), then marked ``failed``; the person gets a
localised "something went wrong, a person will look at it" and staff an
escalation (``apologise``). No turn ends in silence.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from datetime import timedelta

from ..app import App
from ..clock import iso
from ..model import Inbound
from ..storage import inbox
from ..storage.records import InboxMessage
from .apology import apologise, where
from .shutdown import finish_tasks
from .wakeup import Wakeup

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# Turns in flight. bench_sms.py --burst 8000 --rate 1000: 6 -> 24 took commits per turn
# from 1.24 to 0.55 and complete turns from 357/s to 439/s; 48 gained 2% more, but its
# larger groups held the lock up to 0.18 s (acks' p99 44 -> 154 ms).
CONCURRENCY = 24
# Rows read and held ahead of the turns (claimed, queued per person): enough for many
# claims' worth of turns, few enough that a backlog is not all held in memory at once.
MAX_QUEUED = 500
LEASE_SECONDS = 60.0  # a claim's life; renewed every third of it while the row is held

# Whose turns are serialised: a person, or (channel, address) for a sender not yet known.
Key = int | tuple[str, str]


def row_inbound(row: InboxMessage) -> Inbound:
    return Inbound(
        channel=row.channel, address=row.address, text=row.body,
        language_hint=row.language_hint, provider_id=row.provider_id,
        media_count=row.media_count, notice_code=row.notice_code)


class InboxWorker:
    """Inbox rows -> dialogue: in order per person, people concurrently (bounded).

    Pending rows are read (new ones by id as webhooks announce them, and all of
    them again on each idle poll, which also picks up rows a crash or a dead
    worker left), claimed, and queued per person; a finished row starts that
    person's next one.
    """

    def __init__(self, app: App, wakeup: Wakeup, *,
                 concurrency: int = CONCURRENCY, max_attempts: int = 3,
                 retry_delay: float = 1.0, max_queued: int = MAX_QUEUED) -> None:
        self.app = app
        self.wakeup = wakeup
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.max_queued = max_queued
        self.worker_id = uuid.uuid4().hex[:16]  # claims' owner: this worker
        self._queues: dict[Key, deque[InboxMessage]] = {}
        self._keys: dict[tuple[str, str], Key] = {}  # sender -> queue, while it has rows
        self._known: set[int] = set()  # row ids claimed: queued or in hand
        self._last_id = 0
        self._busy: set[Key] = set()  # people with a row in hand
        self._ready: deque[Key] = deque()  # people whose next row may start
        self._waiting: dict[Key, float] = {}  # person -> retry time of its row
        self._renew_at = 0.0  # monotonic time of the next lease renewal
        self._full_at = 0.0  # monotonic time of the next full read (others' expired rows)
        self._not_before: dict[int, float] = {}  # row id -> monotonic time of next try
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def run(self) -> None:
        # PostgreSQL: rows any instance stores wake this worker (LISTEN/NOTIFY).
        await self.app.db.on_stored("inbox", self.wakeup.inbox.set)
        await self.app.db.hold_presence(self.worker_id)  # a dead worker's rows: taken at once
        full = True  # at start: every pending row, crash leftovers first
        while not self._stopping:
            self.wakeup.inbox.clear()
            await self._renew()
            if time.monotonic() >= self._full_at:
                full, self._full_at = True, time.monotonic() + LEASE_SECONDS / 2
            more = await self._read(full)
            self._start_ready()
            if more:
                full = False
                continue
            try:
                await asyncio.wait_for(self.wakeup.inbox.wait(), self._sleep())
                full = False
            except TimeoutError:
                full = True

    async def _read(self, full: bool) -> bool:
        """Queue pending rows not yet known; True if more are waiting to be read."""
        room = self.max_queued - len(self._known)
        if room <= 0:
            return False
        now = self.app.clock()
        stamp = iso(now)
        if full:
            freed = await inbox.free_dead_claims(self.app.db, self.worker_id, stamp)
            if freed:
                log.warning("inbox: %d rows of a stopped instance taken over", freed)
        rows = await inbox.pending_after(self.app.db, 0 if full else self._last_id, room)
        fresh = [row for row in rows if row.id not in self._known
                 and (row.claimed_until is None or row.claimed_until < stamp)]
        held = await inbox.claim(self.app.db, [row.id for row in fresh], self.worker_id,
                                 stamp, iso(now + timedelta(seconds=LEASE_SECONDS)))
        for row in rows:
            self._last_id = max(self._last_id, row.id)
        for row in fresh:
            if row.id in held:
                self._known.add(row.id)
                self._queue(row)
        if any(row.id not in self._known for row in rows):
            # Rows another worker holds, or held back behind a sender's row it holds: read
            # from the start again soon (not only when idle), as their turn may come.
            self._full_at = min(self._full_at, time.monotonic() + POLL_SECONDS)
        return len(rows) == room

    def _queue(self, row: InboxMessage) -> None:
        sender = (row.channel, row.address)
        key = self._keys.get(sender)
        if key is None:
            key = self._keys[sender] = row.person_id or sender
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            if key not in self._busy:
                self._ready.append(key)
        queue.append(row)

    async def _renew(self) -> None:
        """Extend the leases of the rows in hand or queued, every third of a lease."""
        if time.monotonic() < self._renew_at:
            return
        self._renew_at = time.monotonic() + LEASE_SECONDS / 3
        until = self.app.clock() + timedelta(seconds=LEASE_SECONDS)
        try:
            await inbox.renew(self.app.db, sorted(self._known), self.worker_id, iso(until))
        except Exception as exc:  # retried at the next loop; the lease has time left
            log.error("inbox leases not renewed: %s", where(exc))
            self._renew_at = 0.0

    def _sleep(self) -> float:
        waits = [t - time.monotonic() for t in (*self._not_before.values(), self._renew_at)]
        return max(0.001, min([POLL_SECONDS, *waits]))

    def _start_ready(self) -> None:
        """Start the ready people's next rows, up to ``concurrency`` at once: a queue
        of ready people, so a finished turn costs O(1), not a scan of every person."""
        if self._waiting:  # only senders whose row is waiting to be retried
            now = time.monotonic()
            for key, at in list(self._waiting.items()):
                if at <= now:
                    del self._waiting[key]
                    self._ready.append(key)
        while self._ready and len(self._tasks) < self.concurrency and not self._stopping:
            key = self._ready.popleft()
            queue = self._queues.get(key)
            if not queue or key in self._busy:
                continue
            self._busy.add(key)
            task = asyncio.create_task(self._handle(queue[0], key))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _release(self, key: Key) -> None:
        """The person's row is out of hand: their next (or retried) row becomes ready."""
        self._busy.discard(key)
        queue = self._queues.get(key)
        if queue:
            at = self._not_before.get(queue[0].id, 0.0)
            if at > time.monotonic():
                self._waiting[key] = at
            else:
                self._ready.append(key)

    def _finish(self, row: InboxMessage, key: Key) -> None:
        queue = self._queues[key]
        queue.popleft()
        if not queue:
            del self._queues[key]
        address = (row.channel, row.address)
        if not any(r.channel == address[0] and r.address == address[1] for r in queue):
            self._keys.pop(address, None)
        self._known.discard(row.id)
        self._not_before.pop(row.id, None)

    async def _handle(self, row: InboxMessage, key: Key) -> None:
        try:
            inbound = row_inbound(row)
            await self.app.dialogue.handle(inbound, inbox_id=row.id)
            self._finish(row, key)
            self.wakeup.outbox.set()
        except Exception as exc:
            log.error("inbox row %d (%s) failed: %s", row.id, row.channel, where(exc))
            if await self._failed(row, exc):
                self._finish(row, key)
        finally:
            self._release(key)
            asyncio.get_running_loop().call_soon(self._start_ready)

    async def _failed(self, row: InboxMessage, error: BaseException) -> bool:
        """Count a failed try; after the last one apologise. True if the row is closed."""
        try:
            attempts = await inbox.add_attempt(self.app.db, row.id)
            if attempts < self.max_attempts:
                self._not_before[row.id] = time.monotonic() + self.retry_delay * attempts
                self.wakeup.inbox.set()  # recompute the sleep
                return False
            await self._apologise(row, error)
            log.error("inbox row %d marked failed after %d attempts", row.id, attempts)
            return True
        except Exception as exc:  # the database itself is failing: keep the row pending
            log.error("inbox row %d: could not record the failure: %s", row.id, where(exc))
            self._not_before[row.id] = time.monotonic() + self.retry_delay
            return False

    async def _apologise(self, row: InboxMessage, error: BaseException) -> None:
        await apologise(self.app, row_inbound(row), error, inbox_id=row.id)
        self.wakeup.outbox.set()

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the rows in hand (or leave them pending if they take too long)."""
        self._stopping = True
        self.wakeup.inbox.set()
        await finish_tasks(self._tasks, timeout)
        try:
            await inbox.release(self.app.db, sorted(self._known), self.worker_id)
        except Exception as exc:  # the leases expire on their own
            log.error("inbox leases not released: %s", where(exc))

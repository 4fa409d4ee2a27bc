"""**Inbox worker.** Every stored inbound message (``inbox`` row, status
``pending``) goes through ``Dialogue.handle(inbound, inbox_id=...)``, which
marks the row done in the same transaction that queues the replies. Rows are
read in id order, so rows left pending by a crash are simply the first ones
processed at start. One sender's messages are handled one at a time, in
order; different senders run concurrently (a few at a time: every turn goes
through the one database connection, and more concurrency only lengthens its
queue and slows the webhooks' acknowledgements). Every row goes to the
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
from collections import deque

import aiosqlite

from ..app import App
from ..model import Inbound
from ..storage import inbox
from .apology import apologise, where
from .shutdown import finish_tasks
from .wakeup import Wakeup

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


def row_inbound(row: aiosqlite.Row) -> Inbound:
    keys = row.keys()
    return Inbound(
        channel=row["channel"], address=row["address"], text=row["body"],
        language_hint=row["language_hint"], provider_id=row["provider_id"],
        media_count=row["media_count"],
        campaign_id=row["campaign_id"] if "campaign_id" in keys else None,
        notice_code=row["notice_code"] if "notice_code" in keys else None)


class InboxWorker:
    """Inbox rows -> dialogue: in order per sender, senders concurrently (bounded).

    Pending rows are read once (new ones by id as webhooks announce them, and
    all of them again on each idle poll, which also picks up rows a crash left)
    into a queue per sender; a finished row starts that sender's next one.
    """

    def __init__(self, app: App, wakeup: Wakeup, *,
                 concurrency: int = 6, max_attempts: int = 3,
                 retry_delay: float = 1.0, max_queued: int = 5000) -> None:
        self.app = app
        self.wakeup = wakeup
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.max_queued = max_queued
        self._queues: dict[tuple[str, str], deque[aiosqlite.Row]] = {}
        self._known: set[int] = set()  # row ids queued or in hand
        self._last_id = 0
        self._busy: set[tuple[str, str]] = set()  # senders with a row in hand
        self._ready: deque[tuple[str, str]] = deque()  # senders whose next row may start
        self._waiting: dict[tuple[str, str], float] = {}  # sender -> retry time of its row
        self._not_before: dict[int, float] = {}  # row id -> monotonic time of next try
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def run(self) -> None:
        full = True  # at start: every pending row, crash leftovers first
        while not self._stopping:
            self.wakeup.inbox.clear()
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
        rows = await inbox.pending_after(self.app.db, 0 if full else self._last_id, room)
        for row in rows:
            self._last_id = max(self._last_id, row["id"])
            if row["id"] in self._known:
                continue
            self._known.add(row["id"])
            sender = (row["channel"], row["address"])
            queue = self._queues.get(sender)
            if queue is None:
                queue = self._queues[sender] = deque()
                if sender not in self._busy:
                    self._ready.append(sender)
            queue.append(row)
        return len(rows) == room

    def _sleep(self) -> float:
        waits = [t - time.monotonic() for t in self._not_before.values()]
        return max(0.001, min([POLL_SECONDS, *waits]))

    def _start_ready(self) -> None:
        """Start the ready senders' next rows, up to ``concurrency`` at once: a queue
        of ready senders, so a finished turn costs O(1), not a scan of every sender."""
        if self._waiting:  # only senders whose row is waiting to be retried
            now = time.monotonic()
            for sender, at in list(self._waiting.items()):
                if at <= now:
                    del self._waiting[sender]
                    self._ready.append(sender)
        while self._ready and len(self._tasks) < self.concurrency and not self._stopping:
            sender = self._ready.popleft()
            queue = self._queues.get(sender)
            if not queue or sender in self._busy:
                continue
            self._busy.add(sender)
            task = asyncio.create_task(self._handle(queue[0], sender))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _release(self, sender: tuple[str, str]) -> None:
        """The sender's row is out of hand: its next (or retried) row becomes ready."""
        self._busy.discard(sender)
        queue = self._queues.get(sender)
        if queue:
            at = self._not_before.get(queue[0]["id"], 0.0)
            if at > time.monotonic():
                self._waiting[sender] = at
            else:
                self._ready.append(sender)

    def _finish(self, row: aiosqlite.Row, sender: tuple[str, str]) -> None:
        queue = self._queues[sender]
        queue.popleft()
        if not queue:
            del self._queues[sender]
        self._known.discard(row["id"])
        self._not_before.pop(row["id"], None)

    async def _handle(self, row: aiosqlite.Row, sender: tuple[str, str]) -> None:
        try:
            inbound = row_inbound(row)
            await self.app.dialogue.handle(inbound, inbox_id=row["id"])
            self._finish(row, sender)
            self.wakeup.outbox.set()
        except Exception as exc:
            log.error("inbox row %d (%s) failed: %s", row["id"], row["channel"], where(exc))
            if await self._failed(row, exc):
                self._finish(row, sender)
        finally:
            self._release(sender)
            asyncio.get_running_loop().call_soon(self._start_ready)

    async def _failed(self, row: aiosqlite.Row, error: BaseException) -> bool:
        """Count a failed try; after the last one apologise. True if the row is closed."""
        try:
            attempts = await inbox.add_attempt(self.app.db, row["id"])
            if attempts < self.max_attempts:
                self._not_before[row["id"]] = time.monotonic() + self.retry_delay * attempts
                self.wakeup.inbox.set()  # recompute the sleep
                return False
            await self._apologise(row, error)
            log.error("inbox row %d marked failed after %d attempts", row["id"], attempts)
            return True
        except Exception as exc:  # the database itself is failing: keep the row pending
            log.error("inbox row %d: could not record the failure: %s", row["id"], where(exc))
            self._not_before[row["id"]] = time.monotonic() + self.retry_delay
            return False

    async def _apologise(self, row: aiosqlite.Row, error: BaseException) -> None:
        await apologise(self.app, row_inbound(row), error, inbox_id=row["id"])
        self.wakeup.outbox.set()

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the rows in hand (or leave them pending if they take too long)."""
        self._stopping = True
        self.wakeup.inbox.set()
        await finish_tasks(self._tasks, timeout)

"""The two background workers of the service: inbox -> dialogue, outbox -> providers.

**Inbox worker.** Every stored inbound message (``inbox`` row, status
``pending``) goes through ``Dialogue.handle(inbound, inbox_id=...)``, which
marks the row done in the same transaction that queues the replies. Rows are
read in id order, so rows left pending by a crash are simply the first ones
processed at start. One sender's messages are handled one at a time, in
order; different senders run concurrently (a few at a time: every turn goes
through the one database connection, and more concurrency only lengthens its
queue and slows the webhooks' acknowledgements). A channel may look at a
row before the dialogue does (``before_dialogue``, e.g. SMS MORE or MMS). A
handler that raises does not stop the worker: the row is retried a few times
(a locked or busy database passes), then marked ``failed``; the person gets a
localised "something went wrong, a person will look at it" and staff an
escalation (``apologise``). No turn ends in silence.

**Outbox worker.** Due ``pending`` rows are claimed per channel (at most one
per address, earliest first, so a person's messages leave in order), as many
as the channel's token bucket allows right now, and handed to
``Channel.send``. Results are written back in small batches. A row a
crash left ``sending`` is settled at start (``reconcile``): asked of the
provider where it can be (SMS), sent again where it cannot (Telegram), left to
staff only when the provider could not be asked; see ``bot/storage/outbox.py``.

Both workers sleep on an ``asyncio.Event`` (``Wakeup``) that the webhooks and
the inbox worker set, with a one-second poll as a safety net; a woken outbox
worker waits 2 ms more so that replies queued together are claimed together.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import secrets
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, cast

import aiosqlite
from aiohttp import web

from .app import App
from .channels.base import Channel, OutgoingMessage, SendResult
from .clock import iso
from .dialogue import QUEUED_CHANNELS
from .model import Inbound, Reply, Turn
from .storage import Database, audit, escalations, execute_all, inbox, outbox, people

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

POLL_SECONDS = 1.0
GATHER_SECONDS = 0.002  # a woken outbox worker waits this long to claim in batches
RECONCILE_SLACK = dt.timedelta(minutes=2)  # clock skew between us and the provider
LOOKUP_TRIES = 5  # failed provider lookups before an interrupted reply goes to staff
RECONCILE_SECONDS = 5.0  # between lookup rounds while some lookups fail
LOOKUP_CONCURRENCY = 8  # provider lookups at once after a crash


@dataclass
class Wakeup:
    """Events that wake the workers: set ``inbox`` after storing a message,
    ``outbox`` after queueing one."""

    inbox: asyncio.Event = field(default_factory=asyncio.Event)
    outbox: asyncio.Event = field(default_factory=asyncio.Event)


# Where channel request handlers find the Wakeup: ``request.app[WAKEUP].inbox.set()``.
WAKEUP = web.AppKey("casecheck_wakeup", Wakeup)


class FindsSent(Protocol):
    """A channel that can ask its provider what it accepted (SMS: Twilio's message list)."""

    async def find_sent(self, message: OutgoingMessage, since: dt.datetime) -> list[str]: ...


class BeforeDialogue(Protocol):
    """Optional channel hook: handle an inbox row itself (return True) or let the
    dialogue have it (False). If it returns True it has marked the row done."""

    async def __call__(self, inbox_id: int, inbound: Inbound) -> bool: ...


class Batcher(Generic[T, R]):
    """Group commit: items submitted while one batch is being written go in the next.

    ``fn`` gets a list of items and returns one result per item, in order. If it
    raises for a batch of several items, each item is tried alone, so one bad item
    (a row the database refuses) fails only its own submitter, not its neighbours.
    """

    def __init__(self, fn: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._fn = fn
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                results = await self._fn([item for item, _ in batch])
            except asyncio.CancelledError as exc:
                _fail(batch, exc)
                raise
            except Exception as exc:
                if len(batch) == 1:
                    _fail(batch, exc)
                else:
                    await self._one_by_one(batch)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _one_by_one(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        for item, future in batch:
            try:
                (result,) = await self._fn([item])
            except asyncio.CancelledError as exc:
                _fail(batch, exc)
                raise
            except Exception as exc:
                _fail([(item, future)], exc)
            else:
                if not future.done():
                    future.set_result(result)


def _fail(batch: list[tuple[T, asyncio.Future[R]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)


class TokenBucket:
    """``rate`` tokens a second, bursts up to one second's worth (at least 1)."""

    def __init__(self, rate: float) -> None:
        self.rate = max(rate, 0.001)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self._at = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self._at) * self.rate)
        self._at = now

    def available(self) -> int:
        self._refill()
        return int(self.tokens)

    def take(self) -> None:
        self._refill()
        self.tokens -= 1

    def wait_time(self) -> float:
        """Seconds until one token is available."""
        self._refill()
        return max(0.0, (1 - self.tokens) / self.rate)


def where(exc: BaseException) -> str:
    """Exception type and the innermost frame: enough to debug, no message text
    (which might quote a person's words)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    place = "/".join(frames[-1].filename.replace("\\", "/").split("/")[-2:])
    return f"{type(exc).__name__} at {place}:{frames[-1].lineno}"


def row_inbound(row: aiosqlite.Row) -> Inbound:
    keys = row.keys()
    return Inbound(
        channel=row["channel"], address=row["address"], text=row["body"],
        language_hint=row["language_hint"], provider_id=row["provider_id"],
        media_count=row["media_count"],
        campaign_id=row["campaign_id"] if "campaign_id" in keys else None,
        notice_code=row["notice_code"] if "notice_code" in keys else None)


# No 0/O, 1/I/L: a reference people can read out on the phone (as handlers/lawyer.py).
_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TURN_ERROR_REASON = "bot_error"


async def apologise(app: App, inbound: Inbound, error: BaseException, *,
                    inbox_id: int | None = None) -> Turn:
    """A turn whose handler raised (or kept raising): the person is told, in their
    language, that a person will look at it, and staff get an escalation (one open
    escalation per person). The transcript keeps the message and the apology, so
    staff can see what went wrong; the log names only the error's type and place.
    Returns the turn (the console prints it; other channels get it queued)."""
    db = app.db
    now = iso(app.clock())
    state = await people.get_or_create(db, inbound.channel, inbound.address, now)
    locale = state.locale or app.config.dialogue.default_locale
    reply = apology(app, locale)
    ref = None
    if await escalations.open_for_person(db, state.person_id) is None:
        ref = await _new_ref(db)
    async with db.transaction() as conn:
        writes = [people.message_write(state.person_id, "in", inbound.channel, inbound.text,
                                       now),
                  *people.reply_writes(state.person_id, inbound.channel, [reply.text], now)]
        if inbound.channel in QUEUED_CHANNELS:
            writes += outbox.enqueue_writes(inbound.channel, inbound.address, [reply], now,
                                            person_id=state.person_id, inbox_id=inbox_id,
                                            kind="reply")
        await execute_all(conn, writes)
        if inbox_id is not None:
            await inbox.mark_failed(conn, inbox_id, now)
        if ref is not None:
            await escalations.create(
                conn, ref=ref, person_id=state.person_id, channel=inbound.channel,
                address=inbound.address, locale=locale, reason=TURN_ERROR_REASON,
                case_id=None, candidates=(), now=now,
                summary=f"reason: {TURN_ERROR_REASON}; language: {locale}; "
                        f"last step: {state.step or 'start'}; error: {where(error)}")
        await audit.record(conn, now, "bot", "turn_failed", where(error),
                           person_id=state.person_id, detail=ref)
    log.error("turn failed (%s, %s): %s; apologised%s", inbound.channel,
              state.step or "start", where(error), ", escalated" if ref else "")
    return Turn([reply], state.awaiting, locale)


def apology(app: App, locale: str) -> Reply:
    return Reply(app.translator.gettext(
        locale, "Sorry, something went wrong. A person will look at it and reply."))


async def _new_ref(db: Database) -> str:
    while True:
        ref = "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))
        if not await escalations.ref_exists(db, ref):
            return ref


class InboxWorker:
    """Inbox rows -> dialogue: in order per sender, senders concurrently (bounded).

    Pending rows are read once (new ones by id as webhooks announce them, and
    all of them again on each idle poll, which also picks up rows a crash left)
    into a queue per sender; a finished row starts that sender's next one.
    """

    def __init__(self, app: App, wakeup: Wakeup, *,
                 before: dict[str, BeforeDialogue] | None = None,
                 concurrency: int = 6, max_attempts: int = 3,
                 retry_delay: float = 1.0, max_queued: int = 5000) -> None:
        self.app = app
        self.wakeup = wakeup
        self.before = before or {}
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
            hook = self.before.get(inbound.channel)
            if hook is None or not await hook(row["id"], inbound):
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
        await _finish(self._tasks, timeout)


class OutboxWorker:
    def __init__(self, app: App, channels: list[Channel], wakeup: Wakeup, *,
                 batch: int = 200, concurrency: int = 32, max_attempts: int = 8,
                 base_delay: float = 2.0, max_delay: float = 900.0,
                 reconcile_seconds: float = RECONCILE_SECONDS) -> None:
        self.app = app
        self.reconcile_seconds = reconcile_seconds
        self.channels = {ch.name: ch for ch in channels}
        self.buckets = {ch.name: TokenBucket(ch.rate_per_second) for ch in channels}
        self.wakeup = wakeup
        self.batch = batch
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._slots = asyncio.Semaphore(concurrency)
        self._results: Batcher[tuple[dict[str, Any], SendResult], None] = Batcher(self._record)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._lookups: dict[int, int] = {}  # interrupted row id -> failed provider lookups
        self._reconcile_at: float | None = None  # monotonic time of the next lookup round

    async def recover(self) -> int:
        """Rows a crash left 'sending' become 'unknown' (see outbox.recover_sending)."""
        count = await outbox.recover_sending(self.app.db)
        if count:
            log.warning("%d outbox rows were being sent when the service stopped;"
                        " asking the providers", count)
        return count

    async def reconcile(self) -> None:
        """Settle the rows a crash interrupted, before anything else is sent: found at
        the provider -> 'sent' (never twice); not found, or a channel that cannot be
        asked (Telegram: a repeated message is better than silence) -> sent again;
        the provider could not be asked ``LOOKUP_TRIES`` times -> 'undecided', for
        staff. Until then an interrupted row holds back its address's later rows."""
        db = self.app.db
        after = 0
        lookups = asyncio.Semaphore(LOOKUP_CONCURRENCY)
        while rows := await outbox.interrupted(db, after, 200):
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

    async def _settle(self, row: dict[str, Any],
                      lookups: asyncio.Semaphore) -> tuple[str, str | None]:
        """What to do with one interrupted row: ('found', SID), ('resend', None),
        ('undecided', None), or ('wait', None) to ask again later."""
        channel = self.channels.get(row["channel"])
        if channel is None:  # not enabled now: left for when it is
            return "wait", None
        if not hasattr(channel, "find_sent"):
            return "resend", None
        since = dt.datetime.fromisoformat(row["updated_at"]) - RECONCILE_SLACK
        try:
            async with lookups:
                sids = await cast(FindsSent, channel).find_sent(self._message(row), since)
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
        await self.recover()
        await self.reconcile()
        while not self._stopping:
            self.wakeup.outbox.clear()
            if self._reconcile_at is not None and time.monotonic() >= self._reconcile_at:
                try:
                    await self.reconcile()
                except Exception as exc:  # the database: try again at the next poll
                    log.error("outbox reconciliation failed: %s", where(exc))
            timeout = POLL_SECONDS
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
        bucket = self.buckets[name]
        room = min(self.batch, bucket.available())
        if room < 1:
            return bucket.wait_time()
        now = self.app.clock()
        rows = await outbox.claim_due(self.app.db, name, iso(now), room)
        for row in rows:
            bucket.take()
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
    def _message(row: dict[str, Any]) -> OutgoingMessage:
        return OutgoingMessage(
            id=row["id"], channel=row["channel"], address=row["address"], body=row["body"],
            options=_options(row["options"]), kind=row["kind"], attempts=row["attempts"],
            locale=row["locale"])

    async def _send(self, name: str, row: dict[str, Any]) -> None:
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
            self._slots.release()

    def _delay(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return max(retry_after, 1.0)
        delay = min(self.max_delay, self.base_delay * 2 ** max(attempts - 1, 0))
        return delay * random.uniform(0.8, 1.2)

    async def _record(self, items: list[tuple[dict[str, Any], SendResult]]) -> list[None]:
        now = self.app.clock()
        stamp = iso(now)
        async with self.app.db.transaction() as conn:
            await outbox.mark_sent_many(conn, [(row["id"], result.provider_id)
                                               for row, result in items
                                               if result.outcome == "sent"], stamp)
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
        self.wakeup.outbox.set()  # the next message of these addresses may go now
        return [None] * len(items)

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the sends in flight finish and be recorded."""
        self._stopping = True
        self.wakeup.outbox.set()
        await _finish(self._tasks, timeout)


def _options(raw: str | None) -> list[dict[str, str]]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return [o for o in value if isinstance(o, dict)] if isinstance(value, list) else []


async def _finish(tasks: set[asyncio.Task[None]], timeout: float) -> None:
    if not tasks:
        return
    _done, late = await asyncio.wait(set(tasks), timeout=timeout)
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late)

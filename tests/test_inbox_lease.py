"""Inbox rows are claimed with a lease before a turn handles them: two workers on one
database (two processes in production) never handle one row, a dead worker's rows are
taken over once its lease expires, and one person's turns (on every linked channel)
never run at the same time."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict

from bot.app import App
from bot.clock import iso
from bot.model import Inbound
from bot.storage import Database, inbox, people
from bot.workers import InboxWorker, Wakeup
from tests.conftest import both_engines

pytestmark = both_engines

NOW = "2026-01-01T00:00:00+00:00"


class Turns:
    """A dialogue that is the whole turn (set as ``app.dialogue``): it records who is
    in hand, yields to the other tasks, and marks the row done."""

    def __init__(self, app: App, person_of: dict[str, str]) -> None:
        self.app = app
        self.person_of = person_of  # address -> the person's name in this test
        self.in_hand: dict[str, int] = defaultdict(int)
        self.overlaps: list[str] = []
        self.handled: list[tuple[str, str]] = []  # (worker, provider_id) in order

    def hook(self, worker: str) -> _Dialogue:
        async def handle(inbox_id: int, inbound: Inbound) -> bool:
            person = self.person_of[inbound.address]
            self.in_hand[person] += 1
            if self.in_hand[person] > 1:
                self.overlaps.append(person)
            await asyncio.sleep(0.002)
            self.handled.append((worker, inbound.provider_id))
            async with self.app.db.transaction() as tx:
                await inbox.mark_done(tx, inbox_id, NOW)
            self.in_hand[person] -= 1
            return True
        return _Dialogue(handle)


class _Dialogue:
    def __init__(self, handle) -> None:
        self._handle = handle

    async def handle(self, inbound: Inbound, *, inbox_id: int) -> None:
        await self._handle(inbox_id, inbound)


async def run_workers(workers: list[InboxWorker], db) -> None:
    tasks = [asyncio.create_task(w.run()) for w in workers]
    for _ in range(2000):
        if not await inbox.pending(db):
            break
        await asyncio.sleep(0.01)
    for worker in workers:
        await worker.stop()
    await asyncio.gather(*tasks)


async def test_two_workers_on_one_database_never_handle_one_row(config, clock):
    first = await App.create(config, clock=clock)
    second = await App.create(config, clock=clock)  # its own connections to the same file
    try:
        senders = [f"+1617555{n:04d}" for n in range(8)]
        await inbox.store_many(first.db, [
            Inbound("sms", senders[n % 8], f"text {n}", provider_id=f"M{n:03d}")
            for n in range(40)], NOW)
        turns = Turns(first, {address: address for address in senders})
        first.dialogue, second.dialogue = turns.hook("one"), turns.hook("two")
        workers = [InboxWorker(app, Wakeup(), concurrency=4, max_queued=6)  # a few rows
                   for app in (first, second)]  # claimed at a time: both work
        await run_workers(workers, first.db)
        ids = [provider_id for _, provider_id in turns.handled]
        assert sorted(ids) == [f"M{n:03d}" for n in range(40)]  # each exactly once
        assert turns.overlaps == []
        for n, address in enumerate(senders):  # one sender's rows in order
            mine = [p for p in ids if int(p[1:]) % 8 == n]
            assert mine == sorted(mine), address
        assert {worker for worker, _ in turns.handled} == {"one", "two"}  # shared
    finally:
        await first.close()
        await second.close()


async def test_an_expired_claim_is_taken_over_and_a_live_one_is_not(app, clock):
    await inbox.store_many(app.db, [Inbound("sms", "+16175550001", "a", provider_id="A"),
                                    Inbound("sms", "+16175550002", "b", provider_id="B")],
                           NOW)
    past, future = (iso(clock() + dt.timedelta(seconds=s)) for s in (-1, 3600))
    await app.db.execute("UPDATE inbox SET claimed_by='dead', claimed_until=?"
                         " WHERE provider_id='A'", (past,))
    await app.db.execute("UPDATE inbox SET claimed_by='alive', claimed_until=?"
                         " WHERE provider_id='B'", (future,))
    turns = Turns(app, {"+16175550001": "a", "+16175550002": "b"})
    app.dialogue = turns.hook("w")
    alive = await Database.open(app.db.path)  # the live worker's instance, present
    await alive.hold_presence("alive")
    worker = InboxWorker(app, Wakeup())
    task = asyncio.create_task(worker.run())
    try:
        for _ in range(300):
            if turns.handled:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        await worker.stop()
        await task
    finally:
        await alive.close()
    assert turns.handled == [("w", "A")]
    pending = await inbox.pending(app.db)
    assert [(r["provider_id"], r["claimed_by"]) for r in pending] == [("B", "alive")]


async def test_a_person_linked_on_sms_and_telegram_never_has_two_turns_at_once(app):
    sms, chat = "+16175550123", "9101"
    texter = await people.get_or_create(app.db, "sms", sms, NOW)
    await people.get_or_create(app.db, "telegram", chat, NOW)
    async with app.db.transaction() as tx:  # linked: one person, two contacts
        await tx.execute("UPDATE contacts SET person_id=? WHERE channel='telegram'"
                         " AND address=?", (texter.person_id, chat))
    await inbox.store_many(app.db, [
        Inbound(*(("sms", sms) if n % 2 else ("telegram", chat)), f"text {n}",
                provider_id=f"L{n:02d}") for n in range(20)], NOW)
    turns = Turns(app, {sms: "them", chat: "them"})
    app.dialogue = turns.hook("w")
    worker = InboxWorker(app, Wakeup(), concurrency=6)
    await run_workers([worker], app.db)
    assert len(turns.handled) == 20
    assert turns.overlaps == []
    assert [p for _, p in turns.handled] == [f"L{n:02d}" for n in range(20)]  # in order


async def test_a_sender_s_next_row_waits_while_another_worker_holds_the_first(app, clock):
    # Two instances read the same pending rows; the other one claimed the sender's first
    # message a moment before: asking for both must not take the second (it would be
    # handled as a first message, at the same time as the real first).
    sender = "+16175550003"
    await inbox.store_many(app.db, [Inbound("sms", sender, "hi", provider_id="first"),
                                    Inbound("sms", sender, "1", provider_id="second")], NOW)
    ids = [row.id for row in await inbox.pending(app.db)]
    now, until = (iso(clock() + dt.timedelta(seconds=s)) for s in (0, 60))
    assert await inbox.claim(app.db, ids[:1], "other", now, until) == {ids[0]}
    assert await inbox.claim(app.db, ids, "me", now, until) == set()
    await app.db.execute("UPDATE inbox SET status='done' WHERE id=?", (ids[0],))
    assert await inbox.claim(app.db, ids, "me", now, until) == {ids[1]}


async def test_a_dead_instance_s_live_claims_are_taken_over_at_once(app, clock):
    # Its lease runs for another hour, but its instance is gone (no presence): kill -9.
    await inbox.store_many(app.db, [Inbound("sms", "+16175550004", "a", provider_id="A")], NOW)
    gone = await Database.open(app.db.path)
    await gone.hold_presence("gone")
    future = iso(clock() + dt.timedelta(seconds=3600))
    await app.db.execute("UPDATE inbox SET claimed_by='gone', claimed_until=?", (future,))
    turns = Turns(app, {"+16175550004": "a"})
    app.dialogue = turns.hook("w")
    worker = InboxWorker(app, Wakeup())
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.3)
        assert turns.handled == []  # present: its claim holds
        await gone.close()
        worker.wakeup.inbox.set()
        for _ in range(300):
            if turns.handled:
                break
            await asyncio.sleep(0.01)
    finally:
        await worker.stop()
        await task
    assert turns.handled == [("w", "A")]

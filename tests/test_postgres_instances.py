"""Two instances on one PostgreSQL database (issue 13): each an App with its SMS webhook,
inbox and outbox workers, in one process here. A burst of signed inbound SMS from many
senders, split between them: every message answered exactly once, in order per sender.
(The SQLite half runs the same on two Apps sharing one file.)"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.app import App
from bot.model import Inbound, Reply
from bot.server import Service
from bot.storage import Database, inbox, outbox
from bot.storage.postgres_engine import PRESENCE_LOCK
from tests.fakes.twilio_api import PUBLIC_URL, FakeTwilio, inbound_params, post_inbound, sms_config
from tests.test_outbox_recovery import sms_extra
from tests.test_server import start_run
from tests.test_sms_channel import NUMBERED_ENGLISH

SENDERS = [f"+1617555{n:04d}" for n in range(300, 316)]
SENDERS_IN_BURST = 48  # the kill -9 test: 96 inbound messages


@asynccontextmanager
async def instance(config, fake: FakeTwilio, clock, **settings: object
                   ) -> AsyncIterator[Service]:
    """An instance with its webhook and workers; ``settings`` as for ``sms_config``."""
    app = await App.create(sms_config(config, fake, **settings), clock=clock)
    service = Service(app, extensions=[])
    try:
        await service.start()
        yield service
    finally:
        await service.stop()
        await app.close()


# Both engines: two instances on one SQLite file once reordered a sender's turns (a
# claim of a sender's rows took the second while another instance held the first).
@pytest.mark.parametrize("storage_engine", ["sqlite", "postgresql"], indirect=True)
async def test_a_burst_split_between_two_instances_is_answered_once_in_order(config, clock):
    async with FakeTwilio() as fake, aiohttp.ClientSession() as session, \
            instance(config, fake, clock) as one, instance(config, fake, clock) as two:
        fake.webhook_base = one.url

        async def converse(n: int, sender: str) -> None:
            # "hi" to one instance, the language choice to the other, without waiting
            # for the greeting: the choice must still be handled after the greeting.
            first, second = (one, two) if n % 2 else (two, one)
            for service, body in ((first, "hi"), (second, "1")):
                status, _ = await post_inbound(session, service.url, PUBLIC_URL,
                                               inbound_params(sender, body),
                                               auth_token=fake.auth_token)
                assert status == 200

        await asyncio.gather(*(converse(n, s) for n, s in enumerate(SENDERS)))
        await fake.wait_for(2 * len(SENDERS), timeout=30)
        await asyncio.sleep(1.0)  # time for a wrong extra copy to show up
        for sender in SENDERS:
            texts = fake.texts_to(sender)
            # each message answered exactly once
            assert len(texts) == 2, (sender, [t[:40] for t in texts])
            assert NUMBERED_ENGLISH.search(texts[0]), texts  # the greeting, then the menu
            assert "Reply 1 for" in texts[1] and not NUMBERED_ENGLISH.search(texts[1]), texts
        handled = await one.app.db.fetchall(
            "SELECT status, COUNT(*) AS n FROM inbox GROUP BY status")
        assert {r["status"]: r["n"] for r in handled} == {"done": 2 * len(SENDERS)}


async def test_two_service_processes_with_one_killed_mid_burst_answer_each_message_once(
        pg_url, tmp_path):
    # Two `casecheck run` processes on one PostgreSQL database; a burst from many senders
    # split between them ("hi" to one, the language choice to the other); one is
    # kill -9ed mid-burst and restarted: every message answered once, in order.
    senders = [f"+1617556{n:04d}" for n in range(SENDERS_IN_BURST)]
    async with FakeTwilio() as fake, aiohttp.ClientSession() as session:
        def config_file(name: str) -> Path:
            path = tmp_path / f"{name}.toml"
            path.write_text(f'[storage]\nurl = "{pg_url}"\n[server]\nhost = "127.0.0.1"\n'
                            f'port = 0\n{sms_extra(fake)}', encoding="utf-8")
            return path

        one, _, url_one = await start_run(config_file("one"))
        two, _, url_two = await start_run(config_file("two"))
        urls = {"one": url_one, "two": url_two}
        fake.webhook_base = url_one
        try:
            async def converse(n: int, sender: str) -> None:
                order = ("one", "two") if n % 2 else ("two", "one")
                for name, body in zip(order, ("hi", "1"), strict=True):
                    for _ in range(200):  # the instance may be down (killed, restarting)
                        try:
                            status, _ = await post_inbound(
                                session, urls[name], PUBLIC_URL, inbound_params(sender, body),
                                auth_token=fake.auth_token)
                        except aiohttp.ClientError:
                            status = 0
                        if status == 200:
                            break
                        await asyncio.sleep(0.05)
                    assert status == 200

            burst = asyncio.gather(*(converse(n, s) for n, s in enumerate(senders)))
            await fake.wait_for(len(senders) // 2, timeout=30)
            two.kill()  # mid-burst: turns and sends of its own in hand
            await two.wait()
            two, _, urls["two"] = await start_run(config_file("two"))
            await burst
            await fake.wait_for(2 * len(senders), timeout=30)
            await asyncio.sleep(1.0)  # time for a wrong extra copy to show up
        finally:
            for proc in (one, two):
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(proc.communicate(), 20)
        for sender in senders:
            texts = fake.texts_to(sender)
            assert len(texts) == 2, (sender, [t[:40] for t in texts])
            assert NUMBERED_ENGLISH.search(texts[0]), texts
            assert "Reply 1 for" in texts[1] and not NUMBERED_ENGLISH.search(texts[1]), texts


async def test_a_row_stored_by_one_instance_wakes_the_other_s_workers(pg_url):
    one, two = await Database.open(pg_url), await Database.open(pg_url)
    try:
        woken = {"inbox": asyncio.Event(), "outbox": asyncio.Event()}
        await two.on_stored("inbox", woken["inbox"].set)
        await two.on_stored("outbox", woken["outbox"].set)
        now = "2026-01-01T00:00:00+00:00"
        await inbox.store(one, Inbound("sms", "+16175550009", "hi", provider_id="N1"), now)
        await asyncio.wait_for(woken["inbox"].wait(), 5)
        assert not woken["outbox"].is_set()
        async with one.transaction() as tx:
            await outbox.enqueue(tx, "sms", "+16175550009", Reply("hello"), now)
        await asyncio.wait_for(woken["outbox"].wait(), 5)
    finally:
        await one.close()
        await two.close()


async def presence_holders(db: Database) -> set[int]:
    """The server pids of the connections holding a presence lock."""
    rows = await db.fetchall(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ?",
        (PRESENCE_LOCK,))
    return {int(row["pid"]) for row in rows}


async def test_presence_lost_while_alive_is_reported_and_a_clean_close_is_not(pg_url):
    watcher, alive, closing = [await Database.open(pg_url) for _ in range(3)]
    lost = {"alive": asyncio.Event(), "closing": asyncio.Event()}
    try:
        alive.on_presence_lost(lost["alive"].set)
        closing.on_presence_lost(lost["closing"].set)
        await alive.hold_presence("w1")
        await closing.hold_presence("w2")
        assert await watcher.absent(["w1", "w2"]) == set()
        await closing.close()
        for pid in await presence_holders(watcher):  # the connection of w1 breaks
            await watcher.fetchone("SELECT pg_terminate_backend(?)", (pid,))
        await asyncio.wait_for(lost["alive"].wait(), 5)
        assert await watcher.absent(["w1", "w2"]) == {"w1", "w2"}
        await asyncio.sleep(0.2)
        assert not lost["closing"].is_set()  # closed on purpose: no loss to report
    finally:
        for db in (watcher, alive, closing):
            await db.close()


async def test_a_service_whose_presence_connection_breaks_restarts_its_workers(
        pg_url, tmp_path):
    # Its claims may be taken by another instance the moment the server frees its
    # presence locks: its workers stop as a crash would and come back with new ones.
    async with FakeTwilio() as fake, aiohttp.ClientSession() as session:
        path = tmp_path / "one.toml"
        path.write_text(f'[storage]\nurl = "{pg_url}"\n[server]\nhost = "127.0.0.1"\n'
                        f'port = 0\n{sms_extra(fake)}', encoding="utf-8")
        proc, _, url = await start_run(path)
        fake.webhook_base = url
        watcher = await Database.open(pg_url)
        try:
            async def text(sender: str, body: str) -> None:
                status, _ = await post_inbound(session, url, PUBLIC_URL,
                                               inbound_params(sender, body),
                                               auth_token=fake.auth_token)
                assert status == 200

            await text("+16175550401", "hi")
            await fake.wait_for(1, timeout=20)
            before = await presence_holders(watcher)
            assert before
            for pid in before:
                await watcher.fetchone("SELECT pg_terminate_backend(?)", (pid,))
            for _ in range(200):
                after = await presence_holders(watcher)
                if after and not after & before:
                    break
                await asyncio.sleep(0.1)
            assert after and not after & before, "the workers did not come back"
            assert proc.returncode is None  # the web process lives on
            await text("+16175550402", "hi")
            await fake.wait_for(2, timeout=20)
            await asyncio.sleep(0.5)
            assert len(fake.texts_to("+16175550402")) == 1
        finally:
            await watcher.close()
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 20)
        log = err.decode()
        assert "claims broke" in log
        assert "5550401" not in log and "5550402" not in log

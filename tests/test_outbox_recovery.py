"""Replies exactly once across a crash: a reply in flight at ``kill -9`` is settled
with the provider after the restart, not lost and not sent twice, and the order
of a person's replies is kept.

Real processes (``casecheck run``, reusing ``tests/test_server``'s harness), the
fake Twilio on 127.0.0.1 holding the send in flight while the service is killed.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.channels.sms import SmsChannel
from bot.model import Reply
from bot.storage import outbox as outbox_store
from bot.web import setup_console
from bot.web import undecided as undecided_page
from bot.workers import LOOKUP_TRIES, OutboxWorker, Wakeup
from tests.conftest import both_engines
from tests.fakes.telegram_api import telegram_rig
from tests.fakes.twilio_api import (
    PUBLIC_URL,
    FakeTwilio,
    inbound_params,
    post_inbound,
    sms_config,
)
from tests.test_server import start_run, write_config
from tests.web_support import csrf_of, post_form, signed_in

pytestmark = both_engines

DANA = "+16175550166"


def sms_extra(fake: FakeTwilio) -> str:
    return (f'[sms]\nenabled = true\naccount_sid = "{fake.account_sid}"\n'
            f'auth_token = "{fake.auth_token}"\nfrom_number = "+16175550100"\n'
            f'public_url = "{PUBLIC_URL}"\napi_base_url = "{fake.url}"\n'
            f'rate_per_second = 100.0\n')


async def wait_until(check, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def kill_mid_send(tmp_path, *, accepted: bool) -> tuple[list[str], list[tuple]]:
    """A person texts "hi"; the greeting's send hangs at Twilio (accepted or not);
    kill -9; restart; the person answers "1"; return what they got and the outbox rows."""
    db = tmp_path / "c.db"
    async with FakeTwilio() as fake, aiohttp.ClientSession() as session:
        config_file = write_config(tmp_path / "c.toml", db, sms_extra(fake))
        proc, _, url = await start_run(config_file)
        try:
            fake.webhook_base = url
            fake.hold_next(1, accept=accepted)
            status, _ = await post_inbound(session, url, PUBLIC_URL, inbound_params(DANA, "hi"))
            assert status == 200
            await wait_until(lambda: fake.held == 1)  # claimed, in flight at the provider
        finally:
            proc.kill()  # SIGKILL between the claim and its result
            await proc.wait()
        assert len(fake.texts_to(DANA)) == (1 if accepted else 0)
        proc, _, url = await start_run(config_file)
        try:
            fake.webhook_base = url
            # The person answers; its reply must come after the interrupted greeting.
            status, _ = await post_inbound(session, url, PUBLIC_URL, inbound_params(DANA, "1"))
            assert status == 200
            await fake.wait_for(2, timeout=10)
            await asyncio.sleep(1.0)  # time for a wrong second copy to show up
            await fake.settle()
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.communicate(), 20)
        texts = fake.texts_to(DANA)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT status, error_code, provider_id FROM outbox"
                            " ORDER BY id").fetchall()
    return texts, rows


async def test_a_reply_twilio_accepted_before_the_kill_is_not_sent_again(tmp_path):
    texts, rows = await kill_mid_send(tmp_path, accepted=True)
    assert len(texts) == 2 and len(set(texts)) == 2
    assert "checks if your case" in texts[0]  # the order is kept: greeting, then menu
    # Settled with the SID Twilio gave ('sent', or 'delivered' if its callbacks were kept).
    assert [r[0] in ("sent", "delivered") and r[1] is None for r in rows] == [True, True]
    assert rows[0][2] == "SM" + "1".zfill(32)


async def test_a_reply_twilio_never_got_is_sent_after_the_restart(tmp_path):
    texts, rows = await kill_mid_send(tmp_path, accepted=False)
    assert len(texts) == 2 and len(set(texts)) == 2
    assert "checks if your case" in texts[0]
    assert [r[0] for r in rows] == ["delivered", "delivered"]


async def leave_in_flight(app: App, channel: str, address: str, bodies: list[str]) -> None:
    """What a crash leaves: replies queued, the first claimed and never recorded."""
    now = app.clock().isoformat()
    async with app.db.transaction() as conn:
        for body in bodies:
            await outbox_store.enqueue(conn, channel, address, Reply(body), now)
    claimed = await outbox_store.claim_due(app.db, channel, now, 10)
    assert [r["body"] for r in claimed] == bodies[:1]


async def test_telegram_replies_in_flight_are_sent_again_in_order(config, clock):
    app = await App.create(config, clock=clock)
    try:
        await leave_in_flight(app, "telegram", "5101", ["first", "second"])
    finally:
        await app.close()
    async with telegram_rig(config, clock=clock) as rig:
        await rig.fake.wait_sent(2, chat_id=5101)
        await rig.idle()
        sent = [s.text for s in rig.fake.sent_to(5101)]
    assert sent == ["first", "second"]


async def test_what_twilio_cannot_tell_goes_to_staff_and_holds_nothing_back(config, clock):
    async with FakeTwilio() as fake:
        app = await App.create(sms_config(config, fake), clock=clock)
        channel = SmsChannel(app)
        worker = OutboxWorker(app, [channel], Wakeup(), reconcile_seconds=0.01)
        try:
            await leave_in_flight(app, "sms", DANA, ["first", "second"])
            fake.fail_list_next(500, times=LOOKUP_TRIES)  # Twilio cannot be asked, 5 times
            await channel.start()
            task = asyncio.create_task(worker.run())
            await fake.wait_for(1)
            await asyncio.sleep(0.3)
            undecided = await outbox_store.undecided(app.db)
            await worker.stop()
            await task
        finally:
            await channel.stop()
            await app.close()
        texts = fake.texts_to(DANA)
    assert texts == ["second"]  # the later reply is not held back for ever
    assert [r["body"] for r in undecided] == ["first"]


async def test_an_interrupted_reply_holds_back_the_later_ones_until_settled(config, clock):
    async with FakeTwilio() as fake:
        app = await App.create(sms_config(config, fake), clock=clock)
        channel = SmsChannel(app)
        worker = OutboxWorker(app, [channel], Wakeup(), reconcile_seconds=0.2)
        try:
            await leave_in_flight(app, "sms", DANA, ["first", "second", "third"])
            fake.fail_list_next(500, times=2)  # asked at start and once more: then it answers
            await channel.start()
            task = asyncio.create_task(worker.run())
            await fake.wait_for(3)
            await worker.stop()
            await task
        finally:
            await channel.stop()
            await app.close()
        texts = fake.texts_to(DANA)
    assert texts == ["first", "second", "third"]


async def test_staff_see_an_undecided_reply_and_send_it_again_with_one_click(config, clock):
    async with FakeTwilio() as fake:
        app = await App.create(sms_config(config, fake), clock=clock)
        channel = SmsChannel(app)
        wakeup = Wakeup()
        worker = OutboxWorker(app, [channel], wakeup, reconcile_seconds=0.01)
        web_app = web.Application()
        setup_console(app, web_app)
        undecided_page.setup(app, web_app)
        client = TestClient(TestServer(web_app, host="127.0.0.1"))
        await client.start_server()
        task = None
        try:
            await leave_in_flight(app, "sms", DANA, ["first", "second"])
            fake.fail_list_next(500, times=LOOKUP_TRIES)
            await channel.start()
            task = asyncio.create_task(worker.run())
            await fake.wait_for(1)
            await signed_in(app, client, "advocate@example.org", "advocate")
            forbidden = await client.get("/console/undecided")
            await client.post("/console/logout", data={"csrf": csrf_of(
                await (await client.get("/console/")).text())})
            await signed_in(app, client, "staff@example.org", "staff")
            home = await (await client.get("/console/")).text()
            page = await (await client.get("/console/undecided")).text()
            row = (await outbox_store.undecided(app.db))[0]
            resent = await post_form(client, f"/console/undecided/{row['id']}/resend",
                                     page="/console/undecided")
            done = await (await client.get(resent.headers["Location"])).text()
            wakeup.outbox.set()
            await fake.wait_for(2)
            again = await post_form(client, f"/console/undecided/{row['id']}/resend",
                                    page="/console/undecided")
            audit = await app.db.fetchone("SELECT actor FROM audit WHERE action='reply_resent'")
            after = await (await client.get("/console/undecided")).text()
        finally:
            if task is not None:
                await worker.stop()
                await task
            await client.close()
            await channel.stop()
            await app.close()
        texts = fake.texts_to(DANA)
    assert forbidden.status == 403
    assert "Undecided replies" in home
    assert "first" in page and "Send again" in page and "second" not in page
    assert resent.status == 303 and "It is on its way again." in done
    assert again.headers["Location"].endswith("done=decided")
    assert texts == ["second", "first"]
    assert audit["actor"].startswith("staff:")
    assert "No reply is waiting for a decision." in after


async def test_an_instance_starting_mid_send_leaves_the_other_s_rows_until_it_dies(config,
                                                                                 clock):
    # Two instances on one database: the first has a reply in flight at Twilio (accepted,
    # no answer yet) when the second starts. The second must not take it as interrupted
    # (it would ask Twilio, or send it again, while the first still may record it); once
    # the first is gone, the second settles it: found at Twilio, never sent twice.
    async with FakeTwilio() as fake:
        sms = sms_config(config, fake)
        one, two = await App.create(sms, clock=clock), await App.create(sms, clock=clock)
        ch_one, ch_two = SmsChannel(one), SmsChannel(two)
        w_one = OutboxWorker(one, [ch_one], Wakeup())
        w_two = OutboxWorker(two, [ch_two], Wakeup(), peers_seconds=0.05)
        tasks = []
        try:
            fake.hold_next(1, accept=True)
            async with one.db.transaction() as conn:
                await outbox_store.enqueue(conn, "sms", DANA, Reply("first"),
                                           clock().isoformat())
            await ch_one.start()
            tasks.append(asyncio.create_task(w_one.run()))
            await wait_until(lambda: fake.held == 1)
            await ch_two.start()
            tasks.append(asyncio.create_task(w_two.run()))
            await asyncio.sleep(0.5)  # the second's start and several looks for dead rows
            rows = await two.db.fetchall("SELECT status, claimed_by FROM outbox")
            assert [(r["status"], r["claimed_by"]) for r in rows] == [
                ("sending", w_one.worker_id)]
            # The first instance dies with the send in hand (its database connections
            # and presence lock go, as at kill -9; nothing is recorded).
            tasks.pop(0).cancel()
            await w_one.stop(timeout=0.01)
            await ch_one.stop()
            await one.close()
            for _ in range(300):
                row = await two.db.fetchone("SELECT status, claimed_by FROM outbox")
                if row is not None and row["status"] not in ("sending", "unknown"):
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # time for a wrong second copy to show up
            assert row is not None and row["status"] in ("sent", "delivered")
            assert row["claimed_by"] == w_two.worker_id  # settled by the survivor
        finally:
            await w_two.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await ch_two.stop()
            await two.close()
            await one.close()
    assert fake.texts_to(DANA) == ["first"]

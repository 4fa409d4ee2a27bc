"""SMS inbound oddities (MMS, empty, huge, undecodable), MORE, and crash recovery."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bot.app import App
from bot.channels.sms import SmsChannel
from bot.channels.sms_render import segments
from bot.model import Reply
from bot.server import Service, build_web_app
from bot.storage import outbox as outbox_store
from bot.workers import InboxWorker, OutboxWorker, Wakeup
from tests.fakes.twilio_api import (
    PUBLIC_URL,
    FakeTwilio,
    inbound_params,
    post_inbound,
    sms_config,
    sms_rig,
)
from tests.test_sms_render import VIETNAMESE

BOB = "+16175550142"
MORE_HINT = "\nReply MORE for the rest."


async def test_mms_gets_a_text_only_answer_without_the_dialogue(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        texts = await rig.texts_after(BOB, "", 1, num_media=1)
        await rig.idle()
        assert texts == ["Sorry, we can only read text messages. Please type your answer."]
        assert len(rig.fake.texts_to(BOB)) == 1  # no greeting: the dialogue did not run
        row = await rig.app.db.fetchone("SELECT status FROM inbox")
        assert row["status"] == "done"


async def test_mms_with_words_gets_the_notice_and_the_words_are_answered(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        texts = await rig.texts_after(BOB, "hello", 2, num_media=2)
    assert texts[0].startswith("Sorry, we can only read text")
    assert "checks if your case was affected" in texts[1]


async def test_empty_and_huge_messages_get_clear_answers(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        await rig.texts_after(BOB, "hi", 1)
        await rig.idle()
        empty = await rig.texts_after(BOB, "   ", 1)
        await rig.idle()
        huge = await rig.texts_after(BOB, "x" * 5000, 1)
        await rig.idle()
        stored = await rig.app.db.fetchone("SELECT MAX(LENGTH(body)) FROM inbox")
        # The worker is still alive: a normal message is answered.
        menu = await rig.texts_after(BOB, "1", 1)
    assert empty[0] and "words" in empty[0]
    assert huge[0] and "too long" in huge[0]
    assert stored[0] == 1601  # past the limit the text is not kept
    assert menu[0]


async def test_undecodable_body_gets_a_clear_answer(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        params = inbound_params(BOB, "\ufffd\ufffd")  # what the bytes decode to
        raw = urlencode({**params, "Body": "@@"}).replace("%40%40", "%FF%FE").encode()
        status, _ = await post_inbound(rig.session, rig.service.url, PUBLIC_URL, params,
                                       raw_body=raw)
        assert status == 200
        texts = await rig.wait_texts(BOB, 1)
    assert texts == ["Sorry, we could not read your message. Please type it again."]


async def test_a_form_without_sender_is_a_bad_request(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        params = {k: v for k, v in inbound_params(BOB, "hi").items() if k != "From"}
        assert (await post_inbound(rig.session, rig.service.url, PUBLIC_URL, params))[0] == 400


async def queue(app: App, address: str, text: str) -> None:
    async with app.db.transaction() as conn:
        await outbox_store.enqueue(conn, "sms", address, Reply(text), "2026-01-01T00:00:00+00:00",
                                   kind="staff")


async def test_long_ucs2_reply_is_split_and_more_sends_the_rest(config, clock):
    text = (VIETNAMESE * 5).strip()
    async with sms_rig(config, clock=clock) as rig:
        await queue(rig.app, BOB, text)
        rig.service.wakeup.outbox.set()
        parts = await rig.wait_texts(BOB, 1)
        while parts[-1].endswith(MORE_HINT):
            assert len(parts) < 20
            parts = [*parts[:-1], *await rig.texts_after(BOB, "more!", 1)]
            parts = rig.fake.texts_to(BOB)
        await rig.idle()
        # MORE with nothing waiting goes to the dialogue (here: the greeting).
        after = await rig.texts_after(BOB, "MORE", 1)
    assert len(parts) >= 3
    assert all(segments(p) <= 3 for p in parts)
    assert " ".join(p.removesuffix(MORE_HINT) for p in parts).split() == text.split()
    assert "checks if your case" in after[0]


async def test_a_new_message_instead_of_more_drops_the_rest(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        await rig.texts_after(BOB, "hi", 1)
        await rig.texts_after(BOB, "1", 1)  # English; from here on, short menus
        await rig.idle()
        await queue(rig.app, BOB, (VIETNAMESE * 5).strip())
        rig.service.wakeup.outbox.set()
        first = await rig.wait_texts(BOB, 3)
        assert first[-1].endswith(MORE_HINT)
        await rig.idle()
        assert await rig.app.db.fetchone("SELECT 1 FROM outbox WHERE more IS NOT NULL")
        await rig.texts_after(BOB, "menu", 1)
        await rig.idle()
        assert not await rig.app.db.fetchone("SELECT 1 FROM outbox WHERE more IS NOT NULL")
        assert not rig.fake.texts_to(BOB)[-1].endswith(MORE_HINT)


async def test_crash_between_acknowledgement_and_reply_answers_once(config, clock):
    """The webhook is acknowledged, then the process dies before any worker ran;
    the next start answers the stored message exactly once."""
    async with FakeTwilio() as fake:
        cfg = sms_config(config, fake)
        app = await App.create(cfg, clock=clock)
        channel = SmsChannel(app)
        # The web part only, no workers: acknowledged, then nothing else happens.
        runner = web.AppRunner(build_web_app(app, [channel], extensions=[]))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        async with aiohttp.ClientSession() as session:
            status, _ = await post_inbound(session, url, PUBLIC_URL, inbound_params(BOB, "hi"))
        assert status == 200
        await runner.cleanup()
        await app.close()  # "crash": nothing was answered
        assert fake.messages == []

        for _ in range(2):  # restart twice: the second start must send nothing more
            app = await App.create(cfg, clock=clock)
            service = Service(app, extensions=[])
            await service.start()
            try:
                await fake.wait_for(1)
                await asyncio.sleep(0.3)
            finally:
                await service.stop()
                await app.close()
        assert len(fake.texts_to(BOB)) == 1  # the greeting is one SMS


async def test_a_failing_handler_is_retried_then_apologised_for(config, clock):
    async with FakeTwilio() as fake:
        app = await App.create(sms_config(config, fake), clock=clock)
        try:
            calls = []

            class Broken:
                async def handle(self, inbound, *, inbox_id=None):
                    calls.append(inbox_id)
                    raise RuntimeError("a bug that must not kill the worker")

            app.dialogue = Broken()

            from bot.model import Inbound
            from bot.storage import inbox as inbox_store

            await inbox_store.store(app.db, Inbound("sms", BOB, "hi", provider_id="SM1"), "t")
            worker = InboxWorker(app, Wakeup(), max_attempts=3,
                                 retry_delay=0.0)
            task = asyncio.create_task(worker.run())
            for _ in range(200):
                row = await app.db.fetchone("SELECT status, attempts FROM inbox")
                if row["status"] != "pending":
                    break
                await asyncio.sleep(0.02)
            await worker.stop()
            await task
            queued = await outbox_store.for_address(app.db, "sms", BOB)
        finally:
            await app.close()
    assert len(calls) == 3
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert [r["body"] for r in queued] == [
        "Sorry, something went wrong. A person will look at it and reply."]


async def test_more_after_a_restart_sends_the_next_part(config, clock):
    """The rest lives on the outbox row, not in the process: a new app on the same
    database file answers MORE with the next part."""
    text = (VIETNAMESE * 5).strip()
    fake = FakeTwilio()
    async with sms_rig(config, clock=clock, fake=fake) as rig:
        await queue(rig.app, BOB, text)
        rig.service.wakeup.outbox.set()
        first = await rig.wait_texts(BOB, 1)
        await rig.idle()
    assert first[0].endswith(MORE_HINT)
    async with sms_rig(config, clock=clock, fake=fake) as rig:
        second = await rig.texts_after(BOB, "MORE", 1)
        transcript = await rig.app.db.fetchall("SELECT body FROM messages")
    assert second[-1] != first[0] and second[-1].split()[0] in text
    assert " ".join(first[0].removesuffix(MORE_HINT).split()) in " ".join(text.split())
    assert transcript == []  # MORE and the rest add nothing: the reply is there whole


async def test_a_crash_between_the_send_and_its_record_keeps_the_rest(config, clock):
    """Twilio accepted the first part, then the process died before the result was
    written: after the restart the row is found at Twilio (not sent twice) and MORE
    still gives the next part."""
    text = (VIETNAMESE * 5).strip()
    fake = await FakeTwilio().start()
    app = await App.create(sms_config(config, fake), clock=clock)
    channel = SmsChannel(app)
    await channel.start()
    try:
        await queue(app, BOB, text)
        [row] = await outbox_store.claim_due(app.db, "sms", clock().isoformat(), 10)
        result = await channel.send(OutboxWorker._message(row))
    finally:
        await channel.stop()
        await app.close()  # "crash": the result was never recorded
        await fake.stop()
    assert result.outcome == "sent" and result.more
    first = fake.texts_to(BOB)
    async with sms_rig(config, clock=clock, fake=fake) as rig:
        await rig.idle()
        assert fake.texts_to(BOB) == first  # found at Twilio, not sent again
        second = await rig.texts_after(BOB, "MORE", 1)
    words = second[-1].removesuffix(MORE_HINT).split()
    assert words == result.more.split()[:len(words)]  # the next part, where the first ended

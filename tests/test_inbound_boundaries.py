"""Every inbound boundary cleans what it stores and refuses what it cannot read.

Over real HTTP: signed Twilio webhooks and Telegram webhook updates against the
running service and the fake providers; ``casecheck chat --json`` as a process.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import aiohttp
import pytest

from bot.model import Inbound
from bot.storage import inbox as inbox_store
from bot.workers import Batcher
from tests.fakes.telegram_api import SECRET, telegram_rig
from tests.fakes.twilio_api import inbound_params, sms_rig

ALICE = 5101
BOB = "+16175550142"


async def stored_bodies(app) -> list[str]:
    return [r["body"] for r in await app.db.fetchall("SELECT body FROM inbox ORDER BY id")]


async def test_a_poisoned_update_beside_30_normal_ones_fails_none_of_them(config, clock):
    async with telegram_rig(config, clock=clock, mode="webhook") as rig:
        normal = [rig.fake.message_update(6000 + i, "/start") for i in range(30)]
        poisoned = rig.fake.message_update(ALICE, "hi \ud800 there\x00\x07")
        updates = normal[:15] + [poisoned] + normal[15:]
        statuses = await asyncio.gather(*(rig.deliver(u) for u in updates))
        await rig.idle()
        bodies = await stored_bodies(rig.app)
        answered = {s.chat_id for s in rig.fake.sent}
    assert statuses == [200] * 31
    assert len(bodies) == 31
    assert "hi \ufffd there" in bodies
    assert answered >= {6000 + i for i in range(30)} | {ALICE}


async def test_huge_or_deeply_nested_updates_get_400_and_store_nothing(config, clock):
    async with telegram_rig(config, clock=clock, mode="webhook") as rig:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET,
                   "Content-Type": "application/json"}
        nested = b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        big = json.dumps(rig.fake.message_update(ALICE, "x" * 300_000)).encode()
        async with aiohttp.ClientSession() as session:
            for body in (nested, big, b"[" * 100_000, b'"\\ud800"', b"123"):
                async with session.post(rig.webhook, data=body, headers=headers) as resp:
                    assert resp.status == 400, body[:40]
            # The service is fine: a normal update beside them is answered.
            sent = await rig.turn(ALICE, "/start")
        bodies = await stored_bodies(rig.app)
    assert bodies == ["/start"]
    assert sent


async def test_sms_control_characters_are_dropped_and_a_huge_form_refused(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        texts = await rig.texts_after(BOB, "hi\x00\x1b[31m\r\nthere\u200d", 1)
        huge = inbound_params(BOB, "y" * 200_000)
        status, _ = await rig.text(BOB, "y" * 200_000, sid=huge["MessageSid"])
        await rig.idle()
        bodies = await stored_bodies(rig.app)
    assert texts
    assert status == 400
    assert bodies == ["hi[31m\nthere\u200d"]


async def test_a_batched_insert_meeting_one_bad_row_stores_the_good_ones(app):
    """Below the webhooks (which clean text first): the group commit itself keeps
    the good rows when one row cannot be written, and fails only its submitter."""
    batcher: Batcher[Inbound, int | None] = Batcher(
        lambda rows: inbox_store.store_many(app.db, rows, "2026-11-25T15:00:00+00:00"))
    rows = [Inbound("sms", f"+1617555{i:04d}", "hello", provider_id=f"SM{i}")
            for i in range(20)]
    rows.insert(7, Inbound("sms", "+16175559999", "bad \ud800", provider_id="SMbad"))
    results = await asyncio.gather(*(batcher.submit(r) for r in rows),
                                   return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    stored = await app.db.fetchall("SELECT provider_id FROM inbox")
    assert len(failed) == 1 and isinstance(results[7], UnicodeEncodeError)
    assert len(stored) == 20 and "SMbad" not in {r["provider_id"] for r in stored}


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "\x00\x1b\x7f", "\ud83d"])
def test_chat_json_survives_lone_surrogates_and_control_characters(db_path, text):
    lines = json.dumps({"text": "hi"}) + "\n" + json.dumps({"text": text}) + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--json", "--db", str(db_path)],
        input=lines.encode(), capture_output=True, timeout=60, check=False)
    out = done.stdout.decode("utf-8").splitlines()
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert len(out) == 2
    assert all(json.loads(line)["replies"] for line in out)


def test_chat_json_answers_a_bad_line_and_goes_on(db_path):
    lines = ("[" * 100_000 + "\n" + "{\"text\": 5}\n" + "[1]\n"
             + json.dumps({"text": "hi"}) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--json", "--db", str(db_path)],
        input=lines.encode(), capture_output=True, timeout=60, check=False)
    out = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert [("error" in o) for o in out] == [True, True, True, False]
    assert out[-1]["replies"]


async def test_a_polled_update_with_a_lone_surrogate_is_stored_clean_and_answered(config,
                                                                                  clock):
    async with telegram_rig(config, clock=clock) as rig:  # polling mode
        sent = await rig.turn(ALICE, "hola \ud800\x00")
        bodies = await stored_bodies(rig.app)
    assert bodies == ["hola \ufffd"]
    assert sent


async def test_updates_with_fields_of_the_wrong_type_get_400(config, clock):
    """Found by the webhook fuzzer: JSON that PTB accepts but whose text (or chat id)
    is not what it must be made the webhook answer 500, which Telegram retries."""
    async with telegram_rig(config, clock=clock, mode="webhook") as rig:
        statuses = []
        for field, value in (("text", True), ("text", ["a"]), ("text", {"x": 1}),
                             ("chat", {"id": "abc", "type": "private"}),
                             ("caption", 5)):
            update = rig.fake.message_update(ALICE, "hi")
            if field == "caption":
                del update["message"]["text"]
            update["message"][field] = value
            statuses.append(await rig.deliver(update))
        sent = await rig.turn(ALICE, "/start")
        bodies = await stored_bodies(rig.app)
    assert statuses == [400] * 5
    assert bodies == ["/start"] and sent

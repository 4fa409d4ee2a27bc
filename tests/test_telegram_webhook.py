"""The Telegram channel in webhook mode, on the service's own aiohttp server."""

from __future__ import annotations

import aiohttp

from tests.fakes.telegram_api import SECRET, WEBHOOK_URL, telegram_rig

ALICE = 5101


async def inbox_count(app) -> int:
    row = await app.db.fetchone("SELECT COUNT(*) FROM inbox")
    return row[0]


async def test_start_sets_the_webhook_with_its_secret(config, clock):
    async with telegram_rig(config, clock=clock, mode="webhook") as rig:
        assert rig.fake.webhook["url"] == WEBHOOK_URL
        assert rig.fake.webhook["secret_token"] == SECRET
        assert set(rig.fake.webhook["allowed_updates"]) >= {"message", "callback_query"}
        assert not rig.fake.calls_of("getUpdates")  # no polling beside the webhook


async def test_a_webhook_with_the_secret_is_stored_and_answered(config, clock):
    async with telegram_rig(config, clock=clock, mode="webhook") as rig:
        sent = await rig.turn(ALICE, "/start")
        assert "checks if your case was affected" in sent[0].text
        assert sent[-1].keys


async def test_wrong_or_missing_secret_gets_403_and_stores_nothing(config, clock):
    async with telegram_rig(config, clock=clock, mode="webhook") as rig:
        update = rig.fake.message_update(ALICE, "/start")
        assert await rig.deliver(update, secret="not-the-secret") == 403
        assert await rig.deliver(update, secret=SECRET + "x") == 403
        assert await rig.deliver(update, secret="") == 403
        assert await rig.deliver(update, secret=None) == 403
        await rig.idle()
        assert await inbox_count(rig.app) == 0
        assert rig.fake.sent == []


async def test_malformed_bodies_get_400_and_store_nothing(config, clock):
    async with telegram_rig(config, clock=clock, mode="webhook") as rig:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with aiohttp.ClientSession() as session:
            for body in (b"not json", b"[]", b'{"message": {}}', b"\xff\xfe"):
                async with session.post(rig.webhook, data=body, headers=headers) as resp:
                    assert resp.status == 400, body
        await rig.idle()
        assert await inbox_count(rig.app) == 0


async def test_an_update_without_a_message_is_acknowledged_and_ignored(config, clock):
    async with telegram_rig(config, clock=clock, mode="webhook") as rig:
        group = rig.fake.message_update(-100777, "/start", chat_type="group")
        assert await rig.deliver(group) == 200
        assert await rig.deliver({"update_id": 999_999}) == 200
        await rig.idle()
        assert await inbox_count(rig.app) == 0
        assert rig.fake.sent == []

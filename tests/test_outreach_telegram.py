"""Campaigns on Telegram: the real python-telegram-bot against the fake Bot API server."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import App
from bot.clock import iso
from bot.outreach import campaigns
from bot.outreach.sender import Sender
from bot.storage import cases as cases_store
from bot.storage import optouts, people
from bot.storage import outreach as store
from bot.storage.telegram import is_unreachable
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.test_outreach_support import MovingClock, import_cases, outreach_config, phone

TOKEN = "123456:TEST-token"


@pytest.fixture
async def app(config: Any, tmp_path: Any) -> AsyncIterator[tuple[App, FakeTwilio, FakeTelegram]]:
    async with FakeTwilio() as twilio, FakeTelegram(token=TOKEN) as telegram:
        cfg = outreach_config(config, twilio, **{"telegram.token": TOKEN,
                                                 "telegram.base_url": telegram.base_url})
        application = await App.create(cfg, clock=MovingClock())
        await import_cases(application.db, tmp_path, 12)
        try:
            yield application, twilio, telegram
        finally:
            await application.close()


async def link_telegram(app: App, i: int, chat_id: int) -> None:
    """The person of case ``i`` verified themselves on Telegram (as the dialogue records it)."""
    case = (await cases_store.by_docket(app.db, f"{i % 90 + 10:02d}01CR{i:06d}"))[0]
    now = iso(app.clock())
    state = await people.get_or_create(app.db, "telegram", str(chat_id), now)
    async with app.db.transaction() as conn:
        await people.set_verified_case(conn, state.person_id, case["id"], now)


async def run(app: App, channel: str) -> int:
    draft = campaigns.validate(app, name="tg", channel=channel)
    campaign_id = await campaigns.create(app, draft, "test")
    await campaigns.launch(app, campaign_id, "test")
    sender = Sender(app)
    try:
        assert await sender.run_campaign(campaign_id) == "done"
    finally:
        await sender.close()
    return campaign_id


async def test_any_channel_prefers_telegram_and_reaches_nobody_twice(app):
    application, twilio, telegram = app
    await link_telegram(application, 0, 9000)
    await link_telegram(application, 1, 9001)  # a Spanish speaker
    await link_telegram(application, 2, 9002)
    async with application.db.transaction() as conn:
        await optouts.opt_out(conn, "telegram", "9002", "stop", iso(application.clock()))
    telegram.fail_next("sendMessage", 429, retry_after=1)
    campaign_id = await run(application, "any")
    by_chat = Counter(s.chat_id for s in telegram.sent)
    assert by_chat == {9000: 1, 9001: 1}
    assert "tiene noticias" in telegram.sent_to(9001)[0].text
    sms = Counter(m.to for m in twilio.messages)
    assert set(sms.values()) == {1}
    assert phone(0) not in sms and phone(1) not in sms  # reached on Telegram instead
    assert phone(2) in sms  # the Telegram chat opted out; the phone did not
    assert len(sms) == 10
    counts = await store.progress(application.db, campaign_id)
    assert counts["sent"] == 12 and counts["queued"] == 0


async def test_a_person_who_blocked_the_bot_is_marked_unreachable(app):
    application, _twilio, telegram = app
    await link_telegram(application, 3, 9003)
    telegram.fail_next("sendMessage", 403, chat_id=9003)
    campaign_id = await run(application, "telegram")
    row = await application.db.fetchone(
        "SELECT state, reason FROM outreach_recipients WHERE campaign_id=?", (campaign_id,))
    assert tuple(row) == ("skipped", "unreachable")
    assert await is_unreachable(application.db, "9003")
    assert telegram.sent == []

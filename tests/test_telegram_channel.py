"""The Telegram channel in polling mode: the real python-telegram-bot against a fake Bot API."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.channels.telegram import TelegramChannel
from bot.clock import iso
from bot.config import ConfigError
from bot.model import Reply
from bot.storage import outbox as outbox_store
from tests.fakes.telegram_api import telegram_rig

ALICE = 4201
BOB = 4202


async def outbox_rows(app, chat_id: int) -> list[tuple[str, str | None]]:
    rows = await outbox_store.for_address(app.db, "telegram", str(chat_id))
    return [(r["status"], r["error_code"]) for r in rows]


async def test_start_without_a_language_greets_with_a_language_keyboard(config, clock):
    async with telegram_rig(config, clock=clock) as rig:
        sent = await rig.turn(ALICE, "/start", language_code=None)
        assert "checks if your case was affected" in sent[0].text
        assert sent[-1].keys and "English" in sent[-1].labels
        # Start-up registered the command menu in every language, and polled.
        assert set(rig.fake.commands) >= {None, "en", "es"}
        assert {c["command"] for c in rig.fake.commands["es"]} == {
            "start", "help", "language", "lawyer", "stop"}
        assert rig.fake.calls_of("deleteWebhook") and rig.fake.calls_of("getUpdates")
        assert all(status == "sent" for status, _ in await outbox_rows(rig.app, ALICE))


async def test_a_button_press_is_answered_and_continues_the_dialogue(config, clock):
    async with telegram_rig(config, clock=clock) as rig:
        sent = await rig.turn(ALICE, "/start", language_code=None)
        menu = sent[-1]
        spanish = menu.keys[menu.labels.index("Español")]
        after = await rig.turn(ALICE, press=spanish)
        assert after, "no answer to the button"
        assert rig.fake.callback_answers  # the spinner stopped
        await rig.fake.wait_calls("editMessageReplyMarkup")
        edit = rig.fake.calls_of("editMessageReplyMarkup")[-1]
        assert edit["message_id"] == menu.message_id  # the old keyboard is taken away
        row = await rig.app.db.fetchone("SELECT locale, locale_chosen FROM people")
        assert (row["locale"], row["locale_chosen"]) == ("es", 1)


async def test_typed_answers_work_like_buttons(config, clock):
    async with telegram_rig(config, clock=clock) as rig:
        sent = await rig.turn(ALICE, "/start", language_code=None)
        key = sent[-1].keys[sent[-1].labels.index("Español")]
        await rig.turn(ALICE, key)
        row = await rig.app.db.fetchone("SELECT locale FROM people")
        assert row["locale"] == "es"


async def test_group_messages_are_ignored(config, clock):
    async with telegram_rig(config, clock=clock) as rig:
        group = rig.fake.message_update(-100555, "/start", chat_type="supergroup")
        await rig.deliver(group)
        await rig.turn(ALICE, "/start")  # handled after the group message
        rows = await rig.app.db.fetchall("SELECT address FROM inbox")
        assert [r["address"] for r in rows] == [str(ALICE)]
        assert rig.fake.sent_to(-100555) == []
        assert await rig.app.db.fetchone("SELECT 1 FROM contacts WHERE address='-100555'") is None


async def test_the_same_update_twice_is_answered_once(config, clock):
    async with telegram_rig(config, clock=clock, mode="webhook") as rig:
        update = rig.fake.message_update(ALICE, "/start")
        assert await rig.deliver(update) == 200
        assert await rig.deliver(update) == 200
        await rig.handled(update["update_id"])
        await rig.idle()
        texts = [s.text for s in rig.fake.sent_to(ALICE)]
        assert len(texts) == len(set(texts)) and texts
        count = await rig.app.db.fetchone("SELECT COUNT(*) FROM inbox")
        assert count[0] == 1


async def test_flood_limit_429_waits_then_sends_once(config, clock):
    async with telegram_rig(config, clock=clock) as rig:
        rig.fake.fail_next("sendMessage", 429, chat_id=ALICE, retry_after=7)
        update = rig.fake.message_update(ALICE, "/start")
        await rig.deliver(update)
        await rig.handled(update["update_id"])
        await rig.fake.wait_calls("sendMessage", 1)
        await asyncio.sleep(0.2)
        assert rig.fake.sent_to(ALICE) == []  # refused, and not tried again yet
        row = await rig.app.db.fetchone(
            "SELECT status, error_code, next_attempt_at FROM outbox ORDER BY id LIMIT 1")
        assert (row["status"], row["error_code"]) == ("pending", "429")
        waited = (dt.datetime.fromisoformat(row["next_attempt_at"]) - clock()).total_seconds()
        assert waited >= 7
        clock.advance(seconds=8)
        rig.service.wakeup.outbox.set()
        sent = await rig.fake.wait_sent(1, ALICE)
        await rig.idle()
        assert len(rig.fake.sent_to(ALICE)) == 1  # the welcome and the menu, as one message
        assert "checks if your case was affected" in sent[0].text
        assert [s for s, _ in await outbox_rows(rig.app, ALICE)] == ["sent"]


async def test_a_blocked_bot_marks_the_chat_unreachable_and_stops_sending(config, clock):
    async with telegram_rig(config, clock=clock) as rig:
        await rig.turn(ALICE, "/start")
        rig.fake.fail_next("sendMessage", 403, chat_id=ALICE, times=10)
        calls = len(rig.fake.calls_of("sendMessage"))
        await rig.turn(ALICE, "1")
        contact = await rig.app.db.fetchone(
            "SELECT unreachable FROM contacts WHERE channel='telegram' AND address=?",
            (str(ALICE),))
        assert contact["unreachable"] == 1
        assert len(rig.fake.calls_of("sendMessage")) == calls + 1
        assert ("failed", "403") in await outbox_rows(rig.app, ALICE)
        # Later messages (a staff reply, an outreach) are not even tried.
        async with rig.app.db.transaction() as conn:
            await outbox_store.enqueue(conn, "telegram", str(ALICE), Reply("Staff here."),
                                       iso(clock()), kind="staff")
        rig.service.wakeup.outbox.set()
        await rig.idle()
        assert len(rig.fake.calls_of("sendMessage")) == calls + 1
        assert (await outbox_rows(rig.app, ALICE))[-1] == ("failed", "unreachable")


async def test_writing_again_after_unblocking_makes_the_chat_reachable(config, clock):
    async with telegram_rig(config, clock=clock) as rig:
        await rig.turn(ALICE, "/start")
        await rig.app.db.execute("UPDATE contacts SET unreachable=1")
        sent = await rig.turn(ALICE, "/start")
        assert sent
        row = await rig.app.db.fetchone("SELECT unreachable FROM contacts")
        assert row["unreachable"] == 0


async def test_replies_to_one_chat_are_at_least_a_second_apart(config, clock):
    async with telegram_rig(config, clock=clock, chat_gap=1.0,
                            **{"telegram.rate_per_second": 30.0}) as rig:
        await asyncio.gather(rig.turn(ALICE, "/start"), rig.turn(BOB, "/start"))
        # The first turn is one message (welcome and menu); "hi" at the menu is two.
        await asyncio.gather(rig.turn(ALICE, "hi"), rig.turn(BOB, "hi"))
        for chat in (ALICE, BOB):
            sent = rig.fake.sent_to(chat)
            assert len(sent) >= 3
            gaps = [b.at - a.at for a, b in zip(sent, sent[1:], strict=False)]
            assert min(gaps) >= 1.0, gaps
        every = sorted(s.at for s in rig.fake.sent)
        assert every[1] - every[0] < 0.5  # two chats need not wait for each other


def test_webhook_mode_needs_a_secret(config):
    cfg = (config.replace("telegram", "enabled", True).replace("telegram", "token", "1:x")
           .replace("telegram", "mode", "webhook")
           .replace("telegram", "webhook_url", "https://example.org/telegram/webhook"))
    with pytest.raises(ConfigError, match="secret_token"):
        TelegramChannel(_FakeApp(cfg))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="secret_token"):
        TelegramChannel(_FakeApp(  # type: ignore[arg-type]
            cfg.replace("telegram", "secret_token", "has spaces and ünïcode")))
    with pytest.raises(ConfigError, match="token"):
        TelegramChannel(_FakeApp(config.replace("telegram", "enabled", True)))  # type: ignore[arg-type]


class _FakeApp:
    """Just enough of an App for the constructor's configuration checks."""

    def __init__(self, config) -> None:
        self.config = config

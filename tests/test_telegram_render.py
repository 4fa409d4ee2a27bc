"""Telegram rendering and parsing without a network: updates in, keyboards out."""

from __future__ import annotations

import asyncio
import bisect
import random
import time

import pytest
from telegram import Bot, Update

from bot.channels import telegram_render as render
from bot.i18n import Translator
from bot.pacing import Pacer
from bot.registry.normalize import hash_notice_code
from tests.fakes.telegram_api import FakeTelegram

BOT = Bot("123456:TEST-token")


def update(data: dict) -> Update:
    parsed = Update.de_json(data, BOT)
    assert parsed is not None
    return parsed


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()  # only its update builders: no server started


@pytest.mark.parametrize(("text", "expected"), [
    ("/start", ("/start", None)),
    ("/start ABCD-1234", ("/start", "ABCD-1234")),
    ("/start@casecheck_test_bot AB_12", ("/start", "AB_12")),
    ("/start has spaces in it", ("/start", None)),
    ("/start " + "A" * 65, ("/start", None)),
    ("/start <script>", ("/start", None)),
    ("/HELP", ("/help", None)),
    ("/lawyer@casecheck_test_bot", ("/lawyer", None)),
    ("/language es", ("/language es", None)),
    ("hello /start", ("hello /start", None)),
    ("", ("", None)),
])
def test_commands_and_deep_links(text, expected):
    assert render.parse_command(text) == expected


def test_a_private_message_becomes_an_inbound(fake):
    data = fake.message_update(42, "  was my case affected?", language_code="pt-br")
    inbound = render.inbound_from_update(update(data))
    assert inbound is not None
    assert (inbound.channel, inbound.address, inbound.text) == (
        "telegram", "42", "  was my case affected?")
    assert inbound.language_hint == "pt-br"
    assert inbound.provider_id == str(data["update_id"])
    assert inbound.notice_code is None


def test_a_deep_link_carries_the_notice_code(fake):
    inbound = render.inbound_from_update(update(fake.message_update(42, "/start K7Q-2M9X")))
    assert inbound is not None
    # It carries only the code's hash: the raw code is never stored.
    assert (inbound.text, inbound.notice_code) == ("/start", hash_notice_code("K7Q-2M9X"))


def test_a_button_press_becomes_its_key(fake):
    inbound = render.inbound_from_update(update(fake.callback_update(42, "3", message_id=9)))
    assert inbound is not None
    assert (inbound.text, inbound.address, inbound.language_hint) == ("3", "42", "en")


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
def test_groups_and_channels_are_ignored(fake, chat_type):
    data = fake.message_update(-100123, "hello bot", chat_type=chat_type)
    if chat_type == "channel":
        data["channel_post"] = data.pop("message")
        data["channel_post"].pop("from")
    assert render.inbound_from_update(update(data)) is None


def test_other_bots_and_edits_are_ignored(fake):
    assert render.inbound_from_update(update(fake.message_update(42, "hi", is_bot=True))) is None
    edited = fake.message_update(42, "hi")
    edited["edited_message"] = edited.pop("message")
    assert render.inbound_from_update(update(edited)) is None


def test_a_photo_without_caption_is_an_empty_message_with_media(fake):
    data = fake.message_update(42, "x")
    del data["message"]["text"]
    data["message"]["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1,
                                 "height": 1}]
    inbound = render.inbound_from_update(update(data))
    assert inbound is not None
    assert (inbound.text, inbound.media_count) == ("", 1)


def test_blocking_and_unblocking_the_bot_are_recognised():
    def member_update(status: str) -> Update:
        user = {"id": 42, "is_bot": False, "first_name": "T"}
        bot = {"id": 1, "is_bot": True, "first_name": "B"}
        return update({"update_id": 5, "my_chat_member": {
            "chat": {"id": 42, "type": "private"}, "from": user, "date": 0,
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": {"status": status, "user": bot,
                                **({"until_date": 0} if status == "kicked" else {})}}})
    assert render.blocked_the_bot(member_update("kicked")) is True
    assert render.blocked_the_bot(member_update("member")) is False


def test_short_options_go_two_to_a_row_long_ones_one():
    short = render.keyboard([{"key": "1", "label": "English"}, {"key": "2", "label": "Español"},
                             {"key": "3", "label": "Português"}])
    assert short is not None
    assert [[b.callback_data for b in row] for row in short.inline_keyboard] == [["1", "2"], ["3"]]
    long = render.keyboard([{"key": "1", "label": "Check my case"},
                            {"key": "2", "label": "What a dismissal means " * 4}])
    assert long is not None
    rows = long.inline_keyboard
    assert [len(row) for row in rows] == [1, 1]
    assert len(rows[1][0].text) <= render.LABEL_MAX and rows[1][0].text.endswith("…")
    assert render.keyboard([]) is None


def test_long_texts_are_cut_at_paragraphs_within_the_limit():
    text = "\n\n".join(f"Paragraph {i}. " + "word " * 300 for i in range(6))
    parts = render.split_text(text)
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    assert all(p.startswith("Paragraph") for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())
    assert render.split_text("x" * 5000) == ["x" * 4096, "x" * 904]


def test_command_menus_per_language_use_two_letter_codes():
    translator = Translator(["en", "es"])
    menus = dict(render.bot_commands(translator, "en"))
    assert list(menus) == [None, "en", "es"]
    assert [c.command for c in menus["es"]] == ["start", "help", "language", "lawyer", "stop"]
    spanish = {c.command: c.description for c in menus["es"]}
    assert spanish["stop"] == "No recibir más mensajes"
    assert {c.command: c.description for c in menus[None]}["stop"] == "Stop all messages"


def test_iso_codes_for_telegram():
    assert render._iso639_1("pt_BR") == "pt"
    assert render._iso639_1("zh_Hant") == "zh"
    assert render._iso639_1("kea") is None


async def test_the_pacer_spaces_one_chat_and_the_whole_bot():
    pacer = Pacer(50, chat_gap=0.2)
    stamps: dict[int, list[float]] = {1: [], 2: []}

    async def send(chat: int) -> None:
        async with pacer.slot(chat):
            stamps[chat].append(time.monotonic())

    await asyncio.gather(*(send(chat) for chat in (1, 2) for _ in range(3)))
    for chat in (1, 2):
        gaps = [b - a for a, b in zip(stamps[chat], stamps[chat][1:], strict=False)]
        assert all(g >= 0.19 for g in gaps), gaps
    every = sorted(stamps[1] + stamps[2])
    assert all(b - a >= 0.015 for a, b in zip(every, every[1:], strict=False))


async def test_no_second_holds_more_than_the_rate_whatever_the_latency():
    rate = 30
    pacer = Pacer(rate, chat_gap=0.0)
    arrivals: list[float] = []

    async def send(i: int) -> None:
        async with pacer.slot(1000 + i):
            # The request reaches Telegram somewhere between start and answer.
            await asyncio.sleep(random.uniform(0, 0.02))
            arrivals.append(time.monotonic())
            await asyncio.sleep(random.uniform(0, 0.02))

    await asyncio.gather(*(send(i) for i in range(rate + 10)))
    arrivals.sort()
    busiest = max(bisect.bisect_left(arrivals, a + 1.0) - i for i, a in enumerate(arrivals))
    assert busiest <= rate

"""The Bot API as a provider: one send and one mapping of its errors, for replies
(``TelegramChannel``, on its Application's bot) and campaigns (``bot/outreach``,
on a Bot of their own) alike.

``RetryAfter`` -> retry after the time Telegram asks; ``Forbidden`` (the person
blocked the bot) -> failed and unreachable; ``ChatMigrated`` (a group became a
supergroup) and ``BadRequest`` (chat not found, text rejected) -> failed;
anything else (network, timeout, 5xx) -> retry. The Bot API cannot list sent
messages: nothing is found after a crash (``can_find_sent`` is False).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from .. import bidi
from ..pacing import Pacer
from . import telegram_render as render
from .base import SendResult

log = logging.getLogger(__name__)


class TelegramProvider:
    can_find_sent = False

    def __init__(self, bot: Bot, pacer: Pacer | None = None) -> None:
        self.bot = bot
        self.pacer = pacer  # per chat and overall (replies); campaigns pace themselves

    async def send(self, address: str, text: str,
                   options: list[dict[str, str]] | None = None) -> SendResult:
        """Send ``text`` (in parts if long) to the chat ``address``, the options as an
        inline keyboard on the last part."""
        try:
            chat_id = int(address)
        except ValueError:
            return SendResult("failed", error_code="bad_address")
        parts = render.split_text(bidi.isolate_latin(text))  # Arabic: Latin runs LTR
        markup: InlineKeyboardMarkup | None = render.keyboard(options or [])
        try:
            for i, part in enumerate(parts):
                last = markup if i == len(parts) - 1 else None
                if self.pacer is None:
                    sent = await self.bot.send_message(chat_id, part, reply_markup=last)
                    continue
                async with self.pacer.slot(chat_id):
                    sent = await self.bot.send_message(chat_id, part, reply_markup=last)
        except RetryAfter as exc:
            return SendResult("retry", error_code="429", retry_after=_seconds(exc.retry_after))
        except Forbidden:
            return SendResult("failed", error_code="403", unreachable=True)
        except ChatMigrated:
            log.warning("a Telegram group became a supergroup: update [telegram] staff_chat_id")
            return SendResult("failed", error_code="chat_migrated")
        except BadRequest as exc:  # chat not found, text rejected: sending again won't help
            log.warning("a message was rejected by Telegram: %s", type(exc).__name__)
            return SendResult("failed", error_code="400")
        except TelegramError as exc:  # network, timeout, 5xx
            return SendResult("retry", error_code=type(exc).__name__)
        return SendResult("sent", provider_id=f"{chat_id}:{sent.message_id}")


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)

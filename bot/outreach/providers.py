"""The ways a campaign message leaves: each channel's own provider (the one its
replies use: ``bot/channels/twilio_provider``, ``bot/channels/telegram_provider``),
wrapped for campaigns. WhatsApp (``whatsapp_provider``) sends an approved
template per locale.

Each campaign provider sends one text to one address and says what happened
(``Outcome``, from the channel provider's ``SendResult``); a provider that can
find a sent message (``can_reconcile``: SMS, WhatsApp) also tells whether one
was accepted when our own record of it was lost (``find``: a kill between the
provider's answer and our commit). Telegram has no such query: a Telegram
recipient found 'sending' after a crash is recorded as failed ('interrupted'),
never sent twice. Twilio's status callbacks for campaign messages come to
``/outreach/status``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from ..channels import ptb
from ..channels.base import SendResult
from ..channels.registry import BUILTIN, SMS, TELEGRAM, Registry
from ..channels.sms import sms_provider
from ..channels.twilio_provider import TwilioProvider
from ..config import Config, ConfigError

log = logging.getLogger(__name__)

STATUS_PATH = "/outreach/status"
THROTTLE_CODES = frozenset({"20429", "429"})


@dataclass(frozen=True)
class Outcome:
    kind: str  # sent | retry | failed | opted_out | unreachable
    provider_id: str | None = None
    reason: str | None = None
    retry_after: float | None = None
    throttled: bool = False  # the provider asks everyone to slow down (429)


def outcome_of(result: SendResult) -> Outcome:
    """What a channel provider's result means for a campaign message."""
    code = result.error_code
    if result.outcome == "sent":
        return Outcome("sent", provider_id=result.provider_id)
    if result.opt_out:
        return Outcome("opted_out", reason=code)
    if result.unreachable:
        return Outcome("unreachable", reason=code)
    if result.outcome == "retry":
        return Outcome("retry", reason=code, retry_after=result.retry_after,
                       throttled=code in THROTTLE_CODES)
    return Outcome("failed", reason=code)


class Provider(Protocol):
    channel: str
    can_reconcile: bool

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, address: str, text: str, *, locale: str | None = None) -> Outcome: ...

    async def find(self, address: str, text: str, since: dt.datetime) -> str | None: ...


def status_callback(config: Config) -> str | None:
    """Where Twilio reports campaign messages' delivery (None: no public URL)."""
    public = config.sms.public_url
    return public.rstrip("/") + STATUS_PATH if public else None


class SmsProvider:
    """Campaigns over the SMS channel's provider (Twilio)."""

    channel = SMS.name
    can_reconcile = True

    def __init__(self, config: Config) -> None:
        if missing := config.twilio_missing("sms", webhooks=False):
            raise ConfigError("SMS outreach needs " + ", ".join(missing))
        self.twilio: TwilioProvider = sms_provider(config, status_callback(config))

    async def start(self) -> None:
        await self.twilio.start()

    async def stop(self) -> None:
        await self.twilio.stop()

    async def send(self, address: str, text: str, *, locale: str | None = None) -> Outcome:
        return outcome_of(await self.twilio.send(address, text))

    async def find(self, address: str, text: str, since: dt.datetime) -> str | None:
        """The SID of a message with this body sent to ``address`` since ``since``."""
        found = await self.twilio.find_sent(address, text, since)
        return found[0] if found else None


class TelegramProvider:
    """Campaigns over the Telegram channel's provider, on a Bot of their own (its own
    HTTP pool: the channel's polling is untouched)."""

    channel = TELEGRAM.name
    can_reconcile = False

    def __init__(self, config: Config) -> None:
        if not config.telegram.token:
            raise ConfigError("Telegram outreach needs [telegram] token")
        self.cfg = config.telegram
        self._bot: Any = None
        self._provider: Any = None

    async def start(self) -> None:
        ptb.prepare()
        from telegram import Bot
        from telegram.request import HTTPXRequest

        from ..channels.telegram_provider import TelegramProvider as BotProvider

        bot = Bot(self.cfg.token, base_url=self.cfg.base_url,
                  request=HTTPXRequest(connection_pool_size=16))
        await bot.initialize()
        self._bot, self._provider = bot, BotProvider(bot)

    async def stop(self) -> None:
        if self._bot is not None:
            bot, self._bot, self._provider = self._bot, None, None
            await bot.shutdown()

    async def send(self, address: str, text: str, *, locale: str | None = None) -> Outcome:
        assert self._provider is not None, "start() first"
        return outcome_of(await self._provider.send(address, text))

    async def find(self, address: str, text: str, since: dt.datetime) -> str | None:
        raise NotImplementedError("the Bot API cannot list sent messages")


def make_provider(channel: str, config: Config, channels: Registry = BUILTIN) -> Provider:
    """A new provider for ``channel``, as its registry entry names it."""
    provider: Provider = channels.provider(channel, config)
    return provider

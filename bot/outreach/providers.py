"""The ways a campaign message leaves: Twilio SMS, the Telegram Bot API, and
WhatsApp through Twilio (``whatsapp_provider``: an approved template per locale).

Each provider sends one text to one address and says what happened
(``Outcome``); the SMS provider can also tell whether a message was accepted
when our own record of it was lost (``find``: a kill between the provider's
answer and our commit). Telegram has no such query: a Telegram recipient
found 'sending' after a crash is recorded as failed ('interrupted'), never
sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from typing import Protocol

import aiohttp
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from ..channels.registry import BUILTIN, SMS, TELEGRAM, Registry
from ..channels.sms import TwilioHttp, classify, find_sent
from ..config import Config, ConfigError

log = logging.getLogger(__name__)

STATUS_PATH = "/outreach/status"
THROTTLE_CODES = frozenset({"20429", "http-429", "429"})


@dataclass(frozen=True)
class Outcome:
    kind: str  # sent | retry | failed | opted_out | unreachable
    provider_id: str | None = None
    reason: str | None = None
    retry_after: float | None = None
    throttled: bool = False  # the provider asks everyone to slow down (429)


class Provider(Protocol):
    channel: str
    can_reconcile: bool

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, address: str, text: str, *, locale: str | None = None) -> Outcome: ...

    async def find(self, address: str, text: str, since: dt.datetime) -> str | None: ...


class SmsProvider:
    """Twilio's async client; campaign status callbacks come to ``/outreach/status``."""

    channel = SMS.name
    can_reconcile = True

    def __init__(self, config: Config) -> None:
        cfg = config.sms
        missing = [f"[sms] {k}" for k in ("account_sid", "auth_token") if not getattr(cfg, k)]
        if not (cfg.from_number or cfg.messaging_service_sid):
            missing.append("[sms] from_number (or messaging_service_sid)")
        if missing:
            raise ConfigError("SMS outreach needs " + ", ".join(missing))
        self.cfg = cfg
        self.status_callback = (cfg.public_url.rstrip("/") + STATUS_PATH
                                if cfg.public_url else None)
        self._http: TwilioHttp | None = None
        self._client: Client | None = None

    async def start(self) -> None:
        self._http = TwilioHttp(timeout=15)
        self._client = Client(self.cfg.account_sid, self.cfg.auth_token, http_client=self._http)
        self._client.api.base_url = self.cfg.api_base_url.rstrip("/")

    async def stop(self) -> None:
        if self._http is not None:
            http, self._http, self._client = self._http, None, None
            await http.close()

    def _sender(self) -> dict[str, str]:
        if self.cfg.from_number:
            return {"from_": self.cfg.from_number}
        return {"messaging_service_sid": self.cfg.messaging_service_sid}

    async def send(self, address: str, text: str, *, locale: str | None = None) -> Outcome:
        assert self._client is not None, "start() first"
        extra = {"status_callback": self.status_callback} if self.status_callback else {}
        try:
            sent = await self._client.messages.create_async(
                to=address, body=text, **self._sender(), **extra)
        except TwilioException as exc:
            return twilio_error_outcome(exc)
        except (aiohttp.ClientError, TimeoutError, OSError):
            return Outcome("retry", reason="network")
        return Outcome("sent", provider_id=sent.sid)

    async def find(self, address: str, text: str, since: dt.datetime) -> str | None:
        """The SID of a message with this body sent to ``address`` since ``since``
        (newest first; date_created, since a queued message has no date_sent yet)."""
        assert self._client is not None, "start() first"
        found = await find_sent(self._client, address, text, since, self.cfg.from_number)
        return found[0] if found else None


class TelegramProvider:
    """python-telegram-bot's ``Bot`` on its own HTTP pool (the channel's polling is untouched)."""

    channel = TELEGRAM.name
    can_reconcile = False

    def __init__(self, config: Config) -> None:
        if not config.telegram.token:
            raise ConfigError("Telegram outreach needs [telegram] token")
        self.cfg = config.telegram
        self._bot: object | None = None

    async def start(self) -> None:
        # Durations as timedelta (PTB's next default; no deprecation warning); httpx
        # would log URLs, which contain the token.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        logging.getLogger("httpx").setLevel(logging.WARNING)
        from telegram import Bot
        from telegram.request import HTTPXRequest

        bot = Bot(self.cfg.token, base_url=self.cfg.base_url,
                  request=HTTPXRequest(connection_pool_size=16))
        await bot.initialize()
        self._bot = bot

    async def stop(self) -> None:
        if self._bot is not None:
            bot, self._bot = self._bot, None
            await bot.shutdown()  # type: ignore[attr-defined]

    async def send(self, address: str, text: str, *, locale: str | None = None) -> Outcome:
        from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

        assert self._bot is not None, "start() first"
        try:
            chat_id = int(address)
        except ValueError:
            return Outcome("failed", reason="bad_address")
        try:
            sent = await self._bot.send_message(chat_id, text)  # type: ignore[attr-defined]
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            return Outcome("retry", reason="429", retry_after=seconds, throttled=True)
        except Forbidden:
            return Outcome("unreachable", reason="403")
        except BadRequest:
            return Outcome("failed", reason="400")
        except TelegramError as exc:
            return Outcome("retry", reason=type(exc).__name__)
        return Outcome("sent", provider_id=f"{chat_id}:{sent.message_id}")

    async def find(self, address: str, text: str, since: dt.datetime) -> str | None:
        raise NotImplementedError("the Bot API cannot list sent messages")


def twilio_error_outcome(exc: TwilioException,
                         unreachable: frozenset[str] = frozenset()) -> Outcome:
    """What a Twilio error means for a campaign message (SMS and WhatsApp alike);
    ``unreachable`` codes mean the address cannot get this channel at all."""
    result = classify(exc)
    code = result.error_code or "twilio"
    if result.opt_out:
        return Outcome("opted_out", reason=code)
    if code in unreachable:
        return Outcome("unreachable", reason=code)
    if result.outcome == "retry":
        return Outcome("retry", reason=code, throttled=code in THROTTLE_CODES)
    return Outcome("failed", reason=code)


def make_provider(channel: str, config: Config, channels: Registry = BUILTIN) -> Provider:
    """A new provider for ``channel``, as its registry entry names it."""
    provider: Provider = channels.provider(channel, config)
    return provider

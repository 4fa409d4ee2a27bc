"""The WhatsApp channel over Twilio: the SMS channel with a ``whatsapp:`` prefix.

Twilio's Messages API carries WhatsApp exactly as SMS: the same signed
webhooks (here on ``[whatsapp] inbound_path`` and ``status_path``), the same
REST call, addresses written ``whatsapp:+<E.164>``. So this channel is
``SmsChannel`` with its own settings and prefix: the durable inbox, signature
checks and status callbacks (``read`` included) are the SMS code. Contacts
are stored under the plain E.164 number, so a WhatsApp number is a phone
number for linking, opt-outs and the registry.

What differs:
- **Rendering** (``whatsapp_render``): no segments, no MORE, one message of
  at most 1,600 characters; numbered menus stay.
- **The 24-hour window** (``whatsapp_window``): a reply goes out free-form
  only within ``[whatsapp] window_hours`` of the person's last message.
  Outside it (or when Twilio answers 63016) the row is held and the person
  gets the locale's approved reply template instead, once; held rows go out
  as soon as the person writes again. With no template configured the row is
  held all the same, and staff see it as 'held' in the outbox.
- **Media** (a photo of court papers, a voice note) is never downloaded or
  forwarded: the dialogue's preflight (``handlers/preflight.py``) notes in the
  transcript that something was sent and asks the person to type the docket
  number or to talk to a lawyer (``handlers/whatsapp_answers.py``).
- The person's message opens the window: held rows go back to pending as it
  is stored.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

from ..app import App
from ..clock import iso
from ..model import Inbound, Option, Reply
from ..storage import whatsapp as wa_store
from . import whatsapp_render, whatsapp_window
from .base import OutgoingMessage, SendResult
from .registry import WHATSAPP
from .sms import SmsChannel
from .twilio_provider import TwilioProvider

log = logging.getLogger(__name__)

CHANNEL = WHATSAPP.name
PREFIX = "whatsapp:"
WINDOW_CLOSED = wa_store.WINDOW_REFUSED  # Twilio: outside the 24-hour window
NOT_ON_WHATSAPP = frozenset({"63003"})  # the number has no WhatsApp account


@dataclass(frozen=True)
class WhatsAppSettings:
    """The [sms] account settings with the [whatsapp] sender, paths and rate."""

    account_sid: str
    auth_token: str
    public_url: str
    api_base_url: str
    from_number: str
    messaging_service_sid: str
    inbound_path: str
    status_path: str
    rate_per_second: float
    window_hours: int


def settings(app: App) -> WhatsAppSettings:
    sms, wa = app.config.sms, app.config.whatsapp
    return WhatsAppSettings(
        sms.account_sid, sms.auth_token, sms.public_url, sms.api_base_url,
        wa.from_number.removeprefix(PREFIX), "", wa.inbound_path, wa.status_path,
        wa.rate_per_second, wa.window_hours)


def whatsapp_provider(config: Any, status_callback: str | None) -> TwilioProvider:
    """The WhatsApp provider: the [sms] account, the [whatsapp] sender (replies and
    campaigns)."""
    sms, wa = config.sms, config.whatsapp
    return TwilioProvider(sms.api_base_url, sms.account_sid, sms.auth_token,
                          sender={"From": wa.from_number.removeprefix(PREFIX)},
                          status_callback=status_callback, prefix=PREFIX,
                          unreachable=NOT_ON_WHATSAPP)


class WhatsAppChannel(SmsChannel):
    name = CHANNEL
    prefix = PREFIX

    def settings(self, app: App) -> Any:
        return settings(app)

    def make_provider(self, status_callback: str | None) -> TwilioProvider:
        return whatsapp_provider(self.app.config, status_callback)

    def address_of(self, sender: str) -> str:
        """'whatsapp:+2389912345' -> '+2389912345'; anything else is not ours ('')."""
        number = sender.removeprefix(PREFIX)
        return number if sender.startswith(PREFIX) and number.startswith("+") else ""

    # -- inbound ------------------------------------------------------------
    async def _store_many(self, inbounds: list[Inbound]) -> list[int | None]:
        """The person wrote: the window is open again, the replies held for it go."""
        ids = await super()._store_many(inbounds)
        now = iso(self.app.clock())
        for address in dict.fromkeys(m.address for m, new in zip(inbounds, ids, strict=True)
                                     if new is not None):
            await wa_store.release_held(self.app.db, address, now)
        return ids

    async def _apply_many(self, updates: list[tuple[str, str, str | None]]) -> list[str]:
        """Status callbacks as for SMS; a message failed later with 63016 (Twilio took
        it, WhatsApp refused it for the window) is put back for the template path."""
        outcomes = await super()._apply_many(updates)
        await wa_store.put_back_refused(self.app.db, iso(self.app.clock()))
        return outcomes

    # -- sending -------------------------------------------------------------
    async def send(self, message: OutgoingMessage) -> SendResult:
        if not self._started:
            return SendResult("retry", error_code="not_started")
        last = await wa_store.last_inbound_at(self.app.db, message.address)
        if (whatsapp_window.is_open(last, self.app.clock(), self.cfg.window_hours)
                and not await wa_store.was_refused(self.app.db, message.id)):
            locale = message.locale or self.app.config.dialogue.default_locale
            _ = functools.partial(self.app.translator.gettext, locale)
            reply = Reply(message.body, [Option(o.get("key", ""), o.get("label", ""))
                                         for o in message.options])
            result = await self.provider.send(message.address, whatsapp_render.render(reply, _))
            if result.error_code != WINDOW_CLOSED:
                return result
        return await self._outside_window(message)

    async def _outside_window(self, message: OutgoingMessage) -> SendResult:
        """Hold the row; tell the person once, with the approved template, that a
        reply waits for them."""
        if await wa_store.has_held(self.app.db, message.address):
            return SendResult("held", error_code="window")
        template = whatsapp_window.reply_template(self.app.config, message.locale)
        if template is None:
            log.warning("outbox row %d held: outside the WhatsApp window and no"
                        " [whatsapp] reply_templates entry", message.id)
            return SendResult("held", error_code="no_template")
        result = await self.provider.send_content(message.address, template.content_sid,
                                                  template.content_variables)
        if result.outcome != "sent":
            return result
        return SendResult("held", error_code="window")

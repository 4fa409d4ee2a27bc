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
  forwarded: the transcript notes that something was sent, and the person is
  asked to type the docket number or to talk to a lawyer.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

from ..app import App
from ..clock import iso
from ..config import ConfigError
from ..model import Inbound, Option, Reply
from ..storage import inbox, outbox, people
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


def N_(msgid: str) -> str:
    """Mark a string for the catalog; it is translated when sent."""
    return msgid


MEDIA_ANSWER = N_("We cannot open photos, voice messages or files here. Please type your "
                  "docket number as text, or reply MENU to talk to a lawyer.")
MEDIA_FACT = "[sent {n} attachment(s), not opened]"  # for staff, in the transcript


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
    missing = [f"[sms] {key}" for key in ("account_sid", "auth_token", "public_url")
               if not getattr(sms, key)]
    if not wa.from_number:
        missing.append("[whatsapp] from_number")
    if missing:
        raise ConfigError("[whatsapp] enabled needs " + ", ".join(missing))
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

    # -- before the dialogue -------------------------------------------------
    async def before_dialogue(self, inbox_id: int, inbound: Inbound) -> bool:
        """The person wrote: the window is open, held rows go. Then media and
        unreadable messages; True if the row is done."""
        now = iso(self.app.clock())
        await wa_store.release_held(self.app.db, inbound.address, now)
        if inbound.media_count > 0:
            has_text = bool(inbound.text.strip())
            await self._answer_media(inbox_id, inbound, done=not has_text)
            return not has_text
        if "\ufffd" in inbound.text:
            await self._answer(inbox_id, inbound, "Sorry, we could not read your message. "
                               "Please type it again.", done=True)
            return True
        return False

    async def _answer_media(self, inbox_id: int, inbound: Inbound, *, done: bool) -> None:
        """Note the media in the transcript (as a fact, never its content) and ask for
        text, once per inbox row; mark the row done if asked."""
        db, now = self.app.db, iso(self.app.clock())
        state = await people.get_or_create(db, CHANNEL, inbound.address, now)
        locale = state.locale or self.app.config.dialogue.default_locale
        text = self.app.translator.gettext(locale, MEDIA_ANSWER)
        answered = await outbox.has_for_inbox(db, CHANNEL, inbound.address, inbox_id)
        async with db.transaction() as conn:
            if not answered:
                await people.add_message(conn, state.person_id, "in", CHANNEL,
                                         MEDIA_FACT.format(n=inbound.media_count), now)
                await outbox.enqueue(conn, CHANNEL, inbound.address, Reply(text), now,
                                     person_id=state.person_id, inbox_id=inbox_id)
            if done:
                await inbox.mark_done(conn, inbox_id, now)

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

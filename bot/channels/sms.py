"""The SMS channel over Twilio: signed webhooks in, the async REST client out.

Inbound (``POST [sms] inbound_path``): the ``X-Twilio-Signature`` is checked
against ``[sms] public_url`` + path + query (never the request's own scheme and
host, which a TLS proxy changes); a missing or wrong signature gets 403, a body
over 128 KB 400, and nothing is stored. Values are cleaned (``sanitize``) after
the signature check. A valid message is stored in the inbox (deduplicated by
MessageSid; concurrent webhooks share one transaction), the inbox worker is
woken, and Twilio gets an empty TwiML ``<Response/>`` at once: the dialogue
runs later, from the inbox.

Every stored message goes to the dialogue, whose interceptors
(``handlers/flow.py``) answer MORE (the next part of a long reply), MMS and
unreadable, empty and over-long texts (stored cut at 1,601 characters).

Status callbacks (``POST [sms] status_path``, signed the same way) update the
outbox row by MessageSid, idempotently and never backwards; only final
statuses (delivered, undelivered, failed, ...) are written.

Outbound (``send``): the Reply is rendered for SMS at send time
(``sms_render``) and sent by the SMS provider (``twilio_provider``, which
campaigns send through too). What does not fit goes back with the result
(``SendResult.more``), which the outbox worker keeps on the row in the same
transaction as the send result. After a crash, a row that was being sent is
looked up at Twilio (``find_sent``: messages to that number since the row was
claimed, matched by body, its rest kept on the row) before it is sent again.
Twilio errors map to retry (HTTP 429/5xx, 20429, network), failed (21211, 21614,
other 4xx) or failed +
opt-out (21610).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from typing import TYPE_CHECKING, Any

from ..app import App
from ..clock import iso
from ..config import ConfigError
from ..model import Inbound, Option, Reply
from ..storage import inbox, outbox
from ..storage import sms as sms_store
from ..workers import WAKEUP, Batcher
from . import sms_render
from .base import OutgoingMessage, SendResult
from .registry import SMS
from .sanitize import BadBody
from .twilio_provider import TwilioProvider
from .twilio_signature import TwilioSignature
from .twilio_status import StatusCallbacks, signed_form

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

CHANNEL = SMS.name
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
MAX_BODY = 1600  # Twilio's limit for one (concatenated) message


class SmsChannel:
    name = CHANNEL
    prefix = ""  # Twilio's address prefix: "" for SMS, "whatsapp:" for WhatsApp

    def __init__(self, app: App) -> None:
        if missing := app.config.twilio_missing(self.name, webhooks=True):
            raise ConfigError(f"[{self.name}] enabled needs " + ", ".join(missing))
        cfg = self.settings(app)
        self.app = app
        self.cfg = cfg
        self._public = cfg.public_url.rstrip("/")
        self._signature = TwilioSignature(cfg.auth_token, self._public)
        self._inbox: Batcher[Inbound, int | None] = Batcher(self._store_many)
        self._statuses = StatusCallbacks(self._signature, cfg.status_path,
                                         outbox.FINAL_STATUSES, self._apply_many)
        self.provider = self.make_provider(self._public + cfg.status_path)
        self._started = False

    def settings(self, app: App) -> Any:
        """The Twilio settings this channel runs on (a subclass may combine sections)."""
        return app.config.sms

    def make_provider(self, status_callback: str | None) -> TwilioProvider:
        """The Twilio provider this channel sends through."""
        return sms_provider(self.app.config, status_callback)

    def address_of(self, sender: str) -> str:
        """Our address for Twilio's ``From`` ("" when it is not one of this channel's:
        'whatsapp:+...' belongs on [whatsapp] inbound_path)."""
        return "" if ":" in sender else sender

    # -- lifecycle -------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        from aiohttp import web  # not at import: the workers' process serves nothing

        return [web.post(self.cfg.inbound_path, self._on_inbound),
                web.post(self.cfg.status_path, self._statuses.handle)]

    async def start(self) -> None:
        """Create the async Twilio client inside the running loop."""
        await self.provider.start()
        self._started = True

    async def stop(self) -> None:
        self._started = False
        await self.provider.stop()

    # -- webhooks ----------------------------------------------------------
    async def _on_inbound(self, request: web.Request) -> web.Response:
        from aiohttp import web

        try:
            params = await signed_form(request, self._signature, self.cfg.inbound_path)
        except BadBody:
            return web.Response(status=400, text="request too large")
        if params is None:
            return web.Response(status=403, text="forbidden")
        sid = params.get("MessageSid") or params.get("SmsSid")
        sender = self.address_of(params.get("From") or "")
        if not sid or not sender:
            return web.Response(status=400, text="MessageSid and From are required")
        try:
            media = max(0, int(params.get("NumMedia") or 0))
        except ValueError:
            media = 0
        # Past the limit the text is not read: keep just enough to know it was too long.
        body = params.get("Body", "")[:MAX_BODY + 1]
        await self._inbox.submit(Inbound(self.name, sender, body, provider_id=sid,
                                         media_count=media))
        request.app[WAKEUP].inbox.set()
        return web.Response(text=TWIML_EMPTY, content_type="text/xml")

    async def _store_many(self, inbounds: list[Inbound]) -> list[int | None]:
        return await inbox.store_many(self.app.db, inbounds, iso(self.app.clock()))

    async def _apply_many(self, updates: list[tuple[str, str, str | None]]) -> list[str]:
        return await outbox.apply_statuses(self.app.db, updates, iso(self.app.clock()))

    # -- sending -------------------------------------------------------------
    def _render(self, message: OutgoingMessage) -> tuple[str, str | None]:
        """The text this row is sent as, and the rest kept for MORE."""
        locale = message.locale or self.app.config.dialogue.default_locale
        _ = functools.partial(self.app.translator.gettext, locale)
        reply = Reply(message.body, [Option(o.get("key", ""), o.get("label", ""))
                                     for o in message.options])
        limit = self.cfg.max_segments
        return sms_render.fit(sms_render.render(reply, _, limit), _, limit)

    async def find_sent(self, message: OutgoingMessage, since: dt.datetime) -> list[str]:
        """After a crash: the SIDs of messages Twilio accepted for this row since
        ``since`` (newest first; raises if Twilio cannot be asked). Found, the rest
        of a long reply is kept for MORE, as ``send`` would have."""
        text, rest = self._render(message)
        found = await self.provider.find_sent(message.address, text, since)
        if found and rest:
            await sms_store.keep_more(self.app.db, message.id, message.channel,
                                      message.address, rest)
        return found

    async def send(self, message: OutgoingMessage) -> SendResult:
        if not self._started:
            return SendResult("retry", error_code="not_started")
        text, rest = self._render(message)
        result = await self.provider.send(message.address, text)
        if result.outcome == "sent" and rest:
            return dataclasses.replace(result, more=rest)  # kept with the result
        return result


def sms_provider(config: Any, status_callback: str | None) -> TwilioProvider:
    """The SMS provider on the [sms] account and sender (replies and campaigns)."""
    cfg = config.sms
    return TwilioProvider(
        cfg.api_base_url, cfg.account_sid, cfg.auth_token,
        sender=({"From": cfg.from_number} if cfg.from_number
                else {"MessagingServiceSid": cfg.messaging_service_sid}),
        status_callback=status_callback)


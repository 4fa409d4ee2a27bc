"""The SMS channel over Twilio: signed webhooks in, the async REST client out.

Inbound (``POST [sms] inbound_path``): the ``X-Twilio-Signature`` is checked
against ``[sms] public_url`` + path + query (never the request's own scheme and
host, which a TLS proxy changes); a missing or wrong signature gets 403, a body
over 128 KB 400, and nothing is stored. Values are cleaned (``sanitize``) after
the signature check. A valid message is stored in the inbox (deduplicated by
MessageSid; concurrent webhooks share one transaction), the inbox worker is
woken, and Twilio gets an empty TwiML ``<Response/>`` at once: the dialogue
runs later, from the inbox.

Before the dialogue (``before_dialogue``, called by the inbox worker): MORE
sends the next part of a long reply; MMS and unreadable messages get a short
localised answer through the outbox. Empty and over-long texts (stored cut
at 1,601 characters) go to the dialogue, which says so and asks again.

Status callbacks (``POST [sms] status_path``, signed the same way) update the
outbox row by MessageSid, idempotently and never backwards; only final
statuses (delivered, undelivered, failed, ...) are written.

Outbound (``send``): the Reply is rendered for SMS at send time
(``sms_render``) and sent by one direct POST to the Messages API
(``twilio_send``). After a crash, a row that was being sent is looked up at
Twilio (``find_sent``: messages to that number since the row was claimed,
matched by body) before it is sent again. Twilio errors map to retry (HTTP
429/5xx, 20429, network), failed (21211, 21614, other 4xx) or failed +
opt-out (21610).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import unicodedata
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from multidict import MultiDict
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

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
from .sanitize import BadBody, clean_text, read_body
from .twilio_send import MessagesApi, result_for
from .twilio_signature import TwilioSignature

log = logging.getLogger(__name__)

CHANNEL = SMS.name
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
MAX_BODY = 1600  # Twilio's limit for one (concatenated) message
MAX_FORM_BYTES = 128 * 1024  # a webhook's whole form; Twilio's are a few KB


class TwilioHttp(AsyncTwilioHttpClient):
    """twilio's async HTTP client, sending the basic-auth header itself: the stock
    one builds ``aiohttp.BasicAuth``, deprecated since aiohttp 3.14."""

    async def request(self, method: str, url: str, params: dict[str, object] | None = None,
                      data: dict[str, object] | None = None,
                      headers: dict[str, str] | None = None,
                      auth: tuple[str, str] | None = None, timeout: float | None = None,
                      allow_redirects: bool = False) -> Response:
        if auth is not None:
            headers = {**(headers or {}), "Authorization": aiohttp.encode_basic_auth(*auth)}
        return await super().request(method, url, params=params, data=data, headers=headers,
                                     auth=None, timeout=timeout,
                                     allow_redirects=allow_redirects)


class SmsChannel:
    name = CHANNEL
    prefix = ""  # Twilio's address prefix: "" for SMS, "whatsapp:" for WhatsApp

    def __init__(self, app: App) -> None:
        cfg = self.settings(app)
        missing = [key for key in ("account_sid", "auth_token", "public_url")
                   if not getattr(cfg, key)]
        if not (cfg.from_number or cfg.messaging_service_sid):
            missing.append("from_number (or messaging_service_sid)")
        if missing:
            raise ConfigError("[sms] enabled needs " + ", ".join(f"[sms] {k}" for k in missing))
        self.app = app
        self.cfg = cfg
        self._public = cfg.public_url.rstrip("/")
        self._signature = TwilioSignature(cfg.auth_token, self._public)
        self._inbox: Batcher[Inbound, int | None] = Batcher(self._store_many)
        self._statuses: Batcher[tuple[str, str, str | None], str] = Batcher(self._apply_many)
        self._http: TwilioHttp | None = None
        self._api = MessagesApi(
            cfg.api_base_url, cfg.account_sid, cfg.auth_token,
            sender=({"From": cfg.from_number} if cfg.from_number
                    else {"MessagingServiceSid": cfg.messaging_service_sid}),
            status_callback=self._public + cfg.status_path)
        self._client: Client | None = None
        self._rests: set[str] = set()  # addresses with the rest of a long reply waiting
        self._more_words = {_keyword(app.translator.gettext(loc, "MORE"))
                            for loc in app.translator.locales} | {"MORE"}

    def settings(self, app: App) -> Any:
        """The Twilio settings this channel runs on (a subclass may combine sections)."""
        return app.config.sms

    def address_of(self, sender: str) -> str:
        """Our address for Twilio's ``From`` ("" when it is not one of this channel's:
        'whatsapp:+...' belongs on [whatsapp] inbound_path)."""
        return "" if ":" in sender else sender

    # -- lifecycle -------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        return [web.post(self.cfg.inbound_path, self._on_inbound),
                web.post(self.cfg.status_path, self._on_status)]

    async def start(self) -> None:
        """Create the async Twilio client inside the running loop."""
        self._rests = await sms_store.addresses_with_rest(self.app.db)
        self._http = TwilioHttp(timeout=15)
        self._client = Client(self.cfg.account_sid, self.cfg.auth_token, http_client=self._http)
        self._client.api.base_url = self.cfg.api_base_url.rstrip("/")
        await self._api.start()

    async def stop(self) -> None:
        await self._api.close()
        if self._http is not None:
            http, self._http, self._client = self._http, None, None
            await http.close()

    # -- webhooks ----------------------------------------------------------
    async def _signed_form(self, request: web.Request, path: str) -> MultiDict[str] | None:
        """The form fields if the Twilio signature is valid, else None."""
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return None
        params = parse_form(await read_body(request, MAX_FORM_BYTES))
        if not self._signature.valid(path, request.query_string, params, signature):
            return None
        # Cleaned after the signature check, which covers the values as Twilio sent them.
        return MultiDict((key, clean_text(value)) for key, value in params.items())

    async def _on_inbound(self, request: web.Request) -> web.Response:
        try:
            params = await self._signed_form(request, self.cfg.inbound_path)
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

    async def _on_status(self, request: web.Request) -> web.Response:
        try:
            params = await self._signed_form(request, self.cfg.status_path)
        except BadBody:
            return web.Response(status=400, text="request too large")
        if params is None:
            return web.Response(status=403, text="forbidden")
        sid = params.get("MessageSid") or params.get("SmsSid")
        status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        # Statuses up to 'sent' add nothing to our own 'sent': no write for them.
        if sid and status in outbox.FINAL_STATUSES:
            await self._statuses.submit((sid, status, params.get("ErrorCode") or None))
        return web.Response(status=204)

    async def _apply_many(self, updates: list[tuple[str, str, str | None]]) -> list[str]:
        return await outbox.apply_statuses(self.app.db, updates, iso(self.app.clock()))

    # -- before the dialogue -------------------------------------------------
    async def before_dialogue(self, inbox_id: int, inbound: Inbound) -> bool:
        """Handle MORE, MMS and unreadable messages; True if the row is done."""
        text = inbound.text
        if _keyword(text) in self._more_words:
            if await self._send_rest(inbox_id, inbound):
                return True
        elif inbound.address in self._rests:  # they moved on: the rest is stale
            self._rests.discard(inbound.address)
            await sms_store.drop_rest(self.app.db, inbound.address)
        if inbound.media_count > 0:
            has_text = bool(text.strip())
            await self._answer(inbox_id, inbound, "Sorry, we can only read text messages. "
                               "Please type your answer.", done=not has_text)
            return not has_text
        if "\ufffd" in text:  # bytes that were not UTF-8 (see parse_form)
            await self._answer(inbox_id, inbound, "Sorry, we could not read your message. "
                               "Please type it again.", done=True)
            return True
        return False  # empty and over-long texts: the dialogue answers and asks again

    async def _send_rest(self, inbox_id: int, inbound: Inbound) -> bool:
        who = await outbox.recipient(self.app.db, CHANNEL, inbound.address)
        now = iso(self.app.clock())
        async with self.app.db.transaction() as conn:
            rest = await sms_store.take_rest(conn, inbound.address)
            if rest is None:
                return False
            await outbox.enqueue(conn, CHANNEL, inbound.address, Reply(rest), now,
                                 person_id=who["person_id"] if who else None,
                                 inbox_id=inbox_id)
            await inbox.mark_done(conn, inbox_id, now)
        self._rests.discard(inbound.address)
        return True

    async def _answer(self, inbox_id: int, inbound: Inbound, msgid: str, *, done: bool) -> None:
        """Queue a fixed answer (once per inbox row); mark the row done if asked."""
        db = self.app.db
        who = await outbox.recipient(db, self.name, inbound.address)
        locale = (who["locale"] if who else None) or self.app.config.dialogue.default_locale
        text = self.app.translator.gettext(locale, msgid)
        answered = await outbox.has_for_inbox(db, self.name, inbound.address, inbox_id)
        now = iso(self.app.clock())
        async with db.transaction() as conn:
            if not answered:
                await outbox.enqueue(conn, self.name, inbound.address, Reply(text), now,
                                     person_id=who["person_id"] if who else None,
                                     inbox_id=inbox_id)
            if done:
                await inbox.mark_done(conn, inbox_id, now)

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
        if self._client is None:
            raise RuntimeError("not started")
        text, rest = self._render(message)
        found = await find_sent(self._client, message.address, text, since,
                                self.cfg.from_number)
        if found and rest:
            await sms_store.keep_rest(self.app.db, message.address, rest, iso(self.app.clock()))
            self._rests.add(message.address)
        return found

    async def send(self, message: OutgoingMessage) -> SendResult:
        if self._client is None:
            return SendResult("retry", error_code="not_started")
        text, rest = self._render(message)
        result = await self._api.send(message.address, text)
        if result.outcome == "sent" and rest:
            await sms_store.keep_rest(self.app.db, message.address, rest, iso(self.app.clock()))
            self._rests.add(message.address)
        return result


async def find_sent(client: Client, address: str, text: str, since: dt.datetime,
                    from_number: str = "") -> list[str]:
    """The SIDs of messages with this body sent to ``address`` since ``since``, newest
    first (by date_created: a queued message has no date_sent yet). How a send whose
    outcome a crash lost is settled, for campaigns and for the outbox alike."""
    sender = {"from_": from_number} if from_number else {}
    messages = await client.messages.list_async(to=address, limit=50, **sender)
    return [str(m.sid) for m in messages
            if m.body == text and (m.date_created is None or m.date_created >= since)]


def classify(exc: TwilioException) -> SendResult:
    """Map a Twilio error to retry / failed / failed + opt-out."""
    return result_for(getattr(exc, "status", None), getattr(exc, "code", None))


def parse_form(raw: bytes) -> MultiDict[str]:
    """Form fields; undecodable bytes become U+FFFD (the message is then answered
    with "could not read") instead of failing the request."""
    pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True,
                      encoding="utf-8", errors="replace")
    return MultiDict(pairs)


def _keyword(text: str) -> str:
    """A one-word message normalised for keyword matching: 'más!' -> 'MAS'."""
    word = "".join(c for c in unicodedata.normalize("NFKD", text.strip())
                   if not unicodedata.combining(c))
    return word.strip(" \t\r\n.!?¡¿,;:'\"()").upper()

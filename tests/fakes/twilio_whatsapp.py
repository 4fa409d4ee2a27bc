"""The fake Twilio with WhatsApp: ``whatsapp:`` addresses, the 24-hour window,
templates by ``ContentSid``, ``read`` status callbacks (127.0.0.1 only).

``FakeTwilioWhatsApp`` is ``FakeTwilio`` (SMS as before) that also accepts
``To=whatsapp:+...`` from a ``whatsapp:`` sender. It keeps, per WhatsApp
number, when the person last wrote (``post_whatsapp`` notes it, on the fake's
``clock``, which tests share with the app), and enforces WhatsApp's rule: a
free-form ``Body`` more than 24 hours after that is refused with error 63016
(or, with ``window_error="callback"``, accepted and then failed by a status
callback carrying 63016, as real Twilio often does). A ``ContentSid`` must be
one of ``templates`` (its ``{{1}}`` placeholders are filled from
``ContentVariables``) and may be sent at any time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.twilio_api import (
    PUBLIC_URL,
    FakeTwilio,
    SentMessage,
    SmsRig,
    inbound_params,
    post_inbound,
    sms_rig,
)

WA_FROM = "+14155238886"  # the sender, without its "whatsapp:" prefix
WINDOW = dt.timedelta(hours=24)
_ERRORS = {63016: "Failed to send freeform message because you are outside the allowed window.",
           21655: "The ContentSid is Invalid.", 63003: "Channel could not find To address."}


@dataclass
class WhatsAppMessage(SentMessage):
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None


class FakeTwilioWhatsApp(FakeTwilio):
    def __init__(self, *args: Any, clock: Callable[[], dt.datetime] | None = None,
                 templates: Mapping[str, str] | None = None, window_error: str = "refuse",
                 not_on_whatsapp: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        kwargs.setdefault("callbacks", ("queued", "sent", "delivered", "read"))
        super().__init__(*args, **kwargs)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.templates = dict(templates or {})
        self.window_error = window_error
        self.not_on_whatsapp = not_on_whatsapp
        self.last_inbound: dict[str, dt.datetime] = {}  # "whatsapp:+..." -> when

    async def start(self) -> FakeTwilioWhatsApp:
        await super().start()
        return self

    def window_open(self, to: str) -> bool:
        last = self.last_inbound.get(to)
        return last is not None and self.clock() - last < WINDOW

    def whatsapp_to(self, number: str) -> list[WhatsAppMessage]:
        return [m for m in self.messages
                if isinstance(m, WhatsAppMessage) and m.to == "whatsapp:" + number]

    def texts_to(self, number: str) -> list[str]:
        """Bodies sent to ``number`` (a ``whatsapp:`` address or an SMS number)."""
        return [m.body for m in self.messages if m.to == number]

    async def _create(self, request: web.Request) -> web.Response:
        form = await request.post()
        to = str(form.get("To", ""))
        if not to.startswith("whatsapp:"):
            return await super()._create(request)
        self.attempts += 1
        if not self._authorized(request):
            return self._error(401, 20003)
        if self._failures:
            return self._error(*self._failures.popleft())
        from_ = str(form.get("From", ""))
        if not from_.startswith("whatsapp:+") or not to.startswith("whatsapp:+"):
            return self._error(400, 21211)
        if to.removeprefix("whatsapp:") in self.not_on_whatsapp:
            return self._wa_error(400, 63003)
        content_sid = form.get("ContentSid")
        variables: dict[str, str] = {}
        if content_sid:
            if str(content_sid) not in self.templates:
                return self._wa_error(400, 21655)
            variables = json.loads(str(form.get("ContentVariables") or "{}"))
            body = re.sub(r"\{\{(\d+)\}\}", lambda m: variables.get(m.group(1), ""),
                          self.templates[str(content_sid)])
        else:
            body = str(form.get("Body", ""))
            if len(body) > 1600:
                return self._wa_error(400, 21617)
            if not self.window_open(to) and self.window_error == "refuse":
                return self._wa_error(400, 63016)
        callback = form.get("StatusCallback")
        sid = f"SM{next(self._sids):032x}"
        message = WhatsAppMessage(sid, to, body, from_, None, str(callback) if callback else None,
                                  created=email.utils.formatdate(usegmt=True),
                                  content_sid=str(content_sid) if content_sid else None,
                                  content_variables=variables or None)
        late_refusal = not content_sid and not self.window_open(to)
        async with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        if message.status_callback:
            post = self._post_refusal if late_refusal else self._post_callbacks
            task = asyncio.create_task(post(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({
            "sid": sid, "account_sid": self.account_sid, "to": to, "from": from_,
            "body": body, "status": "queued", "direction": "outbound-api",
            "num_segments": "1", "num_media": "0", "error_code": None, "error_message": None,
            "price": None, "price_unit": "USD", "api_version": "2010-04-01",
            "date_created": message.created, "date_updated": message.created,
            "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }, status=201)

    async def _post_refusal(self, message: SentMessage) -> None:
        await self.post_status(message, "failed", 63016)

    @staticmethod
    def _wa_error(status: int, code: int) -> web.Response:
        return web.json_response({"status": status, "code": code,
                                  "message": _ERRORS.get(code, "Error"),
                                  "more_info": f"https://www.twilio.com/docs/errors/{code}"},
                                 status=status)


def whatsapp_params(number: str, body: str, *, num_media: int = 0,
                    media_type: str = "image/jpeg", profile: str = "") -> dict[str, str]:
    """The form fields of an inbound WhatsApp webhook, as Twilio sends them."""
    params = inbound_params("whatsapp:" + number, body, to="whatsapp:" + WA_FROM,
                            num_media=num_media)
    for key in ("ToCountry", "ToState", "ToCity", "ToZip", "FromZip", "FromState", "FromCity",
                "FromCountry"):
        params.pop(key, None)
    for i in range(num_media):
        params[f"MediaContentType{i}"] = media_type
    params.update({"ProfileName": profile, "WaId": number.lstrip("+"),
                   "MessageType": "text" if not num_media else media_type.split("/")[0]})
    return params


@dataclass
class WhatsAppRig:
    """The SMS rig's Service with WhatsApp on as well; ``say`` writes on WhatsApp."""

    sms: SmsRig
    fake: FakeTwilioWhatsApp

    @property
    def app(self) -> Any:
        return self.sms.app

    @property
    def service(self) -> Any:
        return self.sms.service

    async def say(self, number: str, body: str, **kwargs: Any) -> tuple[int, str]:
        """The person at WhatsApp ``number`` writes ``body``; the webhook's (status, text)."""
        self.fake.last_inbound["whatsapp:" + number] = self.fake.clock()
        return await post_inbound(self.sms.session, self.service.url, PUBLIC_URL,
                                  whatsapp_params(number, body, **kwargs),
                                  auth_token=self.fake.auth_token, path="/whatsapp/inbound")

    async def says_then(self, number: str, body: str, count: int, **kwargs: Any) -> list[str]:
        """Write ``body`` and return the next ``count`` WhatsApp messages to ``number``."""
        before = len(self.fake.whatsapp_to(number))
        status, _ = await self.say(number, body, **kwargs)
        assert status == 200, status
        await self.wait(number, before + count)
        return [m.body for m in self.fake.whatsapp_to(number)[before:]]

    async def wait(self, number: str, count: int, timeout: float = 5.0) -> list[WhatsAppMessage]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.fake.whatsapp_to(number)) < count:
            if loop.time() > deadline:
                raise AssertionError(f"got {len(self.fake.whatsapp_to(number))} WhatsApp"
                                     f" messages, wanted {count}")
            await asyncio.sleep(0.01)
        return self.fake.whatsapp_to(number)

    async def idle(self, settle: float = 0.2) -> None:
        await self.sms.idle(settle)


@asynccontextmanager
async def whatsapp_rig(config: Any, *, clock: Any, templates: Mapping[str, str] | None = None,
                       window_error: str = "refuse", **overrides: Any
                       ) -> AsyncIterator[WhatsAppRig]:
    """SMS and WhatsApp served by one Service, against one fake Twilio."""
    fake = FakeTwilioWhatsApp(clock=clock, templates=templates, window_error=window_error)
    overrides = {"whatsapp.enabled": True, "whatsapp.from_number": WA_FROM,
                 "whatsapp.rate_per_second": 1000.0, **overrides}
    async with sms_rig(config, clock=clock, fake=fake, **overrides) as sms:
        yield WhatsAppRig(sms, fake)

"""A fake Twilio REST API for tests and benchmarks (aiohttp, 127.0.0.1, port 0).

The real twilio client talks to it with ``client.api.base_url = fake.url``. It
implements ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form
encoded, HTTP basic auth checked, 201 JSON like Twilio's), records every
accepted message, can be scripted to fail (``fail_next(500)``,
``fail_next(400, 21610)``), to hang as a sender killed mid-request would see it
(``hold_next``), lists messages as Twilio does (``GET Messages.json``, for
reconciliation; ``fail_list_next``), and posts status callbacks back to the message's
``StatusCallback`` URL, signed with twilio's ``RequestValidator`` exactly as
Twilio signs them. Callbacks may be shuffled and repeated, as Twilio's are.

``webhook_base`` redirects callbacks (none are posted until it is set): the
signature is computed over the public URL the app gave
(``https://sms.example.org/sms/status``), the POST goes to the local server
(``http://127.0.0.1:PORT/sms/status``), as a TLS proxy would do. Nothing ever leaves 127.0.0.1.

``post_inbound`` sends an inbound SMS webhook the way Twilio does.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import itertools
import random
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
FROM_NUMBER = "+16175550100"

_ERRORS = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
}


@dataclass
class SentMessage:
    sid: str
    to: str
    body: str
    from_: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    statuses_posted: list[str] = field(default_factory=list)
    created: str = ""  # RFC 2822, as Twilio's date_created
    at: float = 0.0  # when it was accepted (the event loop's clock): to measure send rates


class FakeTwilio:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN, *,
                 webhook_base: str | None = None,
                 callbacks: Sequence[str] = ("queued", "sent", "delivered"),
                 shuffle_callbacks: bool = False, repeat_callbacks: int = 1,
                 callback_delay: float = 0.0, send_delay: float = 0.0,
                 seed: int = 0) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.webhook_base = webhook_base
        self.callbacks = list(callbacks)
        self.shuffle_callbacks = shuffle_callbacks
        self.repeat_callbacks = repeat_callbacks
        self.callback_delay = callback_delay
        self.send_delay = send_delay  # a slow provider: half before accepting, half after
        self.messages: list[SentMessage] = []
        self.attempts = 0  # every POST to Messages.json, failed or not
        self.callback_responses: list[int] = []
        self._failures: deque[tuple[int, int | None]] = deque()
        self._holds: deque[bool] = deque()  # next sends to hang: True = accepted first
        self._list_failures: deque[int] = deque()
        self._release = asyncio.Event()
        self.held = 0  # sends hanging now
        self._sids = itertools.count(1)
        self._random = random.Random(seed)
        self._tasks: set[asyncio.Task[None]] = set()
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTwilio:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages.json", self._list)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        self._release.set()
        await self.settle()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTwilio:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- scripting -------------------------------------------------------------
    def fail_next(self, status: int, code: int | None = None, times: int = 1) -> None:
        """The next ``times`` sends answer HTTP ``status`` with Twilio error ``code``."""
        self._failures.extend([(status, code)] * times)

    def hold_next(self, times: int = 1, *, accept: bool = True) -> None:
        """The next ``times`` sends never get an answer (until ``stop``), as when the
        sender dies mid-request: accepted and recorded first (``accept``), or not."""
        self._holds.extend([accept] * times)

    def fail_list_next(self, status: int, times: int = 1) -> None:
        """The next ``times`` GETs of the message list answer HTTP ``status``."""
        self._list_failures.extend([status] * times)

    def texts_to(self, number: str) -> list[str]:
        return [m.body for m in self.messages if m.to == number]

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until at least ``count`` messages were accepted."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.messages) >= count), timeout)
        return self.messages

    async def settle(self) -> None:
        """Wait for every status callback scheduled so far to be posted."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- the REST endpoint -------------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return (request.headers.get("Authorization") == f"Basic {expected}"
                and request.match_info["sid"] == self.account_sid)

    @staticmethod
    def _error(status: int, code: int | None) -> web.Response:
        body: dict[str, Any] = {"status": status, "message": _ERRORS.get(code or 0, "Error")}
        if code is not None:
            body["code"] = code
            body["more_info"] = f"https://www.twilio.com/docs/errors/{code}"
        return web.json_response(body, status=status)

    async def _create(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if not self._authorized(request):
            return self._error(401, 20003)
        if self._failures:
            return self._error(*self._failures.popleft())
        hold = self._holds.popleft() if self._holds else None
        if hold is False:
            await self._hang()
        if self.send_delay:
            await asyncio.sleep(self.send_delay / 2)
        form = await request.post()
        to, body = str(form.get("To", "")), str(form.get("Body", ""))
        from_, service = form.get("From"), form.get("MessagingServiceSid")
        if not to.startswith("+"):
            return self._error(400, 21211)
        if not (from_ or service):
            return self._error(400, 21603)
        callback = form.get("StatusCallback")
        sid = f"SM{next(self._sids):032x}"
        message = SentMessage(sid, to, body, str(from_) if from_ else None,
                              str(service) if service else None,
                              str(callback) if callback else None,
                              created=email.utils.formatdate(usegmt=True),
                              at=asyncio.get_running_loop().time())
        async with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        if message.status_callback:
            task = asyncio.create_task(self._post_callbacks(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if hold:
            await self._hang()
        if self.send_delay:
            await asyncio.sleep(self.send_delay / 2)
        now = email.utils.formatdate(usegmt=True)
        return web.json_response({
            "sid": sid, "account_sid": self.account_sid, "to": to,
            "from": str(from_) if from_ else None,
            "messaging_service_sid": str(service) if service else None,
            "body": body, "status": "queued", "direction": "outbound-api",
            "num_segments": "1", "num_media": "0", "error_code": None, "error_message": None,
            "price": None, "price_unit": "USD", "api_version": "2010-04-01",
            "date_created": now, "date_updated": now, "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.account_sid}"
                                          f"/Messages/{sid}/Media.json"},
        }, status=201)

    async def _list(self, request: web.Request) -> web.Response:
        """GET Messages.json (To, From filters; newest first): what outreach asks
        to reconcile a send whose outcome it lost."""
        if not self._authorized(request):
            return self._error(401, 20003)
        if self._list_failures:
            return self._error(self._list_failures.popleft(), None)
        to, from_ = request.query.get("To"), request.query.get("From")
        size = int(request.query.get("PageSize", "50"))
        found = [m for m in reversed(self.messages)
                 if (to is None or m.to == to) and (from_ is None or m.from_ == from_)][:size]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return web.json_response({
            "messages": [{"sid": m.sid, "account_sid": self.account_sid, "to": m.to,
                          "from": m.from_, "messaging_service_sid": m.messaging_service_sid,
                          "body": m.body, "status": "sent", "direction": "outbound-api",
                          "date_created": m.created, "date_updated": m.created,
                          "date_sent": m.created, "num_segments": "1"} for m in found],
            "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None,
            "page": 0, "page_size": size, "start": 0, "end": max(len(found) - 1, 0),
            "uri": uri})

    async def _hang(self) -> None:
        self.held += 1
        try:
            await self._release.wait()
        finally:
            self.held -= 1
        raise web.HTTPServiceUnavailable()  # only ever seen by a sender that is gone

    # -- status callbacks ----------------------------------------------------------
    async def _post_callbacks(self, message: SentMessage) -> None:
        statuses = [s for s in self.callbacks for _ in range(self.repeat_callbacks)]
        if self.shuffle_callbacks:
            self._random.shuffle(statuses)
        for status in statuses:
            if self.callback_delay:
                await asyncio.sleep(self.callback_delay)
            await self.post_status(message, status)

    async def post_status(self, message: SentMessage, status: str,
                          error_code: int | None = None) -> int:
        """Post one signed status callback for ``message``; return the HTTP status."""
        assert message.status_callback and self._session is not None
        if self.webhook_base is None:  # never call the public URL itself
            return 0
        params = {"MessageSid": message.sid, "SmsSid": message.sid, "MessageStatus": status,
                  "SmsStatus": status, "AccountSid": self.account_sid, "To": message.to,
                  "From": message.from_ or "", "ApiVersion": "2010-04-01"}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        try:
            response_status = await post_signed(self._session, message.status_callback,
                                                params, self.auth_token, self.webhook_base)
        except aiohttp.ClientError:  # the app is down: Twilio would just give up
            response_status = 0
        message.statuses_posted.append(status)
        self.callback_responses.append(response_status)
        return response_status


def _target(public_url: str, webhook_base: str | None) -> str:
    """Where to really POST a URL Twilio would call: the local server, same path."""
    if webhook_base is None:
        return public_url
    parts = urlsplit(public_url)
    return webhook_base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


async def post_signed(session: aiohttp.ClientSession, public_url: str,
                      params: Mapping[str, str], auth_token: str,
                      webhook_base: str | None = None) -> int:
    signature = RequestValidator(auth_token).compute_signature(public_url, dict(params))
    async with session.post(_target(public_url, webhook_base), data=dict(params),
                            headers={"X-Twilio-Signature": signature}) as resp:
        await resp.read()
        return resp.status


_inbound_sids = itertools.count(1)


def inbound_params(sender: str, body: str, *, sid: str | None = None, to: str = FROM_NUMBER,
                   num_media: int = 0, account_sid: str = ACCOUNT_SID) -> dict[str, str]:
    """The form fields of an inbound SMS webhook, as Twilio sends them."""
    sid = sid or f"SM{next(_inbound_sids):032x}in"
    params = {
        "ToCountry": "US", "ToState": "MA", "SmsMessageSid": sid, "NumMedia": str(num_media),
        "ToCity": "BOSTON", "FromZip": "02108", "SmsSid": sid, "FromState": "MA",
        "SmsStatus": "received", "FromCity": "BOSTON", "Body": body, "FromCountry": "US",
        "To": to, "ToZip": "02108", "NumSegments": "1", "MessageSid": sid,
        "AccountSid": account_sid, "From": sender, "ApiVersion": "2010-04-01",
    }
    for i in range(num_media):
        params[f"MediaUrl{i}"] = f"https://api.twilio.com/media/ME{i:032x}"
        params[f"MediaContentType{i}"] = "image/jpeg"
    return params


async def post_inbound(session: aiohttp.ClientSession, server_url: str, public_url: str,
                       params: Mapping[str, str], *, auth_token: str = AUTH_TOKEN,
                       path: str = "/sms/inbound", signature: str | None = None,
                       raw_body: bytes | None = None) -> tuple[int, str]:
    """POST an inbound webhook to ``server_url + path``, signed for ``public_url + path``.

    ``signature`` overrides the computed one ('' sends none); ``raw_body``
    sends these exact bytes (signed over ``params``) for malformed-input tests.
    """
    if signature is None:
        signature = RequestValidator(auth_token).compute_signature(
            public_url.rstrip("/") + path, dict(params))
    headers = {"X-Twilio-Signature": signature} if signature else {}
    data: bytes | str = raw_body if raw_body is not None else urlencode(dict(params))
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    async with session.post(server_url.rstrip("/") + path, data=data, headers=headers) as resp:
        return resp.status, await resp.text()


# -- casecheck's SMS service wired to this fake (tests and bench) ----------------------

PUBLIC_URL = "https://sms.casecheck.example.org"


def sms_config(config: Any, fake: FakeTwilio, **overrides: Any) -> Any:
    """``config`` with the SMS channel on, talking to ``fake``; server on port 0."""
    values = {("sms", "enabled"): True, ("sms", "account_sid"): fake.account_sid,
              ("sms", "auth_token"): fake.auth_token, ("sms", "from_number"): FROM_NUMBER,
              ("sms", "public_url"): PUBLIC_URL, ("sms", "api_base_url"): fake.url,
              ("sms", "rate_per_second"): 1000.0, ("server", "port"): 0}
    values.update({tuple(k.split(".")): v for k, v in overrides.items()})
    for (section, key), value in values.items():
        config = config.replace(section, key, value)
    return config


@dataclass
class SmsRig:
    """A running casecheck Service with the SMS channel, and the fake behind it."""

    app: Any  # bot.app.App
    service: Any  # bot.server.Service
    fake: FakeTwilio
    session: aiohttp.ClientSession

    async def text(self, sender: str, body: str, **kwargs: Any) -> tuple[int, str]:
        """The person at ``sender`` texts ``body``; return the webhook's (status, text)."""
        params = inbound_params(sender, body, **kwargs)
        return await post_inbound(self.session, self.service.url, PUBLIC_URL, params,
                                  auth_token=self.fake.auth_token)

    async def texts_after(self, sender: str, body: str, count: int,
                          timeout: float = 5.0, **kwargs: Any) -> list[str]:
        """Text ``body`` and wait until ``count`` more messages reached ``sender``."""
        before = len(self.fake.texts_to(sender))
        status, _ = await self.text(sender, body, **kwargs)
        assert status == 200, status
        await self.wait_texts(sender, before + count, timeout)
        return self.fake.texts_to(sender)[before:]

    async def wait_texts(self, sender: str, count: int, timeout: float = 5.0) -> list[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.fake.texts_to(sender)) < count:
            if loop.time() > deadline:
                raise AssertionError(
                    f"{sender} got {len(self.fake.texts_to(sender))} texts, wanted {count}")
            await asyncio.sleep(0.01)
        return self.fake.texts_to(sender)

    async def idle(self, settle: float = 0.2) -> None:
        """Wait until nothing is pending in the inbox or the outbox (plus ``settle`` s)."""
        db = self.app.db
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while loop.time() < deadline:
            row = await db.fetchone(
                "SELECT (SELECT COUNT(*) FROM inbox WHERE status='pending')"
                " + (SELECT COUNT(*) FROM outbox o WHERE o.status='sending' OR"
                "    (o.status='pending' AND o.next_attempt_at <= ? AND NOT EXISTS ("
                "      SELECT 1 FROM outbox e WHERE e.channel=o.channel AND e.address=o.address"
                "      AND e.status='pending' AND e.id<o.id)))",
                (self.app.clock().isoformat(timespec="seconds"),))
            if row[0] == 0:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(settle)
        await self.fake.settle()


@asynccontextmanager
async def sms_rig(config: Any, *, clock: Any = None, fake: FakeTwilio | None = None,
                  **overrides: Any) -> AsyncIterator[SmsRig]:
    """Start the fake Twilio, an App on ``config`` and the Service; stop all after."""
    from bot.app import App
    from bot.server import Service

    fake = fake or FakeTwilio()
    await fake.start()
    app = await App.create(sms_config(config, fake, **overrides),
                           **({"clock": clock} if clock is not None else {}))
    service = Service(app, extensions=[])  # the SMS service alone, without the web console
    session = aiohttp.ClientSession()
    try:
        await service.start()
        fake.webhook_base = service.url
        yield SmsRig(app, service, fake, session)
    finally:
        await session.close()
        await service.stop()
        await fake.stop()
        await app.close()

"""Twilio's Messages API for one sender: the provider of SMS and WhatsApp, for
replies (the channels) and campaigns (``bot/outreach``) alike.

- **Sending a text** (``send``) is one direct, pre-encoded POST on a shared
  aiohttp session: twilio's ``messages.create_async`` builds a request object,
  a message instance and parses its dates for every send (about a third of a
  turn's CPU), and a send needs only the message SID back (or, on an error,
  ``code``). A template (``send_content``: WhatsApp's ContentSid) goes the same way.
- **Finding a sent message** (``find_sent``, after a crash lost our record of a
  send) uses twilio's own client: the messages to that number since then. It is
  imported and built on that first need only (``twilio_client``): about 16 MB a
  process that most never use.
- **Errors** map one way (``result_for``): retry (429, 5xx, 20429, network),
  failed (other 4xx), failed + opt-out (21610), failed + unreachable (the
  ``unreachable`` codes: WhatsApp's "not on WhatsApp"); our credentials
  refused (401/403) are retried for an operator to fix.

WhatsApp addresses are the phone number with ``prefix`` ("whatsapp:") added on
the wire only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlencode

import aiohttp

from .base import SendResult

if TYPE_CHECKING:
    from twilio.rest import Client

log = logging.getLogger(__name__)

RETRY_CODES = frozenset({20429})
OPT_OUT_CODES = frozenset({21610})
LIST_LIMIT = 50  # messages to one number looked at after a crash


def result_for(status: int | None, code: int | None,
               unreachable: frozenset[str] = frozenset()) -> SendResult:
    """The outcome of a Twilio error: HTTP ``status`` (None: no answer) and Twilio ``code``,
    labelled as twilio's library does (the code, else the HTTP status)."""
    label = str(code or status or "twilio")
    if code in OPT_OUT_CODES:
        return SendResult("failed", error_code=label, opt_out=True)
    if label in unreachable:
        return SendResult("failed", error_code=label, unreachable=True)
    if code in RETRY_CODES or status is None or status == 429 or status >= 500:
        return SendResult("retry", error_code=label)
    if status in (401, 403):  # our credentials: an operator can fix them, keep the message
        log.error("Twilio refused our credentials (HTTP %s)", status)
        return SendResult("retry", error_code=label)
    return SendResult("failed", error_code=label)


class TwilioProvider:
    """``POST /2010-04-01/Accounts/{sid}/Messages.json`` from one sender."""

    can_find_sent = True

    def __init__(self, base_url: str, account_sid: str, auth_token: str, *,
                 sender: Mapping[str, str], status_callback: str | None = None,
                 prefix: str = "", unreachable: frozenset[str] = frozenset(),
                 timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.prefix = prefix
        self.unreachable = unreachable
        self._credentials = (account_sid, auth_token)
        self._from = {key: (prefix + value if key == "From" else value)
                      for key, value in sender.items()}
        self._headers = {"Authorization": aiohttp.encode_basic_auth(account_sid, auth_token),
                         "Content-Type": "application/x-www-form-urlencoded",
                         "Accept": "application/json", "User-Agent": "casecheck"}
        callback = {"StatusCallback": status_callback} if status_callback else {}
        self._fixed = "&" + urlencode({**self._from, **callback})  # encoded once
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._http: Any = None  # twilio's HTTP client and client, made by ``find_sent``
        self._client: Client | None = None

    async def start(self) -> None:
        """Create the HTTP session inside the running loop."""
        self._session = aiohttp.ClientSession(timeout=self._timeout,
                                              connector=aiohttp.TCPConnector(limit=64))

    async def stop(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
        if self._http is not None:
            http, self._http, self._client = self._http, None, None
            await http.close()

    def form(self, address: str, body: str) -> bytes:
        return (f"To={quote_plus(self.prefix + address)}&Body={quote_plus(body)}"
                + self._fixed).encode()

    async def send(self, address: str, body: str) -> SendResult:
        """Send ``body`` to ``address``."""
        return await self._post(self.form(address, body))

    async def send_content(self, address: str, content_sid: str, variables: str,
                           *, status_callback: str | None = None) -> SendResult:
        """Send an approved template (``ContentSid``) with its variables (JSON)."""
        fields = {"To": self.prefix + address, **self._from, "ContentSid": content_sid,
                  "ContentVariables": variables}
        if status_callback:
            fields["StatusCallback"] = status_callback
        return await self._post(urlencode(fields).encode())

    async def _post(self, form: bytes) -> SendResult:
        if self._session is None:
            return SendResult("retry", error_code="not_started")
        try:
            async with self._session.post(self.url, data=form,
                                          headers=self._headers) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError):
            return SendResult("retry", error_code="network")
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            answer = {}
        if 200 <= status < 300:
            sid = answer.get("sid")  # accepted: sent, even if no SID came back
            return SendResult("sent", provider_id=sid if isinstance(sid, str) and sid else None)
        code = answer.get("code")
        return result_for(status, code if isinstance(code, int) else None, self.unreachable)

    async def find_sent(self, address: str, body: str | None,
                        since: dt.datetime) -> list[str]:
        """The SIDs of messages from our sender to ``address`` since ``since`` with this
        ``body`` (None: any body, as for a template Twilio renders itself), newest
        first (by date_created: a queued message has no date_sent yet). Raises if
        Twilio cannot be asked."""
        if self._session is None:
            raise RuntimeError("not started")
        if self._client is None:
            from .twilio_client import client
            self._http, self._client = client(*self._credentials, base_url=self.base_url,
                                              timeout=self._timeout.total)
        sender = {"from_": self._from["From"]} if "From" in self._from else {}
        messages = await self._client.messages.list_async(
            to=self.prefix + address, limit=LIST_LIMIT, **sender)
        return [str(m.sid) for m in messages
                if (body is None or m.body == body)
                and (m.date_created is None or m.date_created >= since)]

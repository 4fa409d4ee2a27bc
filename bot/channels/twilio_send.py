"""Replies to Twilio's Messages API by one direct, pre-encoded POST.

twilio's ``messages.create_async`` builds a request object, a message
instance and parses its dates for every send: about a third of a turn's CPU.
A reply needs only the message SID back, so this posts the form itself on one
shared aiohttp session (the fixed fields encoded once) and reads just ``sid``
(or, on an error, ``code``). twilio's library stays for everything else
(message lists after a crash, outreach). Errors map as ``classify`` always
did: retry (429, 5xx, 20429, network), failed (other 4xx), failed + opt-out
(21610); our credentials refused (401/403) are retried for an operator to fix.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote_plus, urlencode

import aiohttp

from .base import SendResult

log = logging.getLogger(__name__)

RETRY_CODES = frozenset({20429})
OPT_OUT_CODES = frozenset({21610})


def result_for(status: int | None, code: int | None) -> SendResult:
    """The outcome of a Twilio error: HTTP ``status`` (None: no answer) and Twilio ``code``."""
    label = str(code or (f"http-{status}" if status else "twilio"))
    if code in OPT_OUT_CODES:
        return SendResult("failed", error_code=label, opt_out=True)
    if code in RETRY_CODES or status is None or status == 429 or status >= 500:
        return SendResult("retry", error_code=label)
    if status in (401, 403):  # our credentials: an operator can fix them, keep the message
        log.error("Twilio refused our credentials (HTTP %s)", status)
        return SendResult("retry", error_code=label)
    return SendResult("failed", error_code=label)


class MessagesApi:
    """``POST /2010-04-01/Accounts/{sid}/Messages.json`` with fixed sender and callback."""

    def __init__(self, base_url: str, account_sid: str, auth_token: str, *,
                 sender: dict[str, str], status_callback: str, timeout: float = 15.0) -> None:
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._headers = {"Authorization": aiohttp.encode_basic_auth(account_sid, auth_token),
                         "Content-Type": "application/x-www-form-urlencoded",
                         "Accept": "application/json", "User-Agent": "casecheck"}
        self._fixed = "&" + urlencode({**sender, "StatusCallback": status_callback})
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self._timeout,
                                              connector=aiohttp.TCPConnector(limit=64))

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def form(self, to: str, body: str) -> bytes:
        return (f"To={quote_plus(to)}&Body={quote_plus(body)}" + self._fixed).encode()

    async def send(self, to: str, body: str) -> SendResult:
        if self._session is None:
            return SendResult("retry", error_code="not_started")
        try:
            async with self._session.post(self.url, data=self.form(to, body),
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
        return result_for(status, code if isinstance(code, int) else None)

"""twilio's own client, for what ``TwilioProvider`` does not send itself (``find_sent``).

Imported only when first needed: twilio's library is about 16 MB of a process.
"""

from __future__ import annotations

import aiohttp
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client


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


def client(account_sid: str, auth_token: str, *, base_url: str,
           timeout: float | None) -> tuple[TwilioHttp, Client]:
    """twilio's client on ``base_url``, and its HTTP client (to close)."""
    http = TwilioHttp(timeout=timeout)
    made = Client(account_sid, auth_token, http_client=http)
    made.api.base_url = base_url
    return http, made

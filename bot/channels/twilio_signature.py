"""Twilio webhook signatures, checked with one HMAC per request.

Twilio signs ``url + every form key and value`` (keys sorted, each key's
distinct values sorted) with HMAC-SHA1 under the auth token. twilio's
``RequestValidator.validate`` re-parses the URL and computes the HMAC twice
(with and without an explicit port) for every request. Here the configured
public URL is fixed, so the HMAC state after the key and the URL is computed
once per path and copied per request; the port variant is tried only if the
first one does not match (a forged request costs two, a real one one). The
comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import hmac
from hashlib import sha1
from typing import Any
from urllib.parse import urlsplit

from multidict import MultiDict


class TwilioSignature:
    """Checks ``X-Twilio-Signature`` for requests to ``public_url`` + path."""

    def __init__(self, auth_token: str, public_url: str) -> None:
        self._key = auth_token.encode("utf-8")
        self._public = public_url.rstrip("/")
        self._prefixes: dict[str, tuple[Any, ...]] = {}

    def _states(self, path: str) -> tuple[Any, ...]:
        """HMAC states over the URL as configured, then with its port toggled."""
        states = self._prefixes.get(path)
        if states is None:
            urls = [self._public + path, _port_toggled(self._public) + path]
            states = tuple(hmac.new(self._key, u.encode("utf-8"), sha1)
                           for u in dict.fromkeys(urls))
            self._prefixes[path] = states
        return states

    def valid(self, path: str, query: str, params: MultiDict[str], signature: str) -> bool:
        """True if ``signature`` is Twilio's for this path, query string and form."""
        # Sorted distinct (key, value) pairs: the keys sorted, each key's distinct
        # values sorted, in one sort (no lookup of each key's values).
        tail = ("?" + query if query else "") + "".join(
            key + value for key, value in sorted(set(params.items())))
        expected = signature.encode("utf-8", "replace")
        data = tail.encode("utf-8")
        for state in self._states(path):
            mac = state.copy()
            mac.update(data)
            if hmac.compare_digest(base64.b64encode(mac.digest()), expected):
                return True
        return False


def _port_toggled(url: str) -> str:
    """The URL with its default port made explicit, or removed if explicit
    (Twilio's signatures are known to use either form)."""
    parts = urlsplit(url)
    if parts.port is not None:
        netloc = parts.netloc.rsplit(":", 1)[0]
    else:
        netloc = f"{parts.netloc}:{443 if parts.scheme == 'https' else 80}"
    return parts._replace(netloc=netloc).geturl()

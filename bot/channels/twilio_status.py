"""Twilio's signed webhooks: reading a signed form, and one handler of status
callbacks for replies (``[sms]``/``[whatsapp] status_path``) and campaigns
(``/outreach/status``) alike.

A missing or wrong ``X-Twilio-Signature`` gets 403 and a body over 128 KB 400,
and nothing is stored; values are cleaned (``sanitize``) after the signature
check, which covers them as Twilio sent them. Status callbacks arrive
unordered and repeated: only final statuses are passed on (in batches, to an
``apply`` that writes them idempotently and never backwards), the rest add
nothing to our own 'sent'.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from multidict import MultiDict

from ..workers import Batcher
from .sanitize import BadBody, clean_text, read_body
from .twilio_signature import TwilioSignature

if TYPE_CHECKING:
    from aiohttp import web

MAX_FORM_BYTES = 128 * 1024  # a webhook's whole form; Twilio's are a few KB

StatusUpdate = tuple[str, str, str | None]  # (MessageSid, status, ErrorCode)


def parse_form(raw: bytes) -> MultiDict[str]:
    """Form fields; undecodable bytes become U+FFFD (the message is then answered
    with "could not read") instead of failing the request. As ``parse_qsl`` with
    blank values kept, but a name or value with no ``+`` or ``%`` (most of
    Twilio's) is taken as it is: every webhook and status callback is parsed."""
    pairs = []
    for field in raw.decode("utf-8", "replace").split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        pairs.append((_unquote(name), _unquote(value)))
    return MultiDict(pairs)


def _unquote(part: str) -> str:
    if "+" in part:
        part = part.replace("+", " ")
    if "%" in part:
        part = unquote(part, encoding="utf-8", errors="replace")
    return part


async def signed_form(request: web.Request, signature: TwilioSignature,
                      path: str, raw: bytes | None = None) -> MultiDict[str] | None:
    """The cleaned form fields if the Twilio signature is valid, else None; ``BadBody``
    if the body is too large. ``raw``: the body, if already read."""
    given = request.headers.get("X-Twilio-Signature")
    if not given:
        return None
    params = parse_form(raw if raw is not None else await read_body(request, MAX_FORM_BYTES))
    if not signature.valid(path, request.query_string, params, given):
        return None
    return MultiDict((key, clean_text(value)) for key, value in params.items())


_STATUS_FIELD = re.compile(rb"(?:^|&)(MessageStatus|SmsStatus)=([^&]*)")
# Twilio's statuses of an outbound message before its final one. Only these are
# answered unread: anything else (no status, an inbound "received" posted to the
# wrong path) is read in full, and without a valid signature gets 403.
INTERIM_STATUSES = frozenset({b"accepted", b"scheduled", b"queued", b"sending", b"sent"})


def is_interim(raw: bytes, final: Collection[str]) -> bool:
    """True if a callback's form names one of Twilio's interim statuses, read
    without parsing the form (as the full reading would: MessageStatus first,
    else SmsStatus)."""
    fields: dict[bytes, bytes] = {}
    for found in _STATUS_FIELD.finditer(raw):
        fields.setdefault(found.group(1), found.group(2))
    value = (fields.get(b"MessageStatus") or fields.get(b"SmsStatus") or b"").lower()
    return value in INTERIM_STATUSES and value.decode("ascii") not in final


class StatusCallbacks:
    """``POST path``: Twilio's delivery reports, final ones batched into ``apply``."""

    def __init__(self, signature: TwilioSignature, path: str, final: Collection[str],
                 apply: Callable[[list[StatusUpdate]], Awaitable[list[Any]]]) -> None:
        self.signature = signature
        self.path = path
        self.final = final
        self._batch: Batcher[StatusUpdate, Any] = Batcher(apply)

    async def handle(self, request: web.Request) -> web.Response:
        from aiohttp import web  # not at import: the workers' process serves nothing

        try:
            raw = await read_body(request, MAX_FORM_BYTES)
        except BadBody:
            return web.Response(status=400, text="request too large")
        if is_interim(raw, self.final):
            # An interim status ("queued", "sent") adds nothing to our own 'sent': it
            # is answered without parsing or checking it, as nothing is read from it
            # (two of Twilio's three callbacks per message; a forged one changes nothing).
            return web.Response(status=204)
        params = await signed_form(request, self.signature, self.path, raw)
        if params is None:
            return web.Response(status=403, text="forbidden")
        sid = params.get("MessageSid") or params.get("SmsSid")
        status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        if sid and status in self.final:
            await self._batch.submit((sid, status, params.get("ErrorCode") or None))
        return web.Response(status=204)

"""What every asynchronous channel (SMS, Telegram, ...) provides to the server.

The server (``bot/server.py``) adds each enabled channel's web routes, starts
and stops it, and the outbox worker hands it one queued message at a time
through ``send``. A channel holds no dialogue logic: it turns provider traffic
into ``Inbound`` (stored in the inbox first) and renders queued replies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from aiohttp import web


@dataclass(frozen=True)
class OutgoingMessage:
    """One outbox row, as the sender sees it."""

    id: int
    channel: str
    address: str
    body: str
    options: list[dict[str, str]]  # [{"key": "1", "label": "..."}]
    kind: str  # reply, compliance, staff, outreach, alert
    attempts: int
    locale: str | None = None  # the person's language, for channel-made text (menus, MORE)


@dataclass(frozen=True)
class SendResult:
    """What happened to one send attempt.

    - ``sent``: the provider accepted it (``provider_id`` set).
    - ``retry``: transient (429, 5xx, network): try again after ``retry_after`` seconds.
    - ``held``: may not leave now (WhatsApp's 24-hour window); it waits for the
      person's next message.
    - ``failed``: permanent; ``error_code`` says why. ``opt_out`` records an
      opt-out for the address (Twilio 21610); ``unreachable`` marks the contact
      unreachable on this channel (Telegram Forbidden).
    """

    outcome: Literal["sent", "retry", "failed", "held"]
    provider_id: str | None = None
    error_code: str | None = None
    retry_after: float | None = None
    opt_out: bool = False
    unreachable: bool = False


class Channel(Protocol):
    name: str  # its registry name (bot/channels/registry.py): the outbox.channel it sends

    def routes(self) -> list[web.RouteDef]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, message: OutgoingMessage) -> SendResult: ...

"""What every asynchronous channel (SMS, Telegram, ...) provides to the server.

The server (``bot/server.py``) adds each enabled channel's web routes, starts
and stops it, and the outbox worker hands it one queued message at a time
through ``send``. A channel holds no dialogue logic: it turns provider traffic
into ``Inbound`` (stored in the inbox first) and renders queued replies.

What a channel may do besides is declared by the protocols below, and the
server and workers wire exactly those: ``FindsSent`` (ask the provider, after a crash, whether a
row was accepted), ``NeedsWakeup`` (it stores messages outside a web request)
and ``SendsOnly`` (a lighter start for the workers' process).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from aiohttp import web

    from ..workers.wakeup import Wakeup


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

    ``more`` is the rest of a long reply that did not fit (SMS): kept on the row
    with the result, in one transaction, for the person's MORE.
    """

    outcome: Literal["sent", "retry", "failed", "held"]
    provider_id: str | None = None
    error_code: str | None = None
    retry_after: float | None = None
    opt_out: bool = False
    unreachable: bool = False
    more: str | None = None


class Channel(Protocol):
    name: str  # its registry name (bot/channels/registry.py): the outbox.channel it sends

    def routes(self) -> list[web.RouteDef]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, message: OutgoingMessage) -> SendResult: ...


@runtime_checkable
class FindsSent(Protocol):
    """Can ask its provider what it accepted (SMS: Twilio's message list)."""

    async def find_sent(self, message: OutgoingMessage, since: dt.datetime) -> list[str]:
        """The provider ids of messages sent for ``message`` since ``since``, newest
        first; raises if the provider cannot be asked."""
        ...


@runtime_checkable
class NeedsWakeup(Protocol):
    """Stores messages outside a web request (Telegram polling, staff alerts)."""

    def use_wakeup(self, wakeup: Wakeup) -> None: ...


@runtime_checkable
class SendsOnly(Protocol):
    """Has a lighter start for a process that only sends (no polling, no webhook)."""

    async def start_sending(self) -> None: ...

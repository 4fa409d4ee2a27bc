"""A new channel is one module plus one registry entry.

``ToyChannel`` below is that module: a channel whose provider is an in-process
sink. Registered in the App's registry (``BUILTIN.with_channel``), and with no
other change to bot/ or handlers/, a message it receives goes through the
real inbox worker, dialogue and outbox worker, and the reply comes back to it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.app import App
from bot.channels.base import NeedsWakeup, OutgoingMessage, SendResult
from bot.channels.registry import BUILTIN, SMS, ChannelSpec
from bot.clock import iso
from bot.model import Inbound
from bot.server import Service
from bot.storage import inbox
from bot.workers import Wakeup


class ToyChannel:
    """The whole channel: inbound into the inbox, replies out to ``delivered``."""

    name = "toy"

    def __init__(self, app: App) -> None:
        self.app = app
        self.wakeup: Wakeup | None = None
        self.delivered: asyncio.Queue[OutgoingMessage] = asyncio.Queue()

    def routes(self) -> list[web.RouteDef]:
        return []

    def use_wakeup(self, wakeup: Wakeup) -> None:
        self.wakeup = wakeup

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def receive(self, address: str, text: str, provider_id: str) -> None:
        """A message from the provider: stored durably, then the inbox worker woken."""
        await inbox.store_many(self.app.db, [Inbound(self.name, address, text,
                                                     provider_id=provider_id)],
                               iso(self.app.clock()))
        assert self.wakeup is not None
        self.wakeup.inbox.set()

    async def send(self, message: OutgoingMessage) -> SendResult:
        await self.delivered.put(message)
        return SendResult("sent", provider_id=f"toy-{message.id}")


TOY = ChannelSpec("toy", "Toy", enabled=True, channel=ToyChannel)


async def test_a_channel_defined_here_runs_through_the_dialogue_and_the_outbox(config):
    app = await App.create(config.replace("server", "port", 0),
                           channels=BUILTIN.with_channel(TOY))
    service = Service(app, extensions=[])
    try:
        [channel] = service.channels  # built from the registry: SMS and the rest are off
        assert isinstance(channel, ToyChannel) and isinstance(channel, NeedsWakeup)
        await service.start()
        await channel.receive("toy-user-1", "hello", "toy-in-1")
        reply = await asyncio.wait_for(channel.delivered.get(), 10)
        assert reply.channel == "toy" and reply.address == "toy-user-1"
        assert reply.options  # the welcome's choices, for the channel to render
        await channel.receive("toy-user-1", "hello", "toy-in-1")  # the provider retried
        await asyncio.sleep(0.5)
        assert channel.delivered.empty()  # deduplicated by the provider's id
        await asyncio.sleep(0.1)  # the send's result is recorded in a batch
        rows = await app.db.fetchall("SELECT status, provider_id FROM outbox WHERE channel='toy'")
        done = await app.db.fetchone("SELECT status FROM inbox WHERE channel='toy'")
        said = await app.db.fetchall(
            "SELECT m.direction FROM messages m JOIN contacts c ON c.person_id = m.person_id"
            " WHERE c.channel='toy' AND c.address='toy-user-1' ORDER BY m.id")
    finally:
        await service.stop()
        await app.close()
    assert [tuple(r) for r in rows] == [("sent", f"toy-{reply.id}")]
    assert done[0] == "done"
    assert [r[0] for r in said][:2] == ["in", "out"]


async def test_the_registry_answers_what_modules_used_to_spell_out(config):
    channels = BUILTIN.with_channel(TOY)
    assert channels.queued("toy") and channels.queued(SMS.name)
    assert not channels.queued("console") and not channels.queued("unknown")
    assert channels.linking() == {"telegram", "whatsapp"}
    assert channels.phone_channels() == ("sms", "whatsapp")
    assert channels.outreach_channels() == ("sms", "telegram", "whatsapp")
    assert channels.rate("toy", config) == 1.0
    assert channels.rate(SMS.name, config) == config.sms.rate_per_second
    assert channels.render(SMS.name, "“quoted”") == '"quoted"'
    assert channels.render("toy", "“quoted”") == "“quoted”"
    assert [s.name for s in channels.enabled(config)] == ["toy"]
    enabled: Any = config.replace("sms", "enabled", True)
    assert [s.name for s in channels.enabled(enabled)] == ["sms", "toy"]

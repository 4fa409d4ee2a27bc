"""The dialogue engine: load a person's state, route to handlers, save the turn.

``handlers.route`` (the one way into ``handlers/``) decides what happens to the
message: its ordered interceptors (``handlers/flow.py``) are read in one place.

``Dialogue.handle(inbound)`` is the one entry point every channel uses. The
state, the transcript, the handlers' effects (audit, escalations, attempts,
opt-outs), the outbox rows for asynchronous channels and the inbox row's
"done" mark are written in one transaction: a crash either loses the whole
turn (and the inbox row is processed again) or none of it. A turn without
handler effects commits together with the turns finishing at the same time
(``Database.write_grouped``): one fsync for all of them.
"""

from __future__ import annotations

import logging

import handlers

from .channels.registry import BUILTIN, Registry
from .clock import Clock, utcnow
from .config import Config
from .content import ContentPack
from .context import Context
from .i18n import Translator
from .model import Inbound, Turn
from .outreach import replies
from .services import Services
from .storage import Database, Write, effects, inbox, outbox, people, turn_reads
from .understanding.protocol import Understands

log = logging.getLogger(__name__)

class Dialogue:
    def __init__(self, db: Database, config: Config, translator: Translator,
                 content: ContentPack, *, clock: Clock = utcnow,
                 understanding: Understands | None = None,
                 channels: Registry = BUILTIN) -> None:
        self.db = db
        self.config = config
        self.translator = translator
        self.content = content
        content.translator = translator
        self.services = Services(db, config)
        self.understanding: Understands = understanding or handlers.Understanding(content)
        self.clock = clock
        self.channels = channels  # whose replies leave through the outbox

    async def handle(self, inbound: Inbound, *, inbox_id: int | None = None) -> Turn:
        now = self.clock()
        stamp = now.isoformat(timespec="seconds")
        reads = await turn_reads.load(self.db, inbound.channel, inbound.address,
                                      replies.window_start(self.config, now))
        state = await people.state_of(self.db, reads.state, inbound.channel,
                                      inbound.address, stamp)
        ctx = Context(
            inbound=inbound, state=state, config=self.config, translator=self.translator,
            content=self.content, services=self.services,
            understanding=self.understanding, now=now, reads=reads,
            opted_out=reads.opted_out,
        )
        await handlers.route(ctx)
        message = ([people.message_write(state.person_id, "in", inbound.channel,
                                         ctx.heard or inbound.text, stamp)]
                   if ctx.transcribed else [])
        if not ctx.effects:  # the common turn: its writes join concurrent turns' commit
            await self.db.write_grouped([*message, *self._writes(ctx, inbox_id, stamp)])
        else:
            async with self.db.transaction() as tx:
                # They may read or erase the transcript: it has this message first.
                await tx.run(message)
                await effects.apply(tx, ctx.effects, stamp)
                await tx.run(self._writes(ctx, inbox_id, stamp))
        log.info("turn channel=%s step=%s replies=%d", inbound.channel, state.step,
                 0 if ctx.silent else len(ctx.replies))
        return Turn([] if ctx.silent else ctx.replies, state.awaiting, ctx.locale)

    def _writes(self, ctx: Context, inbox_id: int | None, stamp: str) -> list[Write]:
        """The end of a turn: the state, the replies (transcript, outbox), the inbox row done."""
        inbound, state = ctx.inbound, ctx.state
        writes = people.state_writes(state, inbound.channel, stamp)
        if not ctx.silent and ctx.replies:
            if ctx.transcribed:
                writes += people.reply_writes(state.person_id, inbound.channel,
                                              [reply.text for reply in ctx.replies], stamp)
            if self.channels.queued(inbound.channel):  # the console prints its own
                messages = self.channels.compose(inbound.channel, ctx.replies,
                                                 first=state.is_new)
                writes += outbox.enqueue_writes(
                    inbound.channel, inbound.address, messages, stamp,
                    person_id=state.person_id, inbox_id=inbox_id, kind=ctx.reply_kind)
        if inbox_id is not None:
            writes.append(inbox.done_write(inbox_id, stamp))
        return writes

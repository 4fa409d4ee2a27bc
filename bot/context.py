"""What a dialogue handler sees: the message, the person's state, and a way to answer.

Handlers read through ``ctx.services`` and record writes as effects
(``ctx.effect``); the engine applies the effects, the new state, the
transcript and the outbox in one transaction, so a crash never leaves half a
turn behind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import Inbound, Option, Reply
from .storage.effects import Audit, Effect
from .storage.people import State

if TYPE_CHECKING:
    from .config import Config
    from .content import ContentPack
    from .i18n import Translator
    from .services import Services
    from .storage.turn_reads import TurnReads
    from .understanding.protocol import Understands

@dataclass
class Context:
    inbound: Inbound
    state: State
    config: Config
    translator: Translator
    content: ContentPack
    services: Services
    understanding: Understands  # what free text means (the App's, model loaded once)
    now: dt.datetime
    reads: TurnReads  # what the turn read before its handlers ran (``storage.turn_reads``)
    opted_out: bool = False
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    silent: bool = False  # answer nothing at all (e.g. opted out)
    reply_kind: str = "reply"  # 'compliance' replies go out even to an opted-out number
    heard: str | None = None  # the transcript's note of the message, when not its text
    transcribed: bool = True  # False: the transcript stays as it was (MORE)

    # -- language -------------------------------------------------------
    @property
    def locale(self) -> str:
        return self.state.locale or self.config.dialogue.default_locale

    def _(self, msgid: str, **kwargs: Any) -> str:
        """Translate a UI message into the person's language."""
        return self.translator.gettext(self.locale, msgid, **kwargs)

    def n_(self, singular: str, plural: str, n: int, **kwargs: Any) -> str:
        return self.translator.ngettext(self.locale, singular, plural, n, **kwargs)

    # -- answering ------------------------------------------------------
    def say(self, text: str, options: list[tuple[str, str]] | None = None) -> None:
        self.replies.append(Reply(text, [Option(k, v) for k, v in (options or [])]))

    def ask(self, awaiting: str | None, step: str | None = None) -> None:
        """Set what the bot waits for next (a slot name of the console JSON protocol)."""
        self.state.awaiting = awaiting
        self.state.step = step or awaiting

    @property
    def slots(self) -> dict[str, Any]:
        return self.state.slots

    def effect(self, fx: Effect) -> None:
        """A write for this turn's transaction (``storage.effects``)."""
        self.effects.append(fx)

    def audit(self, action: str, outcome: str | None = None, case_id: int | None = None,
              detail: str | None = None) -> None:
        """Record an audit entry in this turn's transaction (never personal data)."""
        self.effect(Audit(action, outcome, self.state.person_id, case_id, detail))

    @property
    def sender_key(self) -> str:
        """The rate-limit key of whoever sent this message."""
        return f"sender:{self.inbound.channel}:{self.inbound.address}"

    @property
    def now_iso(self) -> str:
        return self.now.astimezone(dt.UTC).isoformat(timespec="seconds")

"""The app factory: one place that builds config, database, catalogs and dialogue.

No module globals: each command and each test builds its own ``App``. The
dialogue (handlers, the understanding model, numpy) is imported and built on
first use: the web process of ``casecheck run`` never has a turn to run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .channels.registry import BUILTIN, Registry
from .clock import Clock, utcnow
from .config import Config
from .content import ContentPack
from .i18n import Translator, offered_locales
from .storage import Database, open_database

if TYPE_CHECKING:
    from .dialogue import Dialogue
    from .understanding.protocol import Understands


@dataclass
class App:
    config: Config
    db: Database
    translator: Translator
    content: ContentPack
    clock: Clock
    channels: Registry = BUILTIN  # the channels it knows (bot/channels/registry.py)
    understanding: Understands | None = None  # shared by the dialogue if given

    @functools.cached_property
    def dialogue(self) -> Dialogue:
        from .dialogue import Dialogue
        return Dialogue(self.db, self.config, self.translator, self.content,
                        clock=self.clock, understanding=self.understanding,
                        channels=self.channels)

    @classmethod
    async def create(cls, config: Config, *, clock: Clock = utcnow,
                     db_path: str | None = None,
                     understanding: Understands | None = None,
                     channels: Registry = BUILTIN) -> App:
        """Build an App; ``understanding`` lets apps of one content pack share the
        learned model (tests do), else the App loads its own on first use."""
        content = ContentPack.load(config.content.pack)
        translator = Translator(offered_locales(config), extra_dirs=[(content.path, "content")])
        content.translator = translator
        db = await open_database(config.storage, path=db_path)
        return cls(config, db, translator, content, clock, channels, understanding)

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> App:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


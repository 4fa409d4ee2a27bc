"""The app factory: one place that builds config, database, catalogs and dialogue.

No module globals: each command and each test builds its own ``App``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .channels.registry import BUILTIN, Registry
from .clock import Clock, utcnow
from .config import Config
from .content import ContentPack
from .dialogue import Dialogue
from .i18n import Translator, offered_locales
from .storage import Database, open_database

if TYPE_CHECKING:
    from .understanding.protocol import Understands


@dataclass
class App:
    config: Config
    db: Database
    translator: Translator
    content: ContentPack
    dialogue: Dialogue
    clock: Clock
    channels: Registry = BUILTIN  # the channels it knows (bot/channels/registry.py)

    @classmethod
    async def create(cls, config: Config, *, clock: Clock = utcnow,
                     db_path: str | None = None,
                     understanding: Understands | None = None,
                     channels: Registry = BUILTIN) -> App:
        """Build an App; ``understanding`` lets apps of one content pack share the
        learned model (tests do), else the App loads its own on first use."""
        content = ContentPack.load(config.content.pack)
        translator = Translator(offered_locales(config), extra_dirs=[(content.path, "content")])
        db = await open_database(config.storage, path=db_path)
        dialogue = Dialogue(db, config, translator, content, clock=clock,
                            understanding=understanding, channels=channels)
        return cls(config, db, translator, content, dialogue, clock, channels)

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> App:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


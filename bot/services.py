"""Read-side services the handlers use: registry lookups, attempt counts, escalations.

Handlers never run SQL; they call these, and record writes as effects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import aiosqlite

from .config import Config
from .storage import Database
from .storage import optouts as optouts_store


class Services:
    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config

    async def is_opted_out(self, channel: str, address: str) -> bool:
        return await optouts_store.is_opted_out(self.db, channel, address)

    async def case(self, case_id: int) -> aiosqlite.Row | None:
        return await self.db.fetchone("SELECT * FROM cases WHERE id=?", (case_id,))

    def window_start(self, now: dt.datetime) -> str:
        hours = self.config.privacy.attempt_window_hours
        return (now - dt.timedelta(hours=hours)).astimezone(dt.UTC).isoformat(timespec="seconds")

    async def failed_attempts(self, key: str, now: dt.datetime) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM lookup_attempts WHERE key=? AND success=0 AND at>=?",
            (key, self.window_start(now)))
        return int(row[0]) if row else 0

    async def extra(self, name: str, *args: Any) -> Any:  # pragma: no cover - placeholder
        raise NotImplementedError(name)

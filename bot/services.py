"""Read-side services the handlers use: registry lookups, attempt counts, escalations.

Handlers never run SQL; they read through these and record writes as effects
(``ctx.effect``), which the engine applies in the turn's transaction. One write
cannot wait for the turn: a lookup attempt is reserved (``reserve_attempt``) in
its own transaction before the registry is read, so concurrent turns count it.
"""

from __future__ import annotations

import datetime as dt

from .config import Config
from .i18n import offered_locales
from .langdetect import Detection, LazyDetector
from .storage import Database, Row, attempts, cases, escalations
from .storage import optouts as optouts_store
from .storage.records import Case, Escalation


class Services:
    def __init__(self, db: Database, config: Config) -> None:
        self.db = db
        self.config = config
        self.languages = LazyDetector(offered_locales(config))  # model loaded on first need

    async def detect_language(self, text: str) -> Detection:
        """The offered locale a message is confidently written in (``locale`` None if unsure)."""
        return await self.languages.detect(text)

    async def is_opted_out(self, channel: str, address: str) -> bool:
        return await optouts_store.is_opted_out(self.db, channel, address)

    # -- registry -------------------------------------------------------
    async def case(self, case_id: int) -> Case | None:
        return await cases.get(self.db, case_id)

    async def cases_by_docket(self, docket: str) -> list[Case]:
        return await cases.by_docket(self.db, docket)

    async def case_by_notice(self, code_hash: str) -> Case | None:
        return await cases.by_notice_hash(self.db, code_hash)

    async def cases_by_dob(self, dob_iso: str) -> list[Case]:
        return await cases.by_dob(self.db, dob_iso)

    async def other_cases(self, case: Row) -> list[Case]:
        """Cases sharing a verified key with ``case`` (``cases.same_person``)."""
        return await cases.same_person(self.db, case)

    # -- rate limit -----------------------------------------------------
    def window_start(self, now: dt.datetime) -> str:
        hours = self.config.privacy.attempt_window_hours
        return (now - dt.timedelta(hours=hours)).astimezone(dt.UTC).isoformat(timespec="seconds")

    async def failed_attempts(self, key: str, now: dt.datetime) -> int:
        return await attempts.failures_since(self.db, key, self.window_start(now))

    async def locked(self, key: str, now: dt.datetime) -> bool:
        return await self.failed_attempts(key, now) >= self.config.privacy.max_attempts

    async def reserve_attempt(self, keys: list[str], now: dt.datetime) -> attempts.Reservation:
        """Count and write one lookup attempt for every key at once (see ``attempts``)."""
        return await attempts.reserve(self.db, keys, self.config.privacy.max_attempts,
                                      self.window_start(now),
                                      now.astimezone(dt.UTC).isoformat(timespec="seconds"))

    # -- escalations ----------------------------------------------------
    async def open_escalation(self, person_id: int) -> Escalation | None:
        return await escalations.open_for_person(self.db, person_id)

    async def escalation_ref_taken(self, ref: str) -> bool:
        return await escalations.ref_exists(self.db, ref)

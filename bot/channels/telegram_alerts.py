"""Staff alerts: each new escalation is announced in the Telegram staff chat.

A small watcher polls the escalations table and queues one outbox row (kind
``alert``) per new escalation for ``[telegram] staff_chat_id``. The alert
says only what staff need to pick it up: the reference, the person's
language, the channel and how long it has waited. Never a name, a docket
number or anything the person wrote.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from babel import Locale, UnknownLocaleError
from babel.dates import format_timedelta

from ..app import App
from ..clock import iso
from ..storage import Row
from ..storage import telegram as tg_store
from .telegram_render import N_

log = logging.getLogger(__name__)

ALERT = N_("New request for a lawyer\nReference: {ref}\nLanguage: {language}\n"
           "Channel: {channel}\nWaiting: {age}")


def alert_text(app: App, row: Row, now: dt.datetime) -> str:
    """The alert for one escalation row (ref, locale, channel, created_at), in the
    staff's language (``[dialogue] default_locale``)."""
    staff = app.config.dialogue.default_locale
    try:
        language = Locale.parse(row["locale"]).get_display_name(staff) or row["locale"]
    except (ValueError, TypeError, UnknownLocaleError):
        language = str(row["locale"])
    try:
        age = now - dt.datetime.fromisoformat(row["created_at"])
    except (ValueError, TypeError):
        age = dt.timedelta(0)
    return app.translator.gettext(
        staff, ALERT, ref=row["ref"], language=language,
        channel=app.channels.labels().get(row["channel"], row["channel"]),
        age=format_timedelta(max(age, dt.timedelta(0)), locale=staff))


class StaffAlerts:
    # Alerts queued per check at most; escalations read per query while catching up.
    PER_CHECK = 50
    READ = 500

    def __init__(self, app: App, chat_id: int, *, interval: float = 5.0,
                 on_queued: Callable[[], None] = lambda: None) -> None:
        self.app = app
        self.chat_id = chat_id
        self.interval = interval
        self.on_queued = on_queued
        self._since: str | None = None
        self._after = 0  # every escalation up to this id is announced or not due

    async def check(self) -> int:
        """Queue alerts for escalations not yet announced; return how many."""
        now = self.app.clock()
        if self._since is None:
            self._since = await tg_store.alerts_since(self.app.db, iso(now))
        queued, more = 0, True
        while more and queued < self.PER_CHECK:
            rows = await tg_store.escalations_after(self.app.db, self._after, self._since,
                                                    self.READ)
            more = len(rows) == self.READ
            for row in rows:
                if row["due"]:
                    if queued == self.PER_CHECK or not await tg_store.queue_alert(
                            self.app.db, row["ref"], self.chat_id,
                            alert_text(self.app, row, now), iso(now)):
                        # Read this row again next time (the id of an escalation whose
                        # turn rolled back comes back with the next escalation).
                        more = False
                        break
                    queued += 1
                self._after = row["id"]
        if queued:
            self.on_queued()
        return queued

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception as exc:  # the database may be busy or closing: try again later
                log.error("staff alerts: check failed (%s)", type(exc).__name__)
            await asyncio.sleep(self.interval)

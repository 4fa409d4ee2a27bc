"""Shared helpers of the outreach tests (and the outreach benchmark); no tests here.

- ``write_cases`` / ``import_cases``: a registry of made-up cases, loaded with the
  real importer (phones +1617500xxxx, in the 555-free test range of this suite).
- ``MovingClock``: the App clock that runs with real time from a chosen moment
  and can jump (quiet hours), so retries and leases still see time pass.
- ``outreach_config``: config with SMS pointed at a fake Twilio and fast outreach.
- ``outreach_rig``: ``casecheck run``'s service with the SMS channel and outreach.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import App
from bot.registry.importer import import_csv
from bot.server import Service
from bot.storage import Database
from tests.fakes.twilio_api import FakeTwilio, SmsRig, sms_config

COLUMNS = ("docket_number", "court", "last_name", "first_name", "date_of_birth", "lab",
           "status", "status_date", "phone", "language", "notice_code")
LABS = ("Hinton", "Amherst")
STATUSES = ("dismissed", "dismissed", "pending", "under_review")
# 10:00 in Boston on a Wednesday: inside the default 08:00-21:00 window.
DAYTIME = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


def phone(i: int) -> str:
    return f"+1617{5_000_000 + i:07d}"


def case_row(i: int, language: str) -> dict[str, str]:
    return {"docket_number": f"{i % 90 + 10:02d}01CR{i:06d}",
            "court": "Boston Municipal Court" if i % 2 else "Springfield District Court",
            "last_name": f"Person{i}", "first_name": "Test",
            "date_of_birth": f"19{60 + i % 40:02d}-0{1 + i % 9}-1{i % 10}",
            "lab": LABS[i % 2], "status": STATUSES[i % len(STATUSES)],
            "status_date": "2017-04-19", "phone": phone(i), "language": language,
            "notice_code": ""}


def write_cases(path: Path, n: int, languages: tuple[str, ...] = ("en", "es")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        for i in range(n):
            writer.writerow(case_row(i, languages[i % len(languages)]))
    return path


async def import_cases(db: Database, tmp: Path, n: int,
                       languages: tuple[str, ...] = ("en", "es")) -> None:
    report = await import_csv(db, write_cases(tmp / "cases.csv", n, languages),
                              now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert report.inserted == n, report


class MovingClock:
    """Real time, shifted to start at ``start``; ``jump`` moves it on."""

    def __init__(self, start: dt.datetime = DAYTIME) -> None:
        self._offset = start - dt.datetime.now(dt.UTC)
        self._t0 = time.monotonic()

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self._offset

    def jump(self, **kwargs: float) -> None:
        self._offset += dt.timedelta(**kwargs)

    def set(self, moment: dt.datetime) -> None:
        self._offset = moment - dt.datetime.now(dt.UTC)


def outreach_config(config: Any, fake: FakeTwilio, **overrides: Any) -> Any:
    values = {"outreach.sms_rate_per_second": 500.0, "outreach.retry_seconds": 0.05,
              "outreach.telegram_rate_per_second": 100.0}
    values.update(overrides)
    return sms_config(config, fake, **values)


@asynccontextmanager
async def outreach_rig(config: Any, clock: Any, tmp: Path, cases: int,
                       **overrides: Any) -> AsyncIterator[SmsRig]:
    """The fake Twilio, an App with ``cases`` cases, and the Service with the SMS channel
    and the outreach extension (the sender and /outreach/status), as ``casecheck run``
    serves them. (Cases are imported first: the importer wants the connection alone.)"""
    fake = FakeTwilio()
    await fake.start()
    app = await App.create(outreach_config(config, fake, **overrides), clock=clock)
    await import_cases(app.db, tmp, cases)
    service = Service(app, extensions=["bot.outreach.service:setup"])
    session = aiohttp.ClientSession()
    try:
        await service.start()
        fake.webhook_base = service.url
        yield SmsRig(app, service, fake, session)
    finally:
        await session.close()
        await service.stop()
        await fake.stop()
        await app.close()

"""Sending campaigns: the real sender and the real twilio client against the fake Twilio."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import iso
from bot.outreach import campaigns
from bot.outreach.providers import SmsProvider
from bot.outreach.sender import Sender
from bot.storage import cases as cases_store
from bot.storage import optouts
from bot.storage import outreach as store
from tests.conftest import both_engines
from tests.fakes.twilio_api import FakeTwilio
from tests.test_outreach_support import MovingClock, import_cases, outreach_config, phone

pytestmark = both_engines

EN_START = "has news that may matter to you"
ES_START = "tiene noticias que pueden ser importantes"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as server:
        yield server


@pytest.fixture
def moving() -> MovingClock:
    return MovingClock()


async def make_app(config: Any, fake: FakeTwilio, clock: MovingClock, **overrides: Any) -> App:
    return await App.create(outreach_config(config, fake, **overrides), clock=clock)


@pytest.fixture
async def app(config: Any, fake: FakeTwilio, moving: MovingClock) -> AsyncIterator[App]:
    application = await make_app(config, fake, moving)
    try:
        yield application
    finally:
        await application.close()


async def new_campaign(app: App, **filters: Any) -> int:
    draft = campaigns.validate(app, name="Test campaign", **filters)
    campaign_id = await campaigns.create(app, draft, "test")
    assert await campaigns.launch(app, campaign_id, "test") is not None
    return campaign_id


async def send_all(app: App, campaign_id: int, **kwargs: Any) -> str:
    sender = Sender(app, **kwargs)
    try:
        return await asyncio.wait_for(sender.run_campaign(campaign_id), 30)
    finally:
        await sender.close()


def per_number(fake: FakeTwilio) -> Counter[str]:
    return Counter(m.to for m in fake.messages)


async def opt_out(app: App, number: str, reason: str = "stop") -> None:
    async with app.db.transaction() as conn:
        await optouts.opt_out(conn, "sms", number, reason, iso(app.clock()))


async def test_a_few_hundred_people_each_get_it_once_in_their_language(app, fake, tmp_path):
    await import_cases(app.db, tmp_path, 400, languages=("en", "es", "vi", "es"))
    opted = {phone(i) for i in range(0, 400, 25)}  # 16 people said STOP before
    for number in opted:
        await opt_out(app, number)
    async with app.db.transaction() as conn:
        await cases_store.mark_phone_wrong(conn, phone(9))
    campaign_id = await new_campaign(app, statuses=["dismissed"])
    late = phone(5)  # says STOP after the launch, before its turn: checked when sending
    await opt_out(app, late)

    assert await send_all(app, campaign_id) == "done"

    audience = {phone(i) for i in range(400) if i % 4 in (0, 1)}  # dismissed cases
    expected = audience - opted - {phone(9), late}
    counts = per_number(fake)
    assert set(counts) == expected and set(counts.values()) == {1}
    texts = {m.to: m.body for m in fake.messages}
    # es (i % 4 == 1 or 3) in Spanish; en and vi (not shipped) in English
    assert all(ES_START in texts[phone(i)] for i in range(400) if phone(i) in expected
               and i % 4 == 1)
    assert all(EN_START in texts[phone(i)] for i in range(400) if phone(i) in expected
               and i % 4 == 0)
    progress = await store.progress(app.db, campaign_id)
    assert progress["sent"] == len(expected) and progress["queued"] == 0
    assert progress["skipped"] == 1  # the late opt-out; the others were never recipients
    assert progress["opted_out"] == 1
    campaign = await store.get(app.db, campaign_id)
    assert campaign["state"] == "done" and campaign["runner"] is None


async def test_a_second_campaign_skips_people_already_reached(app, fake, tmp_path):
    await import_cases(app.db, tmp_path, 20)
    first = await new_campaign(app, labs=["Hinton"])
    assert await send_all(app, first) == "done"
    second = await new_campaign(app)
    assert await send_all(app, second) == "done"
    assert set(per_number(fake).values()) == {1} and len(fake.messages) == 20
    again = await new_campaign(app, include_reached=True, languages=["es"])
    assert await store.count(app.db, again) == 10


async def test_rate_is_held_and_never_exceeded(config, fake, moving, tmp_path):
    app = await make_app(config, fake, moving, **{"outreach.sms_rate_per_second": 50.0})
    try:
        await import_cases(app.db, tmp_path, 101)
        campaign_id = await new_campaign(app)
        started = time.monotonic()
        assert await send_all(app, campaign_id) == "done"
        elapsed = time.monotonic() - started
    finally:
        await app.close()
    assert len(fake.messages) == 101
    assert elapsed >= 100 / 50  # 101 sends need 100 intervals: never above the rate
    assert elapsed < 100 / 50 / 0.95 + 1.5  # and close to it (start-up, end, a busy CI)


async def test_quiet_hours_wait_for_the_morning(app, fake, moving, tmp_path):
    await import_cases(app.db, tmp_path, 10)
    moving.set(dt.datetime(2026, 11, 26, 2, 30, tzinfo=dt.UTC))  # 21:30 in Boston
    campaign_id = await new_campaign(app)
    sender = Sender(app)
    task = asyncio.create_task(sender.run_campaign(campaign_id))
    try:
        await asyncio.sleep(1.0)
        assert fake.messages == []
        assert (await store.get(app.db, campaign_id))["state"] == "running"
        moving.set(dt.datetime(2026, 11, 26, 12, 59, 59, tzinfo=dt.UTC))  # 07:59:59
        await asyncio.sleep(0.5)
        assert fake.messages == []
        moving.set(dt.datetime(2026, 11, 26, 13, 0, 1, tzinfo=dt.UTC))  # 08:00:01
        assert await asyncio.wait_for(task, 10) == "done"
    finally:
        task.cancel()
        await sender.close()
    assert len(fake.messages) == 10


async def test_a_429_storm_slows_down_and_sends_each_once(app, fake, tmp_path):
    await import_cases(app.db, tmp_path, 60)
    fake.fail_next(429, times=25)
    fake.fail_next(429, 20429, times=10)
    fake.fail_next(503, times=5)
    campaign_id = await new_campaign(app)
    assert await send_all(app, campaign_id) == "done"
    assert len(fake.messages) == 60 and set(per_number(fake).values()) == {1}
    assert fake.attempts == 60 + 40
    row = await app.db.fetchone(
        "SELECT MAX(attempts) FROM outreach_recipients WHERE campaign_id=?", (campaign_id,))
    assert row[0] > 1


async def test_permanent_errors_are_recorded_and_21610_is_an_opt_out(app, fake, tmp_path):
    await import_cases(app.db, tmp_path, 3, languages=("en",))
    fake.fail_next(400, 21610)
    fake.fail_next(400, 21211)
    campaign_id = await new_campaign(app)
    assert await send_all(app, campaign_id) == "done"
    rows = await app.db.fetchall(
        "SELECT address, state, reason FROM outreach_recipients WHERE campaign_id=? ORDER BY id",
        (campaign_id,))
    # Sends run concurrently, so which recipient meets which failure is not fixed.
    outcome = {(r["state"], r["reason"]): r["address"] for r in rows}
    assert sorted(outcome, key=str) == sorted(
        [("skipped", "opted_out"), ("failed", "21211"), ("sent", None)], key=str)
    assert await optouts.is_opted_out(app.db, "sms", outcome[("skipped", "opted_out")])
    assert not await optouts.is_opted_out(app.db, "sms", outcome[("failed", "21211")])
    assert [m.to for m in fake.messages] == [outcome[("sent", None)]]


async def test_transient_errors_give_up_after_max_attempts(config, fake, moving, tmp_path):
    app = await make_app(config, fake, moving, **{"outreach.max_attempts": 3})
    try:
        await import_cases(app.db, tmp_path, 1)
        fake.fail_next(500, times=3)
        campaign_id = await new_campaign(app)
        assert await send_all(app, campaign_id) == "done"
        row = await app.db.fetchone(
            "SELECT state, reason, attempts FROM outreach_recipients WHERE campaign_id=?",
            (campaign_id,))
    finally:
        await app.close()
    assert tuple(row) == ("failed", "500", 3)
    assert fake.messages == []


async def test_a_send_accepted_but_not_recorded_is_reconciled_not_resent(app, fake, tmp_path):
    """What a kill -9 between Twilio's answer and our commit leaves behind."""
    await import_cases(app.db, tmp_path, 30, languages=("en",))
    campaign_id = await new_campaign(app)
    claimed = await store.claim(app.db, campaign_id, "sms", iso(app.clock()), 5)
    provider = SmsProvider(app.config)
    await provider.start()
    texts = await campaigns.preview(app, campaign_id)
    accepted = await provider.send(claimed[0]["address"], texts.locales[0].text)
    await provider.stop()
    assert accepted.kind == "sent"  # ... and the process died here: 5 rows 'sending'

    assert await send_all(app, campaign_id) == "done"
    assert len(fake.messages) == 30 and set(per_number(fake).values()) == {1}
    row = await app.db.fetchone("SELECT provider_id FROM outreach_recipients WHERE id=?",
                                (claimed[0]["id"],))
    assert row[0] == accepted.provider_id


async def test_pause_takes_effect_within_a_second_and_resume_continues(config, fake, moving,
                                                                        tmp_path):
    app = await make_app(config, fake, moving, **{"outreach.sms_rate_per_second": 20.0})
    sender = Sender(app)
    try:
        await import_cases(app.db, tmp_path, 60)
        campaign_id = await new_campaign(app)
        task = asyncio.create_task(sender.run_campaign(campaign_id))
        await fake.wait_for(10)
        assert await campaigns.pause(app, campaign_id, "test")
        await asyncio.sleep(1.0)
        at_pause = len(fake.messages)
        assert await asyncio.wait_for(task, 2) == "paused"
        await asyncio.sleep(0.5)
        assert len(fake.messages) == at_pause < 60
        counts = await store.progress(app.db, campaign_id)
        assert counts["sent"] == at_pause and counts["queued"] == 60 - at_pause
        assert await campaigns.resume(app, campaign_id, "test")
        assert await asyncio.wait_for(sender.run_campaign(campaign_id), 10) == "done"
    finally:
        await sender.close()
        await app.close()
    assert len(fake.messages) == 60 and set(per_number(fake).values()) == {1}


async def test_cancel_stops_and_skips_the_rest(config, fake, moving, tmp_path):
    app = await make_app(config, fake, moving, **{"outreach.sms_rate_per_second": 20.0})
    sender = Sender(app)
    try:
        await import_cases(app.db, tmp_path, 40)
        campaign_id = await new_campaign(app)
        task = asyncio.create_task(sender.run_campaign(campaign_id))
        await fake.wait_for(5)
        assert await campaigns.cancel(app, campaign_id, "test")
        assert await asyncio.wait_for(task, 2) == "cancelled"
        counts = await store.progress(app.db, campaign_id)
    finally:
        await sender.close()
        await app.close()
    assert counts["queued"] == 0 and counts["sent"] == len(fake.messages) < 40
    assert counts["skipped"] == 40 - counts["sent"]


async def test_a_campaign_waits_for_its_start_time(app, fake, tmp_path):
    await import_cases(app.db, tmp_path, 5)
    draft = campaigns.validate(app, name="Later", start="2026-11-26 09:00")  # Boston time
    campaign_id = await campaigns.create(app, draft, "test")
    await campaigns.launch(app, campaign_id, "test")
    assert (await store.get(app.db, campaign_id))["start_at"] == "2026-11-26T14:00:00+00:00"
    assert await send_all(app, campaign_id) == "scheduled"
    assert fake.messages == []


async def test_one_process_at_a_time_sends_a_campaign(app, fake, tmp_path):
    await import_cases(app.db, tmp_path, 5)
    campaign_id = await new_campaign(app)
    now = app.clock()
    assert await store.take_lease(app.db, campaign_id, "elsewhere:1", iso(now),
                                  iso(now + dt.timedelta(seconds=30)))
    assert await send_all(app, campaign_id) == "busy"
    assert fake.messages == []


def test_sms_outreach_without_twilio_settings_names_the_keys(config, tmp_path: Path):
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match=r"\[sms\] account_sid"):
        SmsProvider(config)

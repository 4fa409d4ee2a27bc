"""Staff alerts in a Telegram group: each new escalation once, with no personal data."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.clock import iso
from bot.storage import escalations
from bot.storage import telegram as tg_store
from tests.fakes.telegram_api import telegram_rig

ALICE = 6101
STAFF = -100999


async def escalate(rig, ref: str, created: dt.datetime, *, locale: str = "es",
                   channel: str = "sms", address: str = "+16175550123") -> None:
    person = await rig.app.db.fetchone("SELECT id FROM people LIMIT 1")
    async with rig.app.db.transaction() as conn:
        await escalations.create(
            conn, ref=ref, person_id=person["id"], channel=channel, address=address,
            locale=locale, reason="asked", case_id=None, candidates=[],
            summary="Maria Lopez, docket 1481CR000123, born 1975-03-02, said: help me",
            now=iso(created))


async def test_a_new_escalation_is_announced_once_without_personal_data(config, clock):
    async with telegram_rig(config, clock=clock,
                            **{"telegram.staff_chat_id": STAFF}) as rig:
        await rig.turn(ALICE, "/start")
        await escalate(rig, "OLD1", clock() - dt.timedelta(days=2))  # before alerts began
        clock.advance(minutes=5)
        await escalate(rig, "K7Q4", clock() - dt.timedelta(minutes=3))
        alerts = await rig.fake.wait_sent(1, STAFF)
        await asyncio.sleep(0.3)  # several more checks: still one alert
        await rig.idle()
        alerts = rig.fake.sent_to(STAFF)
        assert len(alerts) == 1
        text = alerts[0].text
        assert "K7Q4" in text and "Spanish" in text and "SMS" in text and "3 minutes" in text
        for private in ("Maria", "Lopez", "1481", "1975", "help me", "+1617", "5550123"):
            assert private not in text
        assert alerts[0].buttons == []
        row = await rig.app.db.fetchone("SELECT kind, status FROM outbox WHERE address=?",
                                        (str(STAFF),))
        assert (row["kind"], row["status"]) == ("alert", "sent")


async def test_alerts_survive_a_restart_without_repeating(config, clock):
    async with telegram_rig(config, clock=clock,
                            **{"telegram.staff_chat_id": STAFF}) as rig:
        await rig.turn(ALICE, "/start")
        await escalate(rig, "R1", clock())
        await rig.fake.wait_sent(1, STAFF)
        await rig.idle()
    async with telegram_rig(config, clock=clock,
                            **{"telegram.staff_chat_id": STAFF}) as rig:
        clock.advance(minutes=1)
        await escalate(rig, "R2", clock(), locale="en", channel="telegram",
                       address=str(ALICE))
        alerts = await rig.fake.wait_sent(1, STAFF)
        await asyncio.sleep(0.3)
        await rig.idle()
        assert [a.text.splitlines()[1] for a in rig.fake.sent_to(STAFF)] == ["Reference: R2"]
        assert "Telegram" in alerts[0].text and "English" in alerts[0].text
        assert str(ALICE) not in alerts[0].text


async def test_no_staff_chat_no_alerts(config, clock):
    async with telegram_rig(config, clock=clock) as rig:
        await rig.turn(ALICE, "/start")
        await escalate(rig, "N1", clock())
        await asyncio.sleep(0.3)
        await rig.idle()
        assert rig.fake.sent_to(STAFF) == []
        assert await rig.app.db.fetchone("SELECT 1 FROM telegram_alerts") is None


async def test_a_backlog_is_announced_fifty_at_a_time_each_once(app, clock):
    from bot.channels.telegram_alerts import StaffAlerts
    from bot.storage import people

    alerts = StaffAlerts(app, STAFF)
    assert await alerts.check() == 0  # alerts switched on now
    person = await people.get_or_create(app.db, "sms", "+16175550123", iso(clock()))
    clock.advance(minutes=1)
    async with app.db.transaction() as conn:
        for i in range(620):  # more than one read of the watcher
            await escalations.create(
                conn, ref=f"B{i:03d}", person_id=person.person_id, channel="sms",
                address="+16175550123", locale="en", reason="asked", case_id=None,
                candidates=[], summary="", now=iso(clock()))
    counts = [await alerts.check() for _ in range(14)]
    assert counts == [50] * 12 + [20, 0]
    rows = await app.db.fetchall("SELECT ref FROM telegram_alerts ORDER BY outbox_id")
    assert [r["ref"] for r in rows] == [f"B{i:03d}" for i in range(620)]
    # An escalation that is not there (a turn that rolled back) is not announced.
    assert not await tg_store.queue_alert(app.db, "GONE", STAFF, "text", iso(clock()))

"""One person on SMS and Telegram: linked by a notice code, sharing state, language, opt-out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest

from bot.channels.sms import SmsChannel
from bot.clock import iso
from bot.model import Reply
from bot.storage import outbox
from tests.conftest import both_engines
from tests.fakes.telegram_api import TelegramRig, telegram_rig
from tests.fakes.twilio_api import PUBLIC_URL, FakeTwilio, inbound_params, post_inbound, sms_config
from tests.test_telegram_dialogue import registry  # noqa: F401 (fixture)

pytestmark = both_engines

pytestmark = pytest.mark.usefixtures("registry")

PHONE = "+16175550101"
CHAT = 8101


class Both:
    """Telegram and SMS on one running service."""

    def __init__(self, rig: TelegramRig, twilio: FakeTwilio,
                 session: aiohttp.ClientSession) -> None:
        self.rig, self.twilio, self.session = rig, twilio, session

    async def text(self, body: str) -> list[str]:
        before = len(self.twilio.texts_to(PHONE))
        status, _ = await post_inbound(self.session, self.rig.service.url, PUBLIC_URL,
                                       inbound_params(PHONE, body))
        assert status == 200
        await self.rig.idle()
        return self.twilio.texts_to(PHONE)[before:]

    async def chat(self, text: str) -> list[str]:
        return [s.text for s in await self.rig.turn(CHAT, text)]

    async def people(self) -> set[int]:
        rows = await self.rig.app.db.fetchall(
            "SELECT person_id FROM contacts WHERE (channel='sms' AND address=?)"
            " OR (channel='telegram' AND address=?)", (PHONE, str(CHAT)))
        return {r["person_id"] for r in rows}


@asynccontextmanager
async def both(config, clock) -> AsyncIterator[Both]:
    async with FakeTwilio() as twilio:
        cfg = sms_config(config, twilio)
        async with telegram_rig(cfg, clock=clock,
                                extra_channels=lambda app: [SmsChannel(app)]) as rig:
            twilio.webhook_base = rig.service.url
            async with aiohttp.ClientSession() as session:
                yield Both(rig, twilio, session)


async def test_a_notice_code_links_telegram_to_the_sms_number(config, clock):
    async with both(config, clock) as b:
        await b.text("hi")
        await b.text("2")  # Spanish, chosen on SMS
        await b.chat("/start HX7K-29QP")
        assert len(await b.people()) == 2
        sent = await b.chat("03/14/1975")
        assert any("We found your case" in t for t in sent)
        assert len(await b.people()) == 1  # one person now
        # The conversation is shared: on SMS, "1" answers the question Telegram just
        # asked ("What would you like to do next?"), not SMS's own main menu (where
        # "1" would ask for a docket number).
        assert await b.text("1")
        row = await b.rig.app.db.fetchone(
            "SELECT v.awaiting FROM conversations v JOIN contacts c ON c.person_id=v.person_id"
            " WHERE c.channel='sms' AND c.address=?", (PHONE,))
        assert row["awaiting"] != "docket_number"
        # The language chosen on SMS holds on Telegram too.
        await b.chat("menu")
        spanish = b.rig.app.translator.gettext("es", "Check my case")
        assert spanish != "Check my case"
        assert spanish in b.rig.fake.sent_to(CHAT)[-1].labels
        audit = await b.rig.app.db.fetchone("SELECT detail FROM audit WHERE action='link'")
        assert audit is not None and PHONE not in audit["detail"]


async def test_stop_on_sms_silences_telegram_and_start_on_telegram_lifts_both(
        config, clock):
    async with both(config, clock) as b:
        await b.text("hi")
        await b.chat("/start HX7K-29QP")
        await b.chat("03/14/1975")
        assert len(await b.people()) == 1
        assert await b.text("STOP")  # the confirmation
        assert await b.chat("hello") == []  # Telegram hears nothing either
        async with b.rig.app.db.transaction() as conn:
            await outbox.enqueue(conn, "telegram", str(CHAT), Reply("Staff here."),
                                 iso(clock()), kind="staff")
        b.rig.service.wakeup.outbox.set()
        await b.rig.idle()
        assert "Staff here." not in [s.text for s in b.rig.fake.sent_to(CHAT)]
        row = await b.rig.app.db.fetchone(
            "SELECT status FROM outbox WHERE body='Staff here.'")
        assert row["status"] == "cancelled"
        # /start on Telegram opts back in, for the whole person.
        assert await b.chat("/start")
        assert await b.rig.app.db.fetchone("SELECT 1 FROM optouts") is None
        assert await b.text("menu")


async def test_stop_on_telegram_stops_sms_outreach(config, clock):
    async with both(config, clock) as b:
        await b.text("hi")
        await b.chat("/start HX7K-29QP")
        await b.chat("03/14/1975")
        await b.chat("/stop")
        before = len(b.twilio.texts_to(PHONE))
        async with b.rig.app.db.transaction() as conn:
            await outbox.enqueue(conn, "sms", PHONE, Reply("Outreach."), iso(clock()),
                                 kind="outreach")
        b.rig.service.wakeup.outbox.set()
        await b.rig.idle()
        assert b.twilio.texts_to(PHONE)[before:] == []


async def test_wrong_number_on_sms_does_not_silence_telegram(config, clock):
    async with both(config, clock) as b:
        await b.text("hi")
        await b.chat("/start HX7K-29QP")
        await b.chat("03/14/1975")
        await b.text("wrong number")
        assert await b.chat("menu")  # still answered on Telegram


async def test_no_link_without_a_notice_code(config, clock):
    async with both(config, clock) as b:
        await b.text("hi")
        for text in ("/start", "1", "0912-CR-004411", "Nunez"):
            await b.chat(text)
        sent = await b.chat("3/14/1975")
        assert any("We found your case" in t for t in sent)
        assert len(await b.people()) == 2

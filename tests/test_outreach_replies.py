"""Inside ``casecheck run``: the service sends a campaign, Twilio reports delivery, and
replies continue in the dialogue with the campaign known (YES starts the lookup)."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.outreach import campaigns
from bot.outreach.service import SENDER
from bot.storage import optouts
from bot.storage import outreach as store
from tests.conftest import both_engines
from tests.test_outreach_support import MovingClock, outreach_rig, phone

pytestmark = both_engines

FAST = {"outreach.sms_rate_per_second": 200.0}


async def launch(rig: Any, **filters: Any) -> int:
    app = rig.app
    campaign_id = await campaigns.create(app, campaigns.validate(app, name="c", **filters), "t")
    assert await campaigns.launch(app, campaign_id, "t") is not None
    rig.service.web_app[SENDER].poke()
    return campaign_id


async def wait_state(app: Any, campaign_id: int, state: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (await store.get(app.db, campaign_id))["state"] != state:
        assert loop.time() < deadline, f"campaign never became {state}"
        await asyncio.sleep(0.05)


async def test_service_sends_and_delivery_callbacks_are_counted(config, tmp_path):
    async with outreach_rig(config, MovingClock(), tmp_path, 30, **FAST) as rig:
        campaign_id = await launch(rig)
        await wait_state(rig.app, campaign_id, "done")
        await rig.fake.settle()
        counts = await store.progress(rig.app.db, campaign_id)
    assert counts["sent"] == counts["delivered"] == 30
    assert all(m.status_callback == "https://sms.casecheck.example.org/outreach/status"
               for m in rig.fake.messages)
    assert set(rig.fake.callback_responses) == {204}


async def test_replies_continue_the_dialogue_with_the_campaign_known(config, tmp_path):
    async with outreach_rig(config, MovingClock(), tmp_path, 6, **FAST) as rig:
        app = rig.app
        campaign_id = await launch(rig)
        await wait_state(app, campaign_id, "done")

        yes_en = await rig.texts_after(phone(0), "Yes!", 2)
        assert yes_en[0].startswith("Thank you for your answer.")
        assert "docket number" in yes_en[1]

        yes_es = await rig.texts_after(phone(1), "Sí", 2)  # a Spanish recipient
        assert yes_es[0].startswith("Gracias por su respuesta.")

        other = await rig.texts_after(phone(2), "who is this?", 1)
        assert not other[0].startswith("Thank you for your answer.")  # the normal dialogue

        stop = await rig.texts_after(phone(3), "STOP", 1)  # Spanish, as the campaign was
        assert "recibimos STOP" in stop[0]
        assert await optouts.is_opted_out(app.db, "sms", phone(3))
        back = await rig.texts_after(phone(3), "YES", 3)  # carrier opt-in word, then lookup
        assert back[0].startswith("Va a recibir mensajes de")
        assert back[1].startswith("Gracias por su respuesta.")
        assert not await optouts.is_opted_out(app.db, "sms", phone(3))

        stranger = "+16175550199"  # never got the campaign: YES is no campaign reply
        hello = await rig.texts_after(stranger, "YES", 1)
        assert not hello[0].startswith("Thank you for your answer.")
        await rig.idle()
        counts = await store.progress(app.db, campaign_id)
        replied = await app.db.fetchall(
            "SELECT address FROM outreach_recipients WHERE campaign_id=? AND replied_at"
            " IS NOT NULL ORDER BY address", (campaign_id,))
    assert counts["replied"] == 4
    assert [r[0] for r in replied] == [phone(0), phone(1), phone(2), phone(3)]
    assert counts["opted_out"] == 0  # phone(3) opted back in


async def test_a_stop_during_the_campaign_stops_that_person_only(config, tmp_path):
    async with outreach_rig(config, MovingClock(), tmp_path, 4, **FAST) as rig:
        app = rig.app
        first = await launch(rig)
        await wait_state(app, first, "done")
        await rig.texts_after(phone(1), "stop", 1)
        await rig.idle()
        second = await launch(rig, include_reached=True)
        await wait_state(app, second, "done")
        counts = await store.progress(app.db, second)
    assert counts["sent"] == 3  # phone(1) opted out: not a recipient of the second one
    assert [m.to for m in rig.fake.messages].count(phone(1)) == 2  # campaign + confirmation

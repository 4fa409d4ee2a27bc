"""Whole conversations over SMS: a verified lookup, and STOP / START compliance."""

from __future__ import annotations

import asyncio

from bot.cli import main as cli_main
from tests.conftest import both_engines
from tests.fakes.twilio_api import sms_rig
from tests.test_sms_channel import NUMBERED_ENGLISH

pytestmark = both_engines

CAROL = "+16175550177"
REGISTRY = """docket_number,court,last_name,first_name,date_of_birth,status,status_date,lab
0912CR004411,Boston Municipal Court,Rivera,Ana,1980-03-14,dismissed,2017-04-18,Hinton
"""


async def test_a_verified_lookup_over_sms(config, clock, tmp_path, cli_db):
    csv = tmp_path / "registry.csv"
    csv.write_text(REGISTRY, encoding="utf-8")
    code = await asyncio.to_thread(cli_main, ["registry", "import", str(csv), *cli_db])
    assert code == 0
    async with sms_rig(config, clock=clock) as rig:
        greeting = await rig.texts_after(CAROL, "hi", 1)
        assert NUMBERED_ENGLISH.search(greeting[0])
        menu = await rig.texts_after(CAROL, "1", 1)
        assert "Reply 1 for" in menu[-1]
        ask_docket = await rig.texts_after(CAROL, "1", 1)
        assert "docket number" in ask_docket[-1]
        await rig.texts_after(CAROL, "0912-CR-004411", 1)
        await rig.texts_after(CAROL, "rivera", 1)
        result = await rig.texts_after(CAROL, "03/14/1980", 1)
        await rig.idle()
    answer = "\n".join(result)
    assert "dismissed" in answer.lower()
    assert "Boston Municipal Court" in answer
    assert "drug" not in answer.lower()  # an SMS never names the offence


async def test_stop_silences_everything_until_start(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        await rig.texts_after(CAROL, "hi", 1)
        stop = await rig.texts_after(CAROL, "Stop.", 1)
        assert "START" in stop[0]
        await rig.idle()
        before = len(rig.fake.messages)
        status, _ = await rig.text(CAROL, "hello?")
        assert status == 200
        status, _ = await rig.text(CAROL, "1")
        assert status == 200
        await rig.idle(settle=0.3)
        assert len(rig.fake.messages) == before  # nothing at all was sent
        optout = await rig.app.db.fetchone(
            "SELECT reason FROM optouts WHERE channel='sms' AND address=?", (CAROL,))
        assert optout["reason"] == "stop"
        back = await rig.texts_after(CAROL, "START", 1)
        assert back
        assert await rig.app.db.fetchone("SELECT 1 FROM optouts") is None


async def test_spanish_stop_word_parar_opts_out(config, clock):
    async with sms_rig(config, clock=clock) as rig:
        await rig.texts_after(CAROL, "hola", 1)
        await rig.texts_after(CAROL, "PARAR", 1)
        await rig.idle()
        assert await rig.app.db.fetchone(
            "SELECT 1 FROM optouts WHERE address=?", (CAROL,)) is not None


async def test_queued_replies_are_not_sent_after_an_opt_out(config, clock):
    """A reply still waiting in the outbox when STOP arrives never leaves."""
    async with sms_rig(config, clock=clock) as rig:
        rig.fake.fail_next(500)  # the greeting waits for a retry...
        await rig.text(CAROL, "hi")
        await rig.idle()
        stop = await rig.texts_after(CAROL, "STOP", 1)  # ...STOP is answered meanwhile
        clock.advance(hours=1)
        rig.service.wakeup.outbox.set()
        await rig.idle()
        assert rig.fake.texts_to(CAROL) == stop

"""The WhatsApp channel end to end: signed webhooks on /whatsapp/*, the real twilio
client out to the fake Twilio with ``whatsapp:`` addresses; whole conversations."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.whatsapp import WhatsAppChannel
from bot.cli import main as cli_main
from bot.config import ConfigError
from bot.model import Reply
from bot.storage import optouts
from bot.storage import outbox as outbox_store
from tests.fakes.twilio_api import PUBLIC_URL, RequestValidator, post_inbound
from tests.fakes.twilio_whatsapp import WA_FROM, whatsapp_params, whatsapp_rig
from tests.test_sms_channel import NUMBERED_ENGLISH

JOAO = "+2389912345"  # Cape Verde
ROSA = "+18095550100"  # the Dominican Republic
REGISTRY = """docket_number,court,last_name,first_name,date_of_birth,status,status_date,lab,phone
0912CR004411,Boston Municipal Court,Rivera,Ana,1980-03-14,dismissed,2017-04-18,Hinton,+238 991 23 45
"""


async def import_registry(tmp_path, db_path) -> None:
    csv = tmp_path / "registry.csv"
    csv.write_text(REGISTRY, encoding="utf-8")
    code = await asyncio.to_thread(cli_main, ["registry", "import", str(csv), "--db",
                                              str(db_path)])
    assert code == 0


async def choose_language(rig, number: str, name: str) -> list[str]:
    """Pick ``name`` from the numbered language menu last sent; return the menu that follows."""
    languages = rig.fake.whatsapp_to(number)[-1].body
    key = next(line.split()[1 if line.startswith("Reply") else 0]
               for line in languages.splitlines() if name in line)
    return await rig.says_then(number, key, 1)


async def test_a_verified_lookup_over_whatsapp_in_english(config, clock, tmp_path, db_path):
    await import_registry(tmp_path, db_path)
    async with whatsapp_rig(config, clock=clock) as rig:
        greeting = await rig.says_then(JOAO, "hi", 1)  # one message: welcome and languages
        assert "checks if your case was affected" in greeting[0]
        assert NUMBERED_ENGLISH.search(greeting[0])
        menu = await rig.says_then(JOAO, "1", 1)
        assert "Reply 1 for" in menu[-1]
        ask_docket = await rig.says_then(JOAO, "1", 1)
        assert "docket number" in ask_docket[-1]
        await rig.says_then(JOAO, "0912-CR-004411", 1)
        await rig.says_then(JOAO, "rivera", 1)
        result = await rig.says_then(JOAO, "03/14/1980", 1)
        await rig.idle()
        rows = await outbox_store.for_address(rig.app.db, "whatsapp", JOAO)
    answer = "\n".join(result)
    assert "dismissed" in answer.lower() and "Boston Municipal Court" in answer
    sent = rig.fake.whatsapp_to(JOAO)
    assert all(m.from_ == "whatsapp:" + WA_FROM for m in sent)
    assert all(m.status_callback == PUBLIC_URL + "/whatsapp/status" for m in sent)
    assert "MORE" not in answer
    # WhatsApp's 'read' receipts reach the outbox, and nothing went by SMS
    assert {r["status"] for r in rows} == {"read"}
    assert [m for m in rig.fake.messages if not m.to.startswith("whatsapp:")] == []


async def test_a_whole_conversation_in_portuguese(config, clock, tmp_path, db_path):
    await import_registry(tmp_path, db_path)
    async with whatsapp_rig(config, clock=clock) as rig:
        await rig.says_then(JOAO, "Olá", 1)
        menu = await choose_language(rig, JOAO, "Português")
        assert "Responda 1" in menu[-1] or "1 " in menu[-1]
        ask_docket = await rig.says_then(JOAO, "1", 1)
        assert "processo" in ask_docket[-1]
        await rig.says_then(JOAO, "0912 cr 004411", 1)
        await rig.says_then(JOAO, "Rivera", 1)
        result = await rig.says_then(JOAO, "14/03/1980", 1)
        await rig.idle()
    answer = "\n".join(result)
    assert "Boston Municipal Court" in answer
    assert any(word in answer.lower() for word in ("arquivad", "extint", "encerrad"))


async def test_forged_and_sms_shaped_webhooks_store_nothing(config, clock):
    async with whatsapp_rig(config, clock=clock) as rig:
        params = whatsapp_params(ROSA, "hi")
        forged = RequestValidator("not-the-token").compute_signature(
            PUBLIC_URL + "/whatsapp/inbound", params)
        status, _ = await post_inbound(rig.sms.session, rig.service.url, PUBLIC_URL, params,
                                       path="/whatsapp/inbound", signature=forged)
        assert status == 403
        # signed for the SMS path: not valid on the WhatsApp one
        status, _ = await post_inbound(rig.sms.session, rig.service.url, PUBLIC_URL, params,
                                       path="/whatsapp/inbound",
                                       signature=RequestValidator(rig.fake.auth_token)
                                       .compute_signature(PUBLIC_URL + "/sms/inbound", params))
        assert status == 403
        sms_shaped = {**params, "From": ROSA}  # a plain number is not a WhatsApp sender
        status, _ = await post_inbound(rig.sms.session, rig.service.url, PUBLIC_URL,
                                       sms_shaped, path="/whatsapp/inbound",
                                       auth_token=rig.fake.auth_token)
        assert status == 400
        # and a WhatsApp message posted to the SMS webhook is not taken for an SMS
        status, _ = await post_inbound(rig.sms.session, rig.service.url, PUBLIC_URL, params,
                                       path="/sms/inbound", auth_token=rig.fake.auth_token)
        assert status == 400
        row = await rig.app.db.fetchone("SELECT COUNT(*) FROM inbox")
    assert row[0] == 0


async def test_a_photo_is_noted_never_opened_and_answered_in_the_persons_language(
        config, clock):
    async with whatsapp_rig(config, clock=clock) as rig:
        await rig.says_then(ROSA, "hi", 1)
        await choose_language(rig, ROSA, "Español")
        await rig.idle()
        attempts = rig.fake.attempts
        answer = await rig.says_then(ROSA, "", 1, num_media=1)
        await rig.idle()
        assert rig.fake.attempts == attempts + 1  # one answer; the media URL never fetched
        transcript = await rig.app.db.fetchall(
            "SELECT direction, body FROM messages ORDER BY id")
    assert "número de caso" in answer[0] and "MENU" in answer[0]
    assert ("in", "[sent 1 attachment(s), not opened]") in [tuple(r) for r in transcript]


async def test_a_photo_with_a_caption_gets_the_notice_and_the_caption_is_answered(
        config, clock):
    async with whatsapp_rig(config, clock=clock) as rig:
        replies = await rig.says_then(ROSA, "hi", 2, num_media=1, media_type="audio/ogg")
    assert "cannot open photos, voice messages" in replies[0]
    assert "checks if your case was affected" in replies[1]  # "hi" got the welcome


async def test_a_long_reply_is_one_message_without_more(config, clock):
    async with whatsapp_rig(config, clock=clock) as rig:
        await rig.says_then(ROSA, "hi", 1)
        long_text = "Ваше дело рассмотрено. " * 60  # 1,380 characters of Cyrillic
        async with rig.app.db.transaction() as conn:
            await outbox_store.enqueue(conn, "whatsapp", ROSA, Reply(long_text.strip()),
                                       clock().isoformat(timespec="seconds"))
        rig.service.wakeup.outbox.set()
        sent = await rig.wait(ROSA, 2)
    assert sent[-1].body == long_text.strip()
    assert "MORE" not in sent[-1].body


async def test_stop_over_whatsapp_is_in_the_shared_ledger(config, clock):
    async with whatsapp_rig(config, clock=clock) as rig:
        await rig.says_then(ROSA, "hi", 1)
        stop = await rig.says_then(ROSA, "STOP", 1)
        assert "START" in stop[0]
        await rig.idle()
        before = len(rig.fake.messages)
        await rig.say(ROSA, "hello?")
        await rig.idle(settle=0.3)
        assert len(rig.fake.messages) == before
        optout = await rig.app.db.fetchone(
            "SELECT reason FROM optouts WHERE channel='whatsapp' AND address=?", (ROSA,))
    assert optout["reason"] == "stop"


LINKED_REGISTRY = (
    "docket_number,court,last_name,first_name,date_of_birth,status,status_date,lab,phone,"
    "notice_code\n0912CR004411,Boston Municipal Court,Rivera,Ana,1980-03-14,dismissed,"
    "2017-04-18,Hinton,617-555-0177,HX7K-29QP\n")


async def test_a_notice_code_on_whatsapp_links_the_sms_number_and_stop_holds_for_both(
        config, clock, tmp_path, db_path):
    csv = tmp_path / "registry.csv"
    csv.write_text(LINKED_REGISTRY, encoding="utf-8")
    assert await asyncio.to_thread(cli_main, ["registry", "import", str(csv), "--db",
                                              str(db_path)]) == 0
    home = "+16175550177"
    async with whatsapp_rig(config, clock=clock) as rig:
        await rig.sms.texts_after(home, "hi", 1)  # the number on file, once, by SMS
        await rig.says_then(JOAO, "hi", 1)  # the same person, deported, on WhatsApp
        await rig.says_then(JOAO, "1", 1)  # English: the main menu
        await rig.says_then(JOAO, "1", 1)  # Check my case: the docket question
        ask_code = await rig.says_then(JOAO, "I have a code from a letter", 1)
        assert "code from your letter" in ask_code[0]
        await rig.says_then(JOAO, "HX7K-29QP", 1)
        result = await rig.says_then(JOAO, "03/14/1980", 1)
        assert "Boston Municipal Court" in "\n".join(result)
        await rig.idle()
        people = await rig.app.db.fetchall(
            "SELECT channel, person_id FROM contacts ORDER BY channel")
        assert len({r["person_id"] for r in people}) == 1  # one person, two contacts
        await rig.says_then(JOAO, "STOP", 1)
        await rig.idle()
        assert await optouts.is_opted_out(rig.app.db, "sms", home)


async def test_whatsapp_without_its_settings_names_what_is_missing(app):
    with pytest.raises(ConfigError) as err:
        WhatsAppChannel(app)
    for key in ("[sms] account_sid", "[sms] auth_token", "[sms] public_url",
                "[whatsapp] from_number"):
        assert key in str(err.value)

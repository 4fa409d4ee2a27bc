"""WhatsApp's 24-hour window: free-form replies only within it; outside it the
locale's approved template (Content API), the reply held until the person writes
back; Twilio's 63016 handled the same way; staff replies on the person's channel."""

from __future__ import annotations

import datetime as dt

from bot.channels import telegram_alerts, whatsapp_window
from bot.clock import iso
from bot.model import Reply
from bot.storage import casework
from bot.storage import outbox as outbox_store
from tests.fakes.twilio_whatsapp import whatsapp_rig
from tests.web_support import make_escalation, signed_in, start_console

ROSA = "+18095550100"  # the Dominican Republic
TEMPLATES = {"HX" + "e" * 32: "{{1}} has a reply for you. Reply to this message to read it.",
             "HX" + "5" * 32: "{{1}} tiene una respuesta para usted. Responda a este mensaje."}
REPLY_TEMPLATES = {"en": "HX" + "e" * 32, "es": "HX" + "5" * 32}
LAWYER_SAYS = "Hello, this is your lawyer. Can you call us on Monday?"


async def escalated(rig, number: str) -> dict:
    """The person asks for a lawyer over WhatsApp; staff claim the request."""
    await rig.says_then(number, "hi", 1)
    await rig.say(number, "I want to talk to a lawyer")
    await rig.idle()
    row = await rig.app.db.fetchone("SELECT id FROM escalations")
    esc = await casework.escalation(rig.app.db, row["id"])
    assert esc["channel"] == "whatsapp"
    await casework.claim(rig.app.db, esc, "staff:7", iso(rig.app.clock()))
    return esc


async def statuses(app, number: str) -> list[tuple[str, str | None]]:
    rows = await outbox_store.for_address(app.db, "whatsapp", number)
    return [(r["status"], r["error_code"]) for r in rows]


async def test_a_staff_reply_within_the_window_goes_free_form_on_whatsapp(config, clock):
    async with whatsapp_rig(config, clock=clock, templates=TEMPLATES,
                            **{"whatsapp.reply_templates": REPLY_TEMPLATES}) as rig:
        esc = await escalated(rig, ROSA)
        n = len(rig.fake.whatsapp_to(ROSA))
        clock.advance(hours=23)
        await casework.reply(rig.app.db, esc, "staff:7", LAWYER_SAYS, iso(clock()),
                          then_wait=True)
        rig.service.wakeup.outbox.set()
        sent = await rig.wait(ROSA, n + 1)
    assert sent[-1].body == LAWYER_SAYS and sent[-1].content_sid is None
    assert rig.fake.messages[-1].to == "whatsapp:" + ROSA  # the channel the person used


async def test_a_staff_reply_after_25_hours_goes_out_as_the_template(config, clock):
    async with whatsapp_rig(config, clock=clock, templates=TEMPLATES,
                            **{"whatsapp.reply_templates": REPLY_TEMPLATES,
                               "organization.name": "Lab Help"}) as rig:
        esc = await escalated(rig, ROSA)
        n = len(rig.fake.whatsapp_to(ROSA))
        clock.advance(hours=25)
        await casework.reply(rig.app.db, esc, "staff:7", LAWYER_SAYS, iso(clock()),
                          then_wait=True)
        await casework.reply(rig.app.db, esc, "staff:7", "And bring your papers.", iso(clock()),
                          then_wait=True)
        rig.service.wakeup.outbox.set()
        sent = await rig.wait(ROSA, n + 1)
        await rig.idle()
        assert len(rig.fake.whatsapp_to(ROSA)) == n + 1  # one template for both replies
        template = sent[-1]
        assert template.content_sid == REPLY_TEMPLATES["en"]
        assert template.content_variables == {"1": "Lab Help"}
        assert template.body == "Lab Help has a reply for you. Reply to this message to read it."
        assert LAWYER_SAYS not in [m.body for m in sent]
        assert (await statuses(rig.app, ROSA))[-2:] == [("held", "window"), ("held", "window")]
        # The person answers the template: the window is open, the replies follow in order.
        await rig.say(ROSA, "ok")
        after = await rig.wait(ROSA, n + 3)
        await rig.idle()
    assert [m.body for m in after[n + 1:]] == [LAWYER_SAYS, "And bring your papers."]
    assert all(m.content_sid is None for m in after[n + 1:])


async def test_the_template_is_in_the_persons_language(config, clock):
    async with whatsapp_rig(config, clock=clock, templates=TEMPLATES,
                            **{"whatsapp.reply_templates": REPLY_TEMPLATES}) as rig:
        await rig.says_then(ROSA, "hi", 1)
        await rig.idle()
        async with rig.app.db.transaction() as conn:
            await conn.execute("UPDATE people SET locale='es'")
        clock.advance(hours=30)
        async with rig.app.db.transaction() as conn:
            person = await rig.app.db.fetchone("SELECT id FROM people")
            await outbox_store.enqueue(conn, "whatsapp", ROSA, Reply("Hola de nuevo"),
                                       iso(clock()), person_id=person["id"], kind="staff")
        rig.service.wakeup.outbox.set()
        sent = await rig.wait(ROSA, 2)
    assert sent[-1].content_sid == REPLY_TEMPLATES["es"]


async def test_without_a_template_the_reply_is_held_visibly_never_failed(config, clock):
    async with whatsapp_rig(config, clock=clock) as rig:
        esc = await escalated(rig, ROSA)
        n = len(rig.fake.whatsapp_to(ROSA))
        clock.advance(hours=25)
        await casework.reply(rig.app.db, esc, "staff:7", LAWYER_SAYS, iso(clock()),
                          then_wait=True)
        rig.service.wakeup.outbox.set()
        await rig.idle(settle=0.3)
        assert len(rig.fake.whatsapp_to(ROSA)) == n  # nothing left for the closed window
        assert (await statuses(rig.app, ROSA))[-1] == ("held", "no_template")
        await rig.say(ROSA, "hello?")
        sent = await rig.wait(ROSA, n + 1)
    assert sent[n].body == LAWYER_SAYS


async def test_twilio_63016_is_handled_as_the_closed_window(config, clock):
    """Our record says the window is open, Twilio says it is not: the template goes."""
    async with whatsapp_rig(config, clock=clock, templates=TEMPLATES,
                            **{"whatsapp.reply_templates": REPLY_TEMPLATES}) as rig:
        esc = await escalated(rig, ROSA)
        n = len(rig.fake.whatsapp_to(ROSA))
        rig.fake.last_inbound.clear()  # Twilio's view: the person never wrote
        await casework.reply(rig.app.db, esc, "staff:7", LAWYER_SAYS, iso(clock()),
                          then_wait=True)
        rig.service.wakeup.outbox.set()
        sent = await rig.wait(ROSA, n + 1)
        await rig.idle()
        assert sent[-1].content_sid == REPLY_TEMPLATES["en"]
        assert (await statuses(rig.app, ROSA))[-1] == ("held", "window")


async def test_a_late_63016_status_callback_puts_the_reply_back_for_the_template(
        config, clock):
    """Twilio may accept the free-form message and fail it afterwards with 63016."""
    async with whatsapp_rig(config, clock=clock, templates=TEMPLATES, window_error="callback",
                            **{"whatsapp.reply_templates": REPLY_TEMPLATES}) as rig:
        esc = await escalated(rig, ROSA)
        n = len(rig.fake.whatsapp_to(ROSA))
        rig.fake.last_inbound.clear()
        await casework.reply(rig.app.db, esc, "staff:7", LAWYER_SAYS, iso(clock()),
                          then_wait=True)
        rig.service.wakeup.outbox.set()
        sent = await rig.wait(ROSA, n + 2)  # the refused free-form message, then the template
        await rig.idle()
        assert sent[n].body == LAWYER_SAYS
        assert sent[n + 1].content_sid == REPLY_TEMPLATES["en"]
        assert (await statuses(rig.app, ROSA))[-1] == ("held", "window")


async def test_the_staff_alert_names_the_whatsapp_channel(config, clock):
    async with whatsapp_rig(config, clock=clock) as rig:
        await escalated(rig, ROSA)
        row = await rig.app.db.fetchone("SELECT ref, locale, channel, created_at FROM escalations")
        text = telegram_alerts.alert_text(rig.app, row, clock())
    assert "Channel: WhatsApp" in text


def test_the_window_is_24_hours_from_the_persons_last_message():
    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    assert whatsapp_window.is_open(iso(now - dt.timedelta(hours=23, minutes=59)), now, 24)
    assert not whatsapp_window.is_open(iso(now - dt.timedelta(hours=24)), now, 24)
    assert not whatsapp_window.is_open(None, now, 24)
    assert not whatsapp_window.is_open("not a date", now, 24)


async def test_the_console_shows_the_whatsapp_channel_and_what_the_window_means(app):
    esc = await make_escalation(app, channel="whatsapp", address=ROSA)
    async with app.db.transaction() as conn:  # two staff replies outside the window
        for text in ("Hello", "Are you there?"):
            row_id = await outbox_store.enqueue(conn, "whatsapp", ROSA, Reply(text),
                                                iso(app.clock()), kind="staff")
            await outbox_store.mark_held(conn, row_id, "window", iso(app.clock()))
    client = await start_console(app)
    try:
        uid = await signed_in(app, client, "lawyer@example.org", "staff")
        await casework.claim(app.db, await casework.escalation(app.db, esc), f"staff:{uid}",
                          iso(app.clock()))
        queue = await (await client.get("/console/escalations")).text()
        detail = await (await client.get(f"/console/escalations/{esc}")).text()
        sms = await make_escalation(app, channel="sms", address="+16175550101", ref="XYZ789")
        await casework.claim(app.db, await casework.escalation(app.db, sms), f"staff:{uid}",
                          iso(app.clock()))
        other = await (await client.get(f"/console/escalations/{sms}")).text()
    finally:
        await client.close()
    assert '<td data-label="Channel">WhatsApp</td>' in queue
    assert "WhatsApp: +18095550100" in detail
    assert "Sent by WhatsApp" in detail and "more than 24 hours after" in detail
    assert "Sent by SMS" in other and "more than 24 hours after" not in other
    assert ('id="held">2 messages wait until this person writes on WhatsApp again' in detail)
    assert 'id="held"' not in other

"""Outreach over WhatsApp: approved templates per locale, a campaign mixing SMS
(numbers at home) and WhatsApp (numbers abroad), preview per country and channel,
quiet hours in each recipient's own time zone."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.cli import main as cli_main
from bot.clock import iso
from bot.commands.outreach import _print_preview
from bot.outreach import campaigns, countries
from bot.outreach import service as outreach_service
from bot.outreach.sender import Sender
from bot.outreach.whatsapp_provider import WhatsAppProvider
from bot.registry.importer import import_csv
from bot.storage import outreach as store
from bot.web import outreach as outreach_pages
from bot.web import setup_console
from tests.fakes.twilio_whatsapp import WA_FROM, FakeTwilioWhatsApp, whatsapp_rig
from tests.test_outreach_support import COLUMNS, MovingClock, case_row, outreach_config
from tests.web_support import csrf_of, post_form, signed_in

EN_SID, KEA_SID = "HX" + "a" * 32, "HX" + "b" * 32
TEMPLATES = {EN_SID: "{{1}} has news that may matter to you. Reply YES or call {{2}}.",
             KEA_SID: "{{1}} tem notísia ki pode ser inportanti pa bo. Responde SIN o liga {{2}}."}
# People in five countries and at home, as a registry writes them.
PEOPLE = [  # (phone as written, language, E.164, country)
    ("+238 991 23 45", "kea", "+2389912345", "CV"),
    ("011 238 991 2346", "kea", "+2389912346", "CV"),
    ("(809) 555-0100", "es", "+18095550100", "DO"),
    ("+55 11 98765-4321", "kea", "+5511987654321", "BR"),
    ("+84 90 123 45 67", "vi", "+84901234567", "VN"),
    ("+855 12 345 678", "km", "+85512345678", "KH"),
    ("617-555-0123", "en", "+16175550123", "US"),
    ("(617) 555-0124", "es", "+16175550124", "US"),
]


@pytest.fixture
async def fake(moving) -> AsyncIterator[FakeTwilioWhatsApp]:
    async with FakeTwilioWhatsApp(clock=moving, templates=TEMPLATES) as server:
        yield server


# 13:30 UTC: daytime (08:00-21:00) from Phnom Penh to Boston, all at once.
EVERYWHERE_DAY = dt.datetime(2026, 11, 25, 13, 30, tzinfo=dt.UTC)


@pytest.fixture
def moving() -> MovingClock:
    return MovingClock(EVERYWHERE_DAY)


@pytest.fixture
async def app(config: Any, fake: FakeTwilioWhatsApp, moving: MovingClock,
              tmp_path: Path) -> AsyncIterator[App]:
    application = await App.create(outreach_config(
        config, fake, **{"whatsapp.from_number": WA_FROM,
                         "whatsapp.outreach_templates": {"en": EN_SID, "kea": KEA_SID},
                         "outreach.whatsapp_rate_per_second": 500.0,
                         "outreach.whatsapp_cost_per_message": 0.05,
                         "outreach.cost_per_segment": 0.01}), clock=moving)
    path = tmp_path / "abroad.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        for i, (written, language, _, _) in enumerate(PEOPLE):
            writer.writerow({**case_row(i, language), "phone": written, "status": "dismissed"})
    report = await import_csv(application.db, path, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert report.inserted == len(PEOPLE), report
    try:
        yield application
    finally:
        await application.close()


async def mixed_campaign(app: App) -> int:
    draft = campaigns.validate(app, name="Abroad", channel="mixed")
    return await campaigns.create(app, draft, "test")


async def send_all(app: App, campaign_id: int) -> str:
    assert await campaigns.launch(app, campaign_id, "test") is not None
    sender = Sender(app)
    try:
        return await asyncio.wait_for(sender.run_campaign(campaign_id), 30)
    finally:
        await sender.close()


def test_numbers_say_their_country_and_time_zone():
    assert [countries.country_of(e164) for _, _, e164, _ in PEOPLE] == [c for *_, c in PEOPLE]
    assert countries.time_zone_of("+2389912345") == "Atlantic/Cape_Verde"
    assert countries.time_zone_of("+18095550100") == "America/Santo_Domingo"
    assert countries.quiet_hours_zone("+16175550123", "US") is None  # home: the config's
    assert countries.country_of("not a number") == countries.UNKNOWN


async def test_the_registry_keeps_numbers_from_five_countries_in_e164(app):
    rows = await app.db.fetchall("SELECT phone FROM cases ORDER BY id")
    assert [r["phone"] for r in rows] == [e164 for _, _, e164, _ in PEOPLE]


async def test_the_preview_shows_channel_template_and_cost_per_country(app):
    campaign_id = await mixed_campaign(app)
    preview = await campaigns.preview(app, campaign_id)
    table = {(c.country, c.channel): (c.recipients, c.cost) for c in preview.countries}
    assert table == {("BR", "whatsapp"): (1, 0.05), ("CV", "whatsapp"): (2, 0.1),
                     ("DO", "whatsapp"): (1, 0.05), ("KH", "whatsapp"): (1, 0.05),
                     ("VN", "whatsapp"): (1, 0.05), ("US", "sms"): (2, 0.03)}
    by_locale = {p.locale: p for p in preview.locales}
    assert (by_locale["en"].segments, by_locale["es"].segments) == (1, 2)  # SMS: per segment
    assert by_locale["kea"].whatsapp == 3 and by_locale["kea"].template == KEA_SID
    assert by_locale["vi"].template == EN_SID  # no Vietnamese template: the default's
    assert by_locale["en"].sms == 1 and by_locale["es"].sms == 1
    assert preview.recipients == len(PEOPLE)
    assert preview.cost == pytest.approx(0.33)
    out = io.StringIO()
    await _print_preview(app, campaign_id, out)
    assert f"3 by WhatsApp, template {KEA_SID}" in out.getvalue()
    assert "  CV whatsapp        2 recipients  $0.10\n" in out.getvalue()


async def test_a_mixed_campaign_sends_sms_at_home_and_templates_abroad(app, fake):
    campaign_id = await mixed_campaign(app)
    assert await send_all(app, campaign_id) == "done"
    by_to = {m.to: m for m in fake.messages}
    assert set(by_to) == ({"whatsapp:" + e for _, _, e, c in PEOPLE if c != "US"}
                          | {e for _, _, e, c in PEOPLE if c == "US"})
    cape_verde = by_to["whatsapp:+2389912345"]
    assert cape_verde.content_sid == KEA_SID and cape_verde.from_ == "whatsapp:" + WA_FROM
    assert cape_verde.content_variables == {"1": app.config.organization.name,
                                            "2": app.config.organization.phone}
    assert by_to["whatsapp:+84901234567"].content_sid == EN_SID
    assert "has news that may matter to you" in by_to["+16175550123"].body  # plain SMS
    assert getattr(by_to["+16175550123"], "content_sid", None) is None
    progress = await store.progress(app.db, campaign_id)
    assert progress["sent"] == len(PEOPLE)


async def test_without_any_template_whatsapp_recipients_fail_visibly(config, fake, moving,
                                                                     app):
    bare = await App.create(app.config.replace("whatsapp", "outreach_templates", {}),
                            clock=moving)
    try:
        campaign_id = await mixed_campaign(bare)
        preview = await campaigns.preview(bare, campaign_id)
        assert all(p.template is None for p in preview.locales)
        assert await send_all(bare, campaign_id) == "done"
        reasons = await bare.db.fetchall(
            "SELECT channel, state, reason FROM outreach_recipients WHERE campaign_id=?",
            (campaign_id,))
    finally:
        await bare.close()
    assert {tuple(r) for r in reasons if r["channel"] == "whatsapp"} == {
        ("whatsapp", "failed", "no_template")}
    assert all(not m.to.startswith("whatsapp:") for m in fake.messages)


async def test_quiet_hours_follow_each_recipients_country(app, fake, moving):
    """02:30 UTC: night in Boston, Santo Domingo, Praia and São Paulo, morning in Hanoi
    and Phnom Penh. Only those two get it, the others at their own 8:00."""
    moving.set(dt.datetime(2026, 11, 26, 2, 30, tzinfo=dt.UTC))
    campaign_id = await mixed_campaign(app)
    assert await campaigns.launch(app, campaign_id, "test") is not None
    sender = Sender(app)
    task = asyncio.create_task(sender.run_campaign(campaign_id))
    try:
        for _ in range(100):
            if len(fake.messages) >= 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert sorted(m.to for m in fake.messages) == ["whatsapp:+84901234567",
                                                       "whatsapp:+85512345678"]
        moving.set(dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC))  # 09:00 in Praia
        for _ in range(100):
            if len(fake.messages) >= 4:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert {m.to for m in fake.messages[2:]} == {"whatsapp:+2389912345",
                                                     "whatsapp:+2389912346"}
        moving.set(dt.datetime(2026, 11, 26, 13, 0, 1, tzinfo=dt.UTC))  # 08:00 in Boston
        assert await asyncio.wait_for(task, 10) == "done"
    finally:
        task.cancel()
        await sender.close()
    assert len(fake.messages) == len(PEOPLE)


async def test_the_console_preview_shows_templates_and_the_country_table(app):
    web_app = web.Application()
    setup_console(app, web_app)
    outreach_service.setup(app, web_app)
    outreach_pages.setup(app, web_app)
    client = TestClient(TestServer(web_app, host="127.0.0.1"))
    await client.start_server()
    try:
        await signed_in(app, client, "advocate@example.org", "advocate")
        form = await (await client.get("/console/outreach/new")).text()
        assert 'value="mixed"' in form and "WhatsApp for numbers abroad" in form
        resp = await post_form(client, "/console/outreach/new",
                               {"name": "Abroad", "status": "dismissed", "channel": "mixed"},
                               page="/console/outreach/new")
        path = resp.headers["Location"].split("?")[0]
        page = await (await client.post(f"{path}/preview", data={"csrf": csrf_of(form)})).text()
    finally:
        await client.close()
    kea = page.split('<article class="preview" lang="kea">')[1].split("</article>")[0]
    assert f"3 by WhatsApp with the approved template {KEA_SID}." in kea
    table = page.split('<table id="preview-countries">')[1].split("</table>")[0]
    assert "<tr><td>CV</td><td>WhatsApp</td><td>2</td><td>$0.10</td></tr>" in table
    assert "<tr><td>US</td><td>SMS</td><td>2</td><td>$0.03</td></tr>" in table
    assert "+238" not in page and "+1809" not in page  # countries, never a number


async def test_a_whatsapp_send_accepted_but_not_recorded_is_reconciled_not_resent(app, fake):
    """A kill -9 between Twilio's answer and our commit: found again, never sent twice."""
    campaign_id = await mixed_campaign(app)
    assert await campaigns.launch(app, campaign_id, "test") is not None
    claimed = await store.claim(app.db, campaign_id, "whatsapp", iso(app.clock()), 3)
    provider = WhatsAppProvider(app.config)
    await provider.start()
    accepted = await provider.send(claimed[0]["address"], "", locale=claimed[0]["locale"])
    await provider.stop()
    assert accepted.kind == "sent"  # ... and the process died here: 3 rows 'sending'
    sender = Sender(app)
    try:
        assert await asyncio.wait_for(sender.run_campaign(campaign_id), 30) == "done"
    finally:
        await sender.close()
    per_address = [m.to for m in fake.messages]
    assert len(per_address) == len(set(per_address)) == len(PEOPLE)
    row = await app.db.fetchone("SELECT provider_id FROM outreach_recipients WHERE id=?",
                                (claimed[0]["id"],))
    assert row[0] == accepted.provider_id


async def test_a_reply_to_the_whatsapp_template_opens_the_window_and_starts_the_lookup(
        config, moving, tmp_path, db_path):
    registry = tmp_path / "one.csv"
    with registry.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        writer.writerow({**case_row(1, "kea"), "phone": "+238 991 23 45",
                         "status": "dismissed"})
    assert await asyncio.to_thread(cli_main, ["registry", "import", str(registry), "--db",
                                              str(db_path)]) == 0
    async with whatsapp_rig(config, clock=moving, templates=TEMPLATES, **{
            "whatsapp.outreach_templates": {"en": EN_SID, "kea": KEA_SID},
            "outreach.whatsapp_rate_per_second": 100.0}) as rig:
        campaign_id = await mixed_campaign(rig.app)
        assert await send_all(rig.app, campaign_id) == "done"
        assert [m.content_sid for m in rig.fake.whatsapp_to("+2389912345")] == [KEA_SID]
        await rig.says_then("+2389912345", "YES", 1)
        await rig.idle()
        answer = [m.body for m in rig.fake.whatsapp_to("+2389912345")[1:]]
        recipient = await rig.app.db.fetchone(
            "SELECT replied_at FROM outreach_recipients WHERE campaign_id=?", (campaign_id,))
    assert recipient["replied_at"] is not None
    assert "prusesu" in "\n".join(answer)  # the docket question, in the campaign's Kabuverdianu
    assert all(m.content_sid is None
               for m in rig.fake.whatsapp_to("+2389912345")[1:])  # free-form now


async def test_a_test_send_by_whatsapp_is_the_languages_template(app, fake):
    campaign_id = await mixed_campaign(app)
    sender = Sender(app)
    try:
        outcome = await campaigns.test_send(app, sender, campaign_id, "kea", "+238 991 00 00",
                                            "test", channel="whatsapp")
    finally:
        await sender.close()
    assert outcome.kind == "sent"
    assert [(m.to, m.content_sid) for m in fake.messages] == [("whatsapp:+2389910000",
                                                              KEA_SID)]
    assert await store.count(app.db, campaign_id) == 0  # no recipient row

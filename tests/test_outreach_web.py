"""The outreach pages of the console, over HTTP on 127.0.0.1, for each role."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.outreach import service as outreach_service
from bot.storage import outreach as store
from bot.web import outreach as outreach_pages
from bot.web import setup_console
from tests.fakes.twilio_api import FakeTwilio
from tests.test_outreach_support import MovingClock, import_cases, outreach_config
from tests.web_support import csrf_of, make_escalation, post_form, signed_in

DRUGGY = "Hello from {org}. We can help with your drug case in court. Reply YES."


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as server:
        yield server


@pytest.fixture
async def app(config: Any, fake: FakeTwilio, tmp_path: Any) -> AsyncIterator[App]:
    application = await App.create(outreach_config(config, fake), clock=MovingClock())
    await import_cases(application.db, tmp_path, 40)
    try:
        yield application
    finally:
        await application.close()


@pytest.fixture
async def client(app: App) -> AsyncIterator[TestClient]:
    web_app = web.Application()
    setup_console(app, web_app)
    outreach_service.setup(app, web_app)
    outreach_pages.setup(app, web_app)
    test_client = TestClient(TestServer(web_app, host="127.0.0.1"))
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


async def create(client: TestClient, **fields: Any) -> Any:
    form = {"name": "Hinton dismissed", "status": "dismissed", "lab": "Hinton",
            "channel": "sms", **fields}
    return await post_form(client, "/console/outreach/new", form, page="/console/outreach/new")


def campaign_path(resp: Any) -> str:
    return resp.headers["Location"].split("?")[0]


async def test_advocate_creates_previews_tests_and_launches(app, client, fake):
    await signed_in(app, client, "advocate@example.org", "advocate")
    home = await (await client.get("/console/")).text()
    assert "/console/outreach" in home
    form = await (await client.get("/console/outreach/new")).text()
    assert 'value="Hinton"' in form and 'value="Amherst"' in form
    assert "has news that may matter to you" in form  # the catalog default, editable

    resp = await create(client, text_en=DRUGGY)
    assert resp.status == 303
    path = campaign_path(resp)
    page = await (await client.post(f"{path}/preview", data={"csrf": csrf_of(form)})).text()
    assert "10 recipients" in page
    en = page.split('<article class="preview" lang="en">')[1].split("</article>")[0]
    es = page.split('<article class="preview" lang="es">')[1].split("</article>")[0]
    assert "It names a drug case, a court or an offence: court, drug." in en
    assert 'data-code="no_stop"' in en and 'data-code="forbidden"' not in es
    assert "10 by SMS, 0 by Telegram. 1 SMS segment(s) each (GSM-7)" in en
    assert "+1617" not in page and "Person" not in page  # counts only, no one's details

    test = await post_form(client, f"{path}/test", {"phone": "(617) 500-9999",
                                                    "locale": "es"}, page=path)
    assert test.headers["Location"].endswith("done=test_sent")
    assert fake.texts_to("+16175009999")[0].startswith("Case Help Project (demo) tiene")
    assert await store.count(app.db, 1) == 10  # the test message is no recipient

    launched = await post_form(client, f"{path}/launch", page=path)
    assert launched.headers["Location"].endswith("done=launched")
    for _ in range(100):
        if (await store.get(app.db, 1))["state"] == "done":
            break
        await asyncio.sleep(0.05)
    detail = await (await client.get(path)).text()
    assert re.search(r'id="n-sent">10<', detail) and re.search(r'id="n-queued">0<', detail)
    assert "<svg" in detail and "10 messages sent and 0 replies" in detail
    assert len(fake.messages) == 11
    sent = [m.body for m in fake.messages if m.to != "+16175009999"]
    assert all("drug case" in body for body in sent)  # the advocate chose to ignore the warning


async def test_pause_resume_and_cancel_from_the_console(app, client):
    await signed_in(app, client, "advocate@example.org", "advocate")
    path = campaign_path(await create(client, start="2026-12-24T10:00"))
    assert (await post_form(client, f"{path}/launch", page=path)).status == 303
    page = await client.get(path)
    assert page.headers.get("Refresh") == "5"  # live counts while scheduled or sending
    assert "Scheduled" in await page.text()
    assert (await post_form(client, f"{path}/pause", page=path)).headers[
        "Location"].endswith("done=paused")
    assert (await store.get(app.db, 1))["state"] == "paused"
    assert (await post_form(client, f"{path}/pause", page=path)).headers[
        "Location"].endswith("done=not_now")
    await post_form(client, f"{path}/resume", page=path)
    assert (await store.get(app.db, 1))["state"] == "scheduled"
    await post_form(client, f"{path}/cancel", page=path)
    assert (await store.get(app.db, 1))["state"] == "cancelled"
    counts = await store.progress(app.db, 1)
    assert counts["skipped"] == 10 and counts["sent"] == 0


async def test_bad_input_gets_the_form_back_with_the_problem(app, client):
    await signed_in(app, client, "advocate@example.org", "advocate")
    resp = await create(client, name="  ")
    assert resp.status == 400
    assert "Give the campaign a name" in await resp.text()
    resp = await create(client, text_es="Hola {nombre}")
    assert resp.status == 400 and "Unknown placeholder {nombre}" in await resp.text()
    resp = await create(client, start="next tuesday")
    assert resp.status == 400
    assert await store.listing(app.db) == []


async def test_spanish_speaking_advocates_get_the_pages_in_spanish(app, client):
    await signed_in(app, client, "advocate@example.org", "advocate")
    page = await (await client.get("/console/outreach/new",
                                   headers={"Accept-Language": "es"})).text()
    assert "Nueva campaña" in page and "Quién lo recibe" in page


@pytest.mark.parametrize("role", ["staff"])
async def test_staff_without_the_advocate_role_cannot_manage_campaigns(app, client, role):
    await signed_in(app, client, "advocate@example.org", "advocate")
    await create(client)
    await client.post("/console/logout", data={"csrf": csrf_of(
        await (await client.get("/console/")).text())})
    await signed_in(app, client, "staff@example.org", role)
    home = await (await client.get("/console/")).text()
    assert "/console/outreach" not in home
    for path in ("/console/outreach", "/console/outreach/new", "/console/outreach/1"):
        assert (await client.get(path)).status == 403
    for action in ("launch", "pause", "cancel", "test", "edit", "preview"):
        resp = await post_form(client, f"/console/outreach/1/{action}")
        assert resp.status == 403, action
    assert (await store.get(app.db, 1))["state"] == "draft"


async def test_advocates_cannot_see_case_details_and_forms_need_csrf(app, client):
    esc = await make_escalation(app)
    await signed_in(app, client, "advocate@example.org", "advocate")
    assert (await client.get(f"/console/escalations/{esc}")).status == 403
    assert (await client.get("/console/registry?docket=0101CR000000")).status == 403
    resp = await client.post("/console/outreach/new", data={"name": "x"},
                             allow_redirects=False)
    assert resp.status == 403
    assert await store.listing(app.db) == []


async def test_admins_may_manage_campaigns(app, client):
    await signed_in(app, client, "admin@example.org", "admin")
    assert (await client.get("/console/outreach")).status == 200
    assert (await create(client)).status == 303

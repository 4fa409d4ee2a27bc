"""What an office hits in its first week with the console: long threads, opted-out people,
one-click mistakes, tolerant registry search, password resets, exports, lost pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from bot.app import App
from bot.clock import iso
from bot.demo_data import shipped_csv
from bot.registry.importer import import_csv
from bot.storage import accounts, audit, cases, casework, optouts
from bot.web.auth import verify_password
from tests.web_support import add_user, make_escalation, post_form, signed_in, start_console

LONG = tuple(f"message number {i}" for i in range(1, 21))


@pytest.fixture
async def client(app: App) -> AsyncIterator[TestClient]:
    c = await start_console(app)
    try:
        yield c
    finally:
        await c.close()


async def test_the_newest_exchange_is_beside_the_reply_box_and_older_ones_folded(app, client):
    await signed_in(app, client, "sam@example.org", "staff")
    esc = await make_escalation(app, messages=LONG)
    page = f"/console/escalations/{esc}"
    await post_form(client, page + "/claim", page=page)
    html = await (await client.get(page)).text()
    folded = html[html.index('<details class="earlier">'):html.index("</details>")]
    assert "Earlier messages (14)" in folded and "message number 14<" in folded
    recent = html[html.index('<ol class="thread recent">'):]
    recent = recent[:recent.index("</ol>")]
    assert [f"message number {i}<" in recent for i in (15, 20)] == [True, True]
    assert "message number 14<" not in recent
    # the reply box follows the newest message, before the case and the notes
    assert html.index('<ol class="thread recent">') < html.index('id="reply"') \
        < html.index('id="h-case"')


async def test_an_opted_out_person_cannot_be_replied_to_and_the_queue_says_so(app, client):
    me = await signed_in(app, client, "sam@example.org", "staff")
    esc = await make_escalation(app)
    async with app.db.transaction() as conn:
        await optouts.opt_out(conn, "sms", "+16175550101", "stop", iso(app.clock()))
    page = f"/console/escalations/{esc}"
    await casework.claim(app.db, await casework.escalation(app.db, esc), f"staff:{me}",
                      iso(app.clock()))
    html = await (await client.get(page)).text()
    assert '<fieldset class="plain" disabled>' in html and 'id="opted-out"' in html
    resp = await post_form(client, page + "/reply", {"text": "Hello?"}, page)
    assert "done=opted_out&failed=1" in resp.headers["Location"]
    shown = await (await client.get(resp.headers["Location"])).text()
    assert "Your reply is on its way" not in shown
    rows = await app.db.fetchall("SELECT * FROM outbox")
    assert rows == []  # nothing queued
    queue = await (await client.get("/console/escalations")).text()
    row = queue[queue.index("ABC234"):]
    assert "Has opted out" in row[:row.index("</tr>")]


async def test_one_conversation_exports_as_text_and_is_audited(app, client):
    me = await signed_in(app, client, "sam@example.org", "staff")
    esc = await make_escalation(app, messages=("I want a lawyer", "My case is from 2009"))
    resp = await client.get(f"/console/escalations/{esc}/export")
    assert resp.status == 200 and resp.content_type == "text/plain"
    assert 'filename="escalation-ABC234.txt"' in resp.headers["Content-Disposition"]
    text = await resp.text()
    assert text.startswith("Escalation ABC234\n")
    assert "Person: I want a lawyer\n" in text and "Person: My case is from 2009\n" in text
    rows, _ = await audit.audit_page(app.db, actor=f"staff:{me}", action="escalation_export")
    assert len(rows) == 1
    assert (await client.get("/console/escalations/999/export")).status == 404


@pytest.mark.parametrize("query", ["last_name=nunes", "last_name=NUNEZ", "last_name=Núñes",
                                   "docket=0912cr004411&last_name=nunes",
                                   "last_name=nunez&first_name=mria",
                                   "dob=1975-03-14&last_name=nnez"])
async def test_registry_search_tolerates_case_accents_and_one_typo(app, client, query):
    await import_csv(app.db, shipped_csv(), now=app.clock())
    await signed_in(app, client, "sam@example.org", "staff")
    html = await (await client.get(f"/console/registry?{query}")).text()
    assert "0912-CR-004411" in html, query


async def test_registry_search_does_not_stretch_two_typos_and_links_escalations(app, client):
    await import_csv(app.db, shipped_csv(), now=app.clock())
    await signed_in(app, client, "sam@example.org", "staff")
    assert "0912-CR-004411" not in await (await client.get(
        "/console/registry?last_name=nanes")).text()
    (case,) = await cases.by_docket(app.db, "0912CR004411")
    esc = await make_escalation(app, case_id=case["id"], ref="LNK234")
    other = await make_escalation(app, address="+16175550999", ref="CND234",
                                  candidates=[case["id"]])
    html = await (await client.get("/console/registry?last_name=nunez")).text()
    assert f'href="/console/escalations/{esc}">LNK234</a>' in html
    assert f'href="/console/escalations/{other}">CND234</a>' in html


async def test_an_admin_resets_another_account_s_password(app, client):
    await signed_in(app, client, "root@example.org", "admin")
    lee = await add_user(app, "lee@example.org", "staff")
    short = await post_form(client, f"/console/users/{lee}/password", {"password": "short"},
                            page="/console/users")
    assert short.status == 400
    resp = await post_form(client, f"/console/users/{lee}/password",
                           {"password": "a fresh long password"}, page="/console/users")
    assert resp.headers["Location"] == "/console/users?done=password"
    row = await accounts.user_by_id(app.db, lee)
    assert await verify_password(row["password_hash"], "a fresh long password")
    missing = await post_form(client, "/console/users/999/password",
                              {"password": "a fresh long password"}, page="/console/users")
    assert missing.status == 404


async def test_a_lost_page_keeps_the_navigation_and_the_favicon_is_served(app, client):
    await signed_in(app, client, "sam@example.org", "staff")
    resp = await client.get("/console/no-such-page")
    html = await resp.text()
    assert resp.status == 404 and "This page does not exist." in html
    assert 'href="/console/escalations"' in html and "Sign out" in html
    icon = await client.get("/console/static/favicon.svg")
    assert icon.status == 200 and icon.content_type == "image/svg+xml"
    assert 'rel="icon"' in html


async def test_the_summary_reads_in_words_and_every_case_shown_is_listed_and_flagged(
        app, client, session):
    await import_csv(app.db, shipped_csv(), now=app.clock())
    for text in ("was my case affected?", "0912-CR-004411", "Nunez", "03/14/1975",
                 "4", "0703-CR-002918", "Kowalski", "05/30/1972", "1", "2",
                 "I want a lawyer"):
        await session.say(text)
    await signed_in(app, client, "sam@example.org", "staff")
    (row,) = await app.db.fetchall("SELECT id FROM escalations")
    html = await (await client.get(f"/console/escalations/{row['id']}")).text()
    facts = html[html.index('<dl class="facts">'):html.index("</dl>")]
    assert "last step" not in facts and "verified case:" not in facts  # no debug log
    assert "Last lookup: Their details matched a case" in facts
    assert re.search(r"Read about: [A-Z][a-z]+", facts), facts
    listed = html[html.index('id="disclosed"'):]
    listed = listed[:listed.index("</table>")]
    assert "0912-CR-004411" in listed and "0703-CR-002918" in listed
    assert "shown the cases of 2 different people" in html


async def test_one_person_with_two_cases_is_not_flagged(app, client, session):
    await import_csv(app.db, shipped_csv(), now=app.clock())
    # 07/09/1981 reads two ways: "1" picks July 9, then 3 her other case, 2 a lawyer
    for text in ("was my case affected?", "0845-CR-001203", "Carter-Whitfield", "07/09/1981",
                 "1", "3", "2"):
        await session.say(text)
    await signed_in(app, client, "sam@example.org", "staff")
    (row,) = await app.db.fetchall("SELECT id FROM escalations")
    html = await (await client.get(f"/console/escalations/{row['id']}")).text()
    assert 'id="disclosed"' in html and "different people" not in html


async def test_the_audit_log_filters_by_a_colleague_s_email_and_shows_dockets(app, client):
    await import_csv(app.db, shipped_csv(), now=app.clock())
    await signed_in(app, client, "root@example.org", "admin")
    (case,) = await cases.by_docket(app.db, "0912CR004411")
    esc = await make_escalation(app, case_id=case["id"])
    await client.get(f"/console/escalations/{esc}")
    html = await (await client.get("/console/audit?actor=ROOT@example.org"
                                   "&action=escalation_view")).text()
    assert '<option value="staff:1" selected>root@example.org</option>' in html
    table = html[html.index("<tbody>"):html.index("</tbody>")]
    assert "escalation_view" in table and "0912-CR-004411" in table
    nobody = await (await client.get("/console/audit?actor=nobody@example.org")).text()
    assert "No entries match." in nobody


async def test_canned_replies_come_in_the_person_s_language_and_can_be_edited(app, client):
    me = await signed_in(app, client, "sam@example.org", "staff")
    esc = await make_escalation(app, locale="es")
    await casework.claim(app.db, await casework.escalation(app.db, esc), f"staff:{me}",
                      iso(app.clock()))
    page = f"/console/escalations/{esc}"
    html = await (await client.get(page)).text()
    assert f'href="{page}?canned=hello#reply"' in html
    assert "Hello, this is a lawyer from Case Help Project (demo)" in html  # staff read it
    filled = await (await client.get(page + "?canned=hello")).text()
    box = filled[filled.index('<textarea id="reply"'):]
    box = box[:box.index("</textarea>")]
    assert "Hola, soy abogado de Case Help Project (demo)" in box  # the person reads this
    assert "{org}" not in box
    await post_form(client, page + "/reply", {"text": "Hola, soy abogado. ¿Puede hablar?"}, page)
    assert "Hola, soy abogado" in (await app.db.fetchone("SELECT body FROM outbox"))["body"]


async def test_an_escalation_is_assigned_to_a_named_colleague(app, client):
    await signed_in(app, client, "sam@example.org", "staff")
    lee = await add_user(app, "lee@example.org", "staff")
    advocate = await add_user(app, "ada@example.org", "advocate")
    esc = await make_escalation(app)
    page = f"/console/escalations/{esc}"
    html = await (await client.get(page)).text()
    assert f'<option value="staff:{lee}">lee@example.org</option>' in html
    assert "ada@example.org" not in html  # advocates do not answer escalations
    resp = await post_form(client, page + "/assign", {"to": f"staff:{lee}"}, page)
    assert "done=assigned" in resp.headers["Location"]
    row = await casework.escalation(app.db, esc)
    assert row["claimed_by"] == f"staff:{lee}" and row["status"] == "claimed"
    html = await (await client.get(page)).text()
    assert "sam@example.org assigned it to lee@example.org." in html
    queue = await (await client.get("/console/escalations")).text()
    assert "lee@example.org" in queue
    bad = await post_form(client, page + "/assign", {"to": f"staff:{advocate}"}, page)
    assert bad.status == 400


async def test_an_arabic_transcript_reads_right_to_left_beside_english(app, client, session):
    """Each message of the transcript takes its own direction (``dir="auto"``): an
    Arabic line is laid out right to left in the console's left-to-right page."""
    words = "أريد التحدث مع محامٍ من فضلك"  # "I want to talk to a lawyer, please"
    await session.say(words)
    await signed_in(app, client, "sam@example.org", "staff")
    rows = await app.db.fetchall("SELECT id FROM escalations")
    assert rows, "the lawyer request opened an escalation"
    html = await (await client.get(f"/console/escalations/{rows[0]['id']}")).text()
    assert f'<p class="body" dir="auto">{words}</p>' in html

"""The escalation queue and page, the live handoff actions, registry search, users, audit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from bot.app import App
from bot.clock import iso
from bot.demo_data import shipped_csv
from bot.registry.importer import import_csv
from bot.storage import accounts, audit, cases, casework, outbox, people
from tests.conftest import both_engines
from tests.web_support import add_user, make_escalation, post_form, signed_in, start_console

pytestmark = both_engines


@pytest.fixture
async def client(app: App) -> AsyncIterator[TestClient]:
    c = await start_console(app)
    try:
        yield c
    finally:
        await c.close()


async def _ago(app: App, **delta: float) -> str:
    return iso(app.clock() - dt.timedelta(**delta))


async def test_queue_lists_unresolved_oldest_first_and_marks_overdue_in_words(app, client):
    await signed_in(app, client, "sam@example.org", "staff")
    await make_escalation(app, address="+16175550101", ref="OLD222",
                          created=await _ago(app, hours=30))
    await make_escalation(app, address="+16175550102", ref="NEW333",
                          created=await _ago(app, hours=2))
    html = await (await client.get("/console/escalations")).text()
    assert html.index("OLD222") < html.index("NEW333")
    old_row = html[html.index("OLD222"):html.index("NEW333")]
    assert "Overdue" in old_row  # a word, not only a colour
    new_row = html[html.index("NEW333"):html.index("</tbody>")]
    assert "Overdue" not in new_row
    assert "1 escalation is older than 24 hours" in html


async def test_queue_filters(app, client):
    await signed_in(app, client, "sam@example.org", "staff")
    await make_escalation(app, address="+16175550101", ref="SMSEN2", locale="en")
    await make_escalation(app, address="+16175550102", ref="SMSES3", locale="es")
    await make_escalation(app, address="4242", channel="telegram", ref="TGEN44",
                          created=await _ago(app, days=8))
    resolved = await make_escalation(app, address="+16175550104", ref="DONE55")
    await casework.resolve(app.db, await casework.escalation(app.db, resolved), "staff:1", "bye",
                        iso(app.clock()))

    async def refs(query: str) -> set[str]:
        html = await (await client.get("/console/escalations" + query)).text()
        return {r for r in ("SMSEN2", "SMSES3", "TGEN44", "DONE55") if r in html}

    assert await refs("") == {"SMSEN2", "SMSES3", "TGEN44"}
    assert await refs("?status=resolved") == {"DONE55"}
    assert await refs("?status=all") == {"SMSEN2", "SMSES3", "TGEN44", "DONE55"}
    assert await refs("?language=es") == {"SMSES3"}
    assert await refs("?channel=telegram") == {"TGEN44"}
    assert await refs("?age=week") == {"TGEN44"}
    assert await refs("?age=overdue") == {"TGEN44"}
    assert await refs("?age=recent") == {"SMSEN2", "SMSES3"}
    # nonsense filters fall back to the defaults instead of failing
    assert await refs("?status=bogus&language=xx&channel=pigeon&age=old&page=-4") == {
        "SMSEN2", "SMSES3", "TGEN44"}


async def test_queue_pages(app, client):
    await signed_in(app, client, "sam@example.org", "staff")
    for i in range(55):
        await make_escalation(app, address=f"+161755502{i:02d}", ref=f"R{i:05d}")
    first = await (await client.get("/console/escalations")).text()
    assert "R00000" in first and "R00049" in first and "R00050" not in first
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = await (await client.get("/console/escalations?status=active&page=2")).text()
    assert "R00050" in second and "R00054" in second and "R00000" not in second


async def test_detail_shows_transcript_candidates_language_channel_and_is_audited(app, client):
    await import_csv(app.db, shipped_csv(), now=app.clock())
    matches = await cases.by_docket(app.db, "0912CR004411")
    staff_id = await signed_in(app, client, "sam@example.org", "staff")
    esc = await make_escalation(app, locale="es", reason="name_only",
                                candidates=[matches[0]["id"]],
                                messages=("Hola", "Quiero un abogado"))
    html = await (await client.get(f"/console/escalations/{esc}")).text()
    assert "Quiero un abogado" in html and "Español" in html and "SMS" in html
    assert "Possible case 1" in html and matches[0]["docket_display"] in html
    assert "not verified" in html
    rows, _ = await audit.audit_page(app.db, action="escalation_view")
    assert rows[0]["actor"] == f"staff:{staff_id}" and rows[0]["detail"] == f"escalation={esc}"


async def test_detail_shows_the_verified_case(app, client):
    await import_csv(app.db, shipped_csv(), now=app.clock())
    case = (await cases.by_docket(app.db, "0912CR004411"))[0]
    await signed_in(app, client, "sam@example.org", "staff")
    esc = await make_escalation(app, case_id=case["id"])
    html = await (await client.get(f"/console/escalations/{esc}")).text()
    assert "Verified case" in html and case["docket_display"] in html
    assert "Possible case" not in html


async def test_claim_reply_wait_resolve_through_the_outbox(app, client, clock):
    me = await signed_in(app, client, "sam@example.org", "staff")
    esc = await make_escalation(app, address="+16175550101", locale="es")
    page = f"/console/escalations/{esc}"
    html = await (await client.get(page)).text()
    assert 'name="text"' not in html.split("Internal notes")[0]  # no reply box before claiming
    assert (await post_form(client, page + "/reply", {"text": "Hola"}, page)).headers[
        "Location"].endswith("done=not_claimant&failed=1#status")
    resp = await post_form(client, page + "/claim", page=page)
    assert resp.status == 303
    html = await (await client.get(resp.headers["Location"])).text()
    assert "You claimed this escalation." in html and 'id="reply"' in html
    await post_form(client, page + "/reply", {"text": "Hola, soy abogada. ¿Cuándo nació?",
                                              "then": "waiting"}, page)
    row = (await outbox.for_address(app.db, "sms", "+16175550101"))[-1]
    assert row["body"] == "Hola, soy abogada. ¿Cuándo nació?"
    assert row["author"] == f"staff:{me}" and row["kind"] == "staff" and row["status"] == "pending"
    esc_row = await casework.escalation(app.db, esc)
    assert esc_row["status"] == "waiting"
    transcript = await people.transcript(app.db, esc_row["person_id"])
    assert transcript[-1]["author"] == f"staff:{me}"
    clock.advance(minutes=5)
    await post_form(client, page + "/note", {"text": "Called twice, no answer"}, page)
    unconfirmed = await post_form(client, page + "/resolve", page=page)
    assert "done=unconfirmed&failed=1" in unconfirmed.headers["Location"]
    assert (await casework.escalation(app.db, esc))["status"] == "waiting"  # one click: nothing
    resp = await post_form(client, page + "/resolve", {"confirm": "yes"}, page=page)
    assert (await casework.escalation(app.db, esc))["status"] == "resolved"
    closing = (await outbox.for_address(app.db, "sms", "+16175550101"))[-1]
    assert closing["body"].startswith("Nuestro abogado cerró esta conversación")  # their language
    html = await (await client.get(resp.headers["Location"])).text()
    assert "Called twice, no answer" in html and "Resolved." in html
    history = html[html.index("History"):]
    for words in ("claimed it", "replied", "marked it as waiting", "added a note", "resolved it"):
        assert words in history
    actions = {r["action"] for r in (await audit.audit_page(app.db))[0]}
    assert {"escalation_claimed", "escalation_replied", "escalation_resolved",
            "escalation_noted"} <= actions


async def test_reply_checks_its_text(app, client):
    await signed_in(app, client, "sam@example.org", "staff")
    esc = await make_escalation(app)
    page = f"/console/escalations/{esc}"
    await post_form(client, page + "/claim", page=page)
    for text, code in (("   ", "empty"), ("x" * 1601, "too_long")):
        resp = await post_form(client, page + "/reply", {"text": text}, page)
        assert f"done={code}&failed=1" in resp.headers["Location"]
    emoji = await post_form(client, page + "/reply", {"text": "👍 ok"}, page)
    assert "done=replied" in emoji.headers["Location"]
    bodies = [r["body"] for r in await outbox.for_address(app.db, "sms", "+16175550101")]
    assert bodies == ["👍 ok"]


async def test_another_staff_member_takes_over(app, client):
    other = await add_user(app, "lee@example.org", "staff")
    await signed_in(app, client, "sam@example.org", "staff")
    esc = await make_escalation(app)
    await casework.claim(app.db, await casework.escalation(app.db, esc), f"staff:{other}",
                      iso(app.clock()))
    page = f"/console/escalations/{esc}"
    html = await (await client.get(page)).text()
    assert "claimed by lee@example.org" in html and "Take over" in html
    await post_form(client, page + "/claim", page=page)
    assert "claimed by sam@example.org" in await (await client.get(page)).text()


async def test_resolved_escalation_takes_no_more_actions(app, client):
    await signed_in(app, client, "sam@example.org", "staff")
    esc = await make_escalation(app)
    page = f"/console/escalations/{esc}"
    await post_form(client, page + "/resolve", {"confirm": "yes"}, page=page)
    again = await post_form(client, page + "/resolve", {"confirm": "yes"}, page=page)
    assert "done=closed&failed=1" in again.headers["Location"]
    claim = await post_form(client, page + "/claim", page=page)
    assert "done=closed&failed=1" in claim.headers["Location"]
    assert len(await outbox.for_address(app.db, "sms", "+16175550101")) == 1  # one closing


async def test_registry_search_by_docket_name_and_dob_is_audited(app, client):
    await import_csv(app.db, shipped_csv(), now=app.clock())
    me = await signed_in(app, client, "sam@example.org", "staff")
    by_docket = await (await client.get("/console/registry?docket=0912-cr-004411")).text()
    assert "0912-CR-004411" in by_docket.upper() and "1 case found" in by_docket
    by_name = await (await client.get(
        "/console/registry?last_name=NUNEZ&dob=03/14/1975")).text()
    assert "case found" in by_name or "cases found" in by_name
    nothing = await (await client.get("/console/registry?last_name=Nobody")).text()
    assert "No case matches." in nothing
    bad = await client.get("/console/registry?dob=14.03.1975")
    assert bad.status == 400 and "YYYY-MM-DD" in await bad.text()
    rows, total = await audit.audit_page(app.db, action="registry_search")
    assert total == 3 and all(r["actor"] == f"staff:{me}" for r in rows)
    assert {r["detail"] for r in rows} == {"by=docket", "by=last_name,dob", "by=last_name"}
    assert "0912" not in json.dumps([dict(r) for r in rows])  # fields, never values
    views, _ = await audit.audit_page(app.db, action="case_view")
    assert views and all(v["case_id"] for v in views)


async def test_users_page_adds_disables_and_enables(app, client):
    await signed_in(app, client, "root@example.org", "admin")
    resp = await post_form(client, "/console/users", {"email": "new@example.org",
                                                      "role": "advocate",
                                                      "password": "a long enough password"})
    assert resp.status == 303
    dup = await post_form(client, "/console/users", {"email": "NEW@example.org", "role": "staff",
                                                     "password": "a long enough password"})
    assert dup.status == 400 and "already exists" in await dup.text()
    short = await post_form(client, "/console/users", {"email": "x@example.org", "role": "staff",
                                                       "password": "short"})
    assert short.status == 400
    new = await accounts.user_by_email(app.db, "new@example.org")
    assert new["role"] == "advocate"
    one_click = await post_form(client, f"/console/users/{new['id']}/disable",
                                page="/console/users")
    assert one_click.status == 400 and "Confirm first" in await one_click.text()
    assert not (await accounts.user_by_email(app.db, "new@example.org"))["disabled"]
    await post_form(client, f"/console/users/{new['id']}/disable", {"confirm": "yes"},
                    page="/console/users")
    assert (await accounts.user_by_email(app.db, "new@example.org"))["disabled"]
    await post_form(client, f"/console/users/{new['id']}/enable", page="/console/users")
    assert not (await accounts.user_by_email(app.db, "new@example.org"))["disabled"]
    me = await accounts.user_by_email(app.db, "root@example.org")
    self_off = await post_form(client, f"/console/users/{me['id']}/disable", {"confirm": "yes"})
    assert self_off.status == 400


async def test_audit_page_lists_and_filters(app, client):
    me = await signed_in(app, client, "root@example.org", "admin")
    esc = await make_escalation(app)
    await client.get(f"/console/escalations/{esc}")
    html = await (await client.get("/console/audit?action=escalation_view")).text()
    assert "escalation_view" in html and "root@example.org" in html and "signed_in" not in html
    html = await (await client.get(f"/console/audit?actor=staff:{me}")).text()
    assert "signed_in" in html

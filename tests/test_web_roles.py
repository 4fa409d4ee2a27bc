"""Every console route, for every role: the server decides, whatever links a page shows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from bot.app import App
from bot.storage import accounts, audit, casework
from tests.web_support import add_user, make_escalation, post_form, signed_in, start_console

# (method, path, roles that may use it); {esc} and {user} are filled in.
ROUTES = [
    ("GET", "/console/", {"admin", "staff", "advocate"}),
    ("GET", "/console/account", {"admin", "staff", "advocate"}),
    ("GET", "/console/escalations", {"admin", "staff"}),
    ("GET", "/console/escalations?status=all&language=es&channel=sms&age=overdue",
     {"admin", "staff"}),
    ("GET", "/console/escalations/{esc}", {"admin", "staff"}),
    ("POST", "/console/escalations/{esc}/claim", {"admin", "staff"}),
    ("POST", "/console/escalations/{esc}/assign", {"admin", "staff"}),
    ("POST", "/console/escalations/{esc}/waiting", {"admin", "staff"}),
    ("POST", "/console/escalations/{esc}/reply", {"admin", "staff"}),
    ("POST", "/console/escalations/{esc}/note", {"admin", "staff"}),
    ("POST", "/console/escalations/{esc}/resolve", {"admin", "staff"}),
    ("GET", "/console/registry?docket=0912-CR-004411", {"admin", "staff"}),
    ("GET", "/console/users", {"admin"}),
    ("POST", "/console/users", {"admin"}),
    ("POST", "/console/users/{user}/disable", {"admin"}),
    ("POST", "/console/users/{user}/enable", {"admin"}),
    ("POST", "/console/users/{user}/password", {"admin"}),
    ("GET", "/console/escalations/{esc}/export", {"admin", "staff"}),
    ("GET", "/console/audit", {"admin"}),
    ("POST", "/console/logout", {"admin", "staff", "advocate"}),
]
FORMS = {"/assign": {"to": "staff:2"}, "/reply": {"text": "Hello"}, "/note": {"text": "note"},
         "/resolve": {"confirm": "yes"},
         "/disable": {"confirm": "yes"}, "/password": {"password": "another long password"},
         "/console/users": {"email": "new@example.org", "role": "staff",
                            "password": "a long enough password"}}


@pytest.fixture
async def client(app: App) -> AsyncIterator[TestClient]:
    c = await start_console(app)
    try:
        yield c
    finally:
        await c.close()


@pytest.mark.parametrize("role", ["admin", "staff", "advocate"])
async def test_every_route_for_every_role(app, client, role):
    me = await signed_in(app, client, f"{role}@example.org", role)
    other = await add_user(app, "other@example.org", "staff")
    esc = await make_escalation(app)
    for method, template, allowed in ROUTES:
        path = template.format(esc=esc, user=other)
        if method == "GET":
            resp = await client.get(path, allow_redirects=False)
            expected = 200
        else:
            if path.endswith("/reply"):  # a reply needs a claim first
                await casework.claim(app.db, await casework.escalation(app.db, esc), f"staff:{me}",
                                  "2026-11-25T15:00:00+00:00")
            form = next((v for k, v in FORMS.items() if path.endswith(k)), {})
            resp = await post_form(client, path, form)
            expected = 303
        wanted = expected if role in allowed else 403
        assert resp.status == wanted, (role, method, path, resp.status)
        if resp.status == 403:
            assert "You do not have access to this page." in await resp.text()


async def test_staff_member_on_admin_urls_gets_403_and_nothing_changes(app, client):
    await signed_in(app, client, "sam@example.org", "staff")
    target = await add_user(app, "other@example.org", "staff")
    for path in ("/console/users", "/console/audit"):
        assert (await client.get(path)).status == 403
    assert (await post_form(client, f"/console/users/{target}/disable")).status == 403
    assert (await post_form(client, "/console/users", FORMS["/console/users"])).status == 403
    users = {u["email"]: u for u in await accounts.list_users(app.db)}
    assert not users["other@example.org"]["disabled"] and "new@example.org" not in users


async def test_advocate_sees_no_case_or_escalation(app, client):
    await signed_in(app, client, "ada@example.org", "advocate")
    esc = await make_escalation(app, messages=("my docket is 0912-CR-004411",))
    for path in (f"/console/escalations/{esc}", "/console/escalations",
                 "/console/registry?docket=0912-CR-004411"):
        resp = await client.get(path)
        assert resp.status == 403
        assert "0912" not in await resp.text()
    assert (await post_form(client, f"/console/escalations/{esc}/claim")).status == 403
    assert (await casework.escalation(app.db, esc))["status"] == "open"
    # and no audit row claims they saw anything
    assert (await audit.audit_page(app.db, action="escalation_view"))[1] == 0


async def test_advocate_home_lists_only_what_they_can_open(app, client):
    await signed_in(app, client, "ada@example.org", "advocate")
    html = await (await client.get("/console/")).text()
    assert "Your account" in html
    for hidden in ("Escalation queue", "Registry search", "Audit log", "/console/users"):
        assert hidden not in html


async def test_admin_home_lists_everything(app, client):
    await signed_in(app, client, "root@example.org", "admin")
    html = await (await client.get("/console/")).text()
    for shown in ("Escalation queue", "Registry search", "Accounts", "Audit log", "Your account"):
        assert shown in html


async def test_unknown_escalation_is_404(app, client):
    await signed_in(app, client, "sam@example.org", "staff")
    assert (await client.get("/console/escalations/999999")).status == 404
    assert (await client.get("/console/escalations/abc")).status == 404

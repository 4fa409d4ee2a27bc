"""Console sign-in, sessions, CSRF, attempt limits and security headers, over real HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from bot.app import App
from bot.storage import accounts, audit, casework
from tests.web_support import (
    PASSWORD,
    add_user,
    csrf_of,
    login,
    make_escalation,
    post_form,
    signed_in,
    start_console,
)


@pytest.fixture
async def client(app: App) -> AsyncIterator[TestClient]:
    c = await start_console(app)
    try:
        yield c
    finally:
        await c.close()


async def test_sign_in_sets_a_strict_http_only_cookie_and_opens_the_start_page(app, client):
    await add_user(app, "ana@example.org", "staff")
    resp = await login(client, "ana@example.org")
    assert resp.status == 303 and resp.headers["Location"] == "/console/"
    cookie = resp.cookies["cc_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/console"
    assert not cookie["secure"]  # plain http and secure_cookies off
    home = await client.get("/console/")
    text = await home.text()
    assert home.status == 200 and "ana@example.org" in text and "Escalation queue" in text
    assert (await audit.audit_page(app.db, action="signed_in"))[1] == 1


async def test_secure_cookie_when_configured(app):
    secure_app = dataclasses.replace(
        app, config=app.config.replace("console", "secure_cookies", True))
    client = await start_console(secure_app)
    try:
        await add_user(app, "ana@example.org", "staff")
        page = await client.get("/console/login")
        pre = page.cookies["cc_login"]
        assert pre["secure"]  # so a plain-http client does not even send it back:
        token = csrf_of(await page.text())
        resp = await client.post(
            "/console/login", allow_redirects=False, headers={"Cookie": f"cc_login={pre.value}"},
            data={"email": "ana@example.org", "password": PASSWORD, "csrf": token})
        assert resp.status == 303 and resp.cookies["cc_session"]["secure"]
    finally:
        await client.close()


async def test_wrong_password_and_unknown_email_get_the_same_answer(app, client):
    await add_user(app, "ana@example.org", "staff")
    wrong = await login(client, "ana@example.org", "not the password")
    unknown = await login(client, "nobody@example.org", "not the password")
    assert wrong.status == unknown.status == 401
    assert "The email or the password is wrong." in await wrong.text()
    assert "The email or the password is wrong." in await unknown.text()
    assert "cc_session" not in wrong.cookies


async def test_brute_force_locks_the_account_even_for_the_right_password(app, client, clock):
    await add_user(app, "ana@example.org", "staff")
    for _ in range(5):
        assert (await login(client, "ana@example.org", "guess guess guess")).status == 401
    locked = await login(client, "ana@example.org", PASSWORD)
    assert locked.status == 429 and "Too many failed sign-ins" in await locked.text()
    assert "cc_session" not in locked.cookies
    clock.advance(minutes=16)  # the window passes
    assert (await login(client, "ana@example.org", PASSWORD)).status == 303


async def test_many_accounts_from_one_address_lock_the_address(app, client):
    await add_user(app, "ana@example.org", "staff")
    for i in range(20):
        assert (await login(client, f"guess{i}@example.org", "guess guess guess")).status == 401
    assert (await login(client, "ana@example.org", PASSWORD)).status == 429


async def test_a_concurrent_burst_is_counted_attempt_by_attempt(app, client):
    """40 POSTs at once on one sign-in form, the right password 30th: at most the
    account's limit of 5 are checked, the rest get 429 and nobody signs in."""
    await add_user(app, "ana@example.org", "staff")
    page = await client.get("/console/login")
    token = csrf_of(await page.text())
    passwords = ["wrong password guess"] * 40
    passwords[29] = PASSWORD

    async def attempt(password: str) -> int:
        resp = await client.post("/console/login", allow_redirects=False, data={
            "email": "ana@example.org", "password": password, "csrf": token})
        await resp.read()
        return resp.status
    statuses = await asyncio.gather(*(attempt(p) for p in passwords))
    checked = [s for s in statuses if s != 429]
    assert len(checked) <= 5 and statuses.count(429) >= 35
    assert set(checked) <= {401, 303}
    rows = await app.db.fetchall("SELECT key FROM login_attempts")
    assert len(rows) == 2 * len(checked)  # one per account and one per address each
    assert all("ana" not in r["key"] and "127.0.0.1" not in r["key"] for r in rows)


async def test_signing_in_to_ones_own_account_does_not_reset_the_address(app, client):
    await add_user(app, "mine@example.org", "staff")
    for i in range(19):
        assert (await login(client, f"guess{i}@example.org", "guess guess guess")).status == 401
    assert (await login(client, "mine@example.org")).status == 303
    await client.post("/console/logout", data={"csrf": csrf_of(
        await (await client.get("/console/")).text())})
    assert (await login(client, "guess19@example.org", "guess guess guess")).status == 401
    assert (await login(client, "guess20@example.org", "guess guess guess")).status == 429


async def test_success_resets_the_account_count(app, client):
    await add_user(app, "ana@example.org", "staff")
    for _ in range(4):
        await login(client, "ana@example.org", "typo typo typo")
    assert (await login(client, "ana@example.org")).status == 303
    await client.post("/console/logout", data={"csrf": csrf_of(
        await (await client.get("/console/")).text())})
    for _ in range(4):
        await login(client, "ana@example.org", "typo typo typo")
    assert (await login(client, "ana@example.org")).status == 303


async def test_login_form_without_its_csrf_token_is_refused(app, client):
    await add_user(app, "ana@example.org", "staff")
    resp = await client.post("/console/login", allow_redirects=False,
                             data={"email": "ana@example.org", "password": PASSWORD})
    assert resp.status == 403
    assert "cc_session" not in resp.cookies


async def test_form_without_csrf_token_is_refused_and_changes_nothing(app, client):
    await signed_in(app, client, "ana@example.org", "staff")
    esc_id = await make_escalation(app)
    for data in ({}, {"csrf": "forged"}):
        resp = await client.post(f"/console/escalations/{esc_id}/claim", data=data,
                                 allow_redirects=False)
        assert resp.status == 403
    assert (await casework.escalation(app.db, esc_id))["status"] == "open"
    ok = await post_form(client, f"/console/escalations/{esc_id}/claim")
    assert ok.status == 303
    assert (await casework.escalation(app.db, esc_id))["status"] == "claimed"


async def test_logout_ends_the_session_on_the_server(app, client):
    await signed_in(app, client, "ana@example.org", "staff")
    token = client.session.cookie_jar.filter_cookies(client.make_url("/console/"))["cc_session"]
    resp = await post_form(client, "/console/logout")
    assert resp.status == 303 and "reason=signed_out" in resp.headers["Location"]
    # the old cookie, replayed, opens nothing
    client.session.cookie_jar.update_cookies({"cc_session": token.value},
                                             client.make_url("/console/"))
    again = await client.get("/console/escalations", allow_redirects=False)
    assert again.status == 303 and again.headers["Location"].startswith("/console/login")


async def test_idle_timeout_signs_out_but_activity_keeps_the_session(app, client, clock):
    await signed_in(app, client, "ana@example.org", "staff")
    for _ in range(3):
        clock.advance(minutes=20)
        assert (await client.get("/console/escalations", allow_redirects=False)).status == 200
    clock.advance(minutes=31)
    resp = await client.get("/console/escalations", allow_redirects=False)
    assert resp.status == 303 and "reason=idle" in resp.headers["Location"]
    page = await client.get(resp.headers["Location"])
    assert "without activity" in await page.text()
    assert (await client.get("/console/", allow_redirects=False)).status == 303


async def test_sessions_end_after_session_hours_even_when_active(app, client, clock):
    await signed_in(app, client, "ana@example.org", "staff")
    for _ in range(25):
        clock.advance(minutes=29)
        resp = await client.get("/console/", allow_redirects=False)
    assert resp.status == 303  # 12 h 5 min after sign-in


async def test_disabled_account_cannot_sign_in_and_its_sessions_end(app, client):
    user_id = await signed_in(app, client, "ana@example.org", "staff")
    await accounts.set_disabled(app.db, user_id, True, "test", "2026-11-25T15:00:00+00:00")
    assert (await client.get("/console/", allow_redirects=False)).status == 303
    assert (await login(client, "ana@example.org")).status == 401


async def test_unsigned_visitor_is_sent_to_sign_in_and_back(app, client):
    resp = await client.get("/console/escalations?status=open", allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == "/console/login?next=/console/escalations?status%3Dopen"
    await add_user(app, "ana@example.org", "staff")
    back = await login(client, "ana@example.org", next="/console/escalations?status=open")
    assert back.headers["Location"] == "/console/escalations?status=open"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/elsewhere"])
async def test_next_never_leaves_the_console(app, client, target):
    await add_user(app, "ana@example.org", "staff")
    resp = await login(client, "ana@example.org", next=target)
    assert resp.headers["Location"] == "/console/"


@pytest.mark.parametrize("path", ["/console/login", "/console/", "/console/nowhere",
                                  "/console/static/console.css"])
async def test_security_headers_on_every_response(app, client, path):
    await signed_in(app, client, "ana@example.org", "advocate")
    resp = await client.get(path, allow_redirects=False)
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


async def test_pages_have_no_inline_script_or_style(app, client):
    await signed_in(app, client, "ana@example.org", "admin")
    for path in ("/console/", "/console/escalations", "/console/users", "/console/audit",
                 "/console/registry", "/console/account"):
        html = await (await client.get(path)).text()
        assert "<script" not in html and "style=" not in html and "<style" not in html


async def test_change_password(app, client):
    await signed_in(app, client, "ana@example.org", "advocate")
    bad = await post_form(client, "/console/account/password",
                          {"current": "wrong", "new": "a new long password",
                           "confirm": "a new long password"})
    assert bad.status == 400 and "current password is wrong" in await bad.text()
    short = await post_form(client, "/console/account/password",
                            {"current": PASSWORD, "new": "short", "confirm": "short"})
    assert short.status == 400
    ok = await post_form(client, "/console/account/password",
                         {"current": PASSWORD, "new": "a new long password",
                          "confirm": "a new long password"})
    assert ok.status == 303
    assert (await client.get("/console/", allow_redirects=False)).status == 200  # still in
    other = await start_console(app)
    try:
        assert (await login(other, "ana@example.org", PASSWORD)).status == 401
        assert (await login(other, "ana@example.org", "a new long password")).status == 303
    finally:
        await other.close()


async def test_staff_ui_in_spanish_from_accept_language(app, client):
    page = await client.get("/console/login", headers={"Accept-Language": "es-MX,es;q=0.9"})
    text = await page.text()
    assert '<html lang="es">' in text and "Contraseña" in text

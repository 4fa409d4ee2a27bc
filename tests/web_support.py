"""Helpers for the staff console tests: a real server on 127.0.0.1, accounts, escalations."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.clock import iso
from bot.storage import accounts, escalations, people
from bot.web import setup_console
from bot.web.auth import hash_password

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def start_console(app: App) -> TestClient:
    """The console on its own aiohttp application, served on a real socket."""
    web_app = web.Application()
    setup_console(app, web_app)
    client = TestClient(TestServer(web_app, host="127.0.0.1"))
    await client.start_server()
    return client


async def add_user(app: App, email: str, role: str, password: str = PASSWORD) -> int:
    user_id = await accounts.create_user(app.db, email, role, await hash_password(password),
                                      iso(app.clock()), "test")
    assert user_id
    return user_id


async def login(client: TestClient, email: str, password: str = PASSWORD,
                **extra: str) -> Any:
    """Sign in through the form (its CSRF token included); the response, redirects not followed."""
    page = await client.get("/console/login")
    token = csrf_of(await page.text())
    return await client.post("/console/login", allow_redirects=False,
                             data={"email": email, "password": password, "csrf": token, **extra})


async def signed_in(app: App, client: TestClient, email: str, role: str) -> int:
    user_id = await add_user(app, email, role)
    resp = await login(client, email)
    assert resp.status == 303, await resp.text()
    return user_id


async def post_form(client: TestClient, path: str, data: dict[str, str] | None = None,
                    page: str | None = None) -> Any:
    """POST a console form with the CSRF token taken from ``page`` (default: the start page)."""
    html = await (await client.get(page or "/console/")).text()
    return await client.post(path, data={"csrf": csrf_of(html), **(data or {})},
                             allow_redirects=False)


async def make_escalation(app: App, *, address: str = "+16175550101", channel: str = "sms",
                          locale: str = "en", reason: str = "asked", ref: str = "ABC234",
                          case_id: int | None = None, candidates: list[int] | None = None,
                          created: str | None = None,
                          messages: tuple[str, ...] = ("I want a lawyer",)) -> int:
    """A person with a short transcript and an open escalation, as the dialogue leaves them."""
    now = created or iso(app.clock())
    state = await people.get_or_create(app.db, channel, address, now)
    async with app.db.transaction() as conn:
        state.locale = locale
        await people.save_state(conn, state, channel, now)
        for text in messages:
            await people.add_message(conn, state.person_id, "in", channel, text, now)
        return await escalations.create(
            conn, ref=ref, person_id=state.person_id, channel=channel, address=address,
            locale=locale, reason=reason, case_id=case_id, candidates=candidates or [],
            summary="reason: asked", now=now)

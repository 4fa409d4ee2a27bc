"""The staff console behind two instances on one database (issue 13): a request may reach
either. Sessions, CSRF tokens, the sign-in limits and the live handoff live in the
database, so signing in on one and acting on the other works, and failed sign-ins
are counted across both. (PostgreSQL, the multi-instance deployment; SQLite too.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from bot.app import App
from bot.storage import casework, outbox
from bot.web.auth import SESSION_COOKIE
from tests.conftest import both_engines
from tests.web_support import PASSWORD, add_user, csrf_of, login, make_escalation, start_console

pytestmark = both_engines


@pytest.fixture
async def two(app: App, config, clock,
              understanding) -> AsyncIterator[tuple[App, TestClient, TestClient]]:
    """The test's App and a second one on the same database, each with its console."""
    other = await App.create(config, clock=clock, understanding=understanding)
    one, two = await start_console(app), await start_console(other)
    try:
        yield other, one, two
    finally:
        await one.close()
        await two.close()
        await other.close()


def carry_session(source: TestClient, target: TestClient) -> None:
    """The browser's cookie, now sent to the other instance (as behind a load balancer)."""
    token = source.session.cookie_jar.filter_cookies(source.make_url("/console/"))[
        SESSION_COOKIE].value
    target.session.cookie_jar.update_cookies({SESSION_COOKIE: token})


async def test_signed_in_on_one_instance_the_live_handoff_goes_on_on_the_other(app, two):
    other, one, two_ = two
    await add_user(app, "sam@example.org", "staff")
    assert (await login(one, "sam@example.org")).status == 303
    carry_session(one, two_)
    esc = await make_escalation(app, address="+16175550101")
    page = f"/console/escalations/{esc}"
    # the form comes from one instance, the POST goes to the other, and back
    token = csrf_of(await (await one.get(page)).text())
    claimed = await two_.post(page + "/claim", data={"csrf": token}, allow_redirects=False)
    assert claimed.status == 303 and "done=claimed" in claimed.headers["Location"]
    token = csrf_of(await (await two_.get(page)).text())
    replied = await one.post(page + "/reply", data={"csrf": token, "text": "Hello, I am Sam."},
                             allow_redirects=False)
    assert "done=replied" in replied.headers["Location"]
    sent = (await outbox.for_address(other.db, "sms", "+16175550101"))[-1]
    assert sent["body"] == "Hello, I am Sam." and sent["kind"] == "staff"
    resolved = await two_.post(page + "/resolve", data={"csrf": token, "confirm": "yes"},
                               allow_redirects=False)
    assert "done=resolved" in resolved.headers["Location"]
    assert (await casework.escalation(app.db, esc))["status"] == "resolved"
    # a forged token is refused by either
    forged = await two_.post(page + "/note", data={"csrf": "x" * 43, "text": "n"},
                             allow_redirects=False)
    assert forged.status == 403
    # signed out on one: the other no longer knows the session either
    out = await one.post("/console/logout", data={"csrf": token}, allow_redirects=False)
    assert out.status == 303
    gone = await two_.get("/console/", allow_redirects=False)
    assert gone.status == 303 and gone.headers["Location"].startswith("/console/login")


async def test_the_sign_in_form_of_one_instance_is_accepted_by_the_other(app, two):
    _other, one, two_ = two
    await add_user(app, "ana@example.org", "staff")
    form = await one.get("/console/login")
    token = csrf_of(await form.text())
    two_.session.cookie_jar.update_cookies(
        {"cc_login": one.session.cookie_jar.filter_cookies(one.make_url("/console/"))[
            "cc_login"].value})
    resp = await two_.post("/console/login", allow_redirects=False,
                           data={"email": "ana@example.org", "password": PASSWORD, "csrf": token})
    assert resp.status == 303 and resp.cookies[SESSION_COOKIE].value


async def test_failed_sign_ins_are_counted_across_both_instances(app, two, config):
    _other, one, two_ = two
    await add_user(app, "ana@example.org", "staff")
    limit = config.console.login_max_failures
    for n in range(limit):
        assert (await login((one, two_)[n % 2], "ana@example.org", "guess guess")).status == 401
    for client in (one, two_):  # the right password, too late, on either
        assert (await login(client, "ana@example.org", PASSWORD)).status == 429


async def test_a_burst_split_between_instances_gets_no_more_checks_than_the_limit(app, two,
                                                                                 config):
    _other, one, two_ = two
    await add_user(app, "ana@example.org", "staff")
    statuses = await asyncio.gather(*(
        login((one, two_)[n % 2], "ana@example.org", "guess guess") for n in range(20)))
    codes = [r.status for r in statuses]
    assert codes.count(401) == config.console.login_max_failures
    assert codes.count(429) == 20 - config.console.login_max_failures

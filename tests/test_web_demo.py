"""``casecheck demo`` serves the console on 127.0.0.1 with printed demo credentials."""

from __future__ import annotations

import re

import aiohttp

from bot.web import demo


async def test_demo_console_signs_in_with_the_printed_credentials(app):
    served = await demo.start(app, 0)
    try:
        line = served.lines()[0]
        url = re.search(r"http://127\.0\.0\.1:\d+/console/", line).group(0)
        password = re.search(r"password (\S+)\)", line).group(1)
        assert demo.DEMO_EMAIL in line
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            page = await (await http.get(url + "login")).text()
            token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            resp = await http.post(url + "login", data={
                "email": demo.DEMO_EMAIL, "password": password, "csrf": token})
            assert resp.status == 200 and "Escalation queue" in await resp.text()
    finally:
        await served.stop()
    again = await demo.start(app, 0)  # a second run gets a fresh password for the same account
    try:
        assert again.password != password
    finally:
        await again.stop()


async def _sign_in(http: aiohttp.ClientSession, url: str, email: str, password: str) -> str:
    page = await (await http.get(url + "login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    resp = await http.post(url + "login", data={"email": email, "password": password,
                                                "csrf": token})
    assert resp.status == 200, email
    return await resp.text()


async def test_the_demo_shows_every_role_s_pages(app):
    served = await demo.start(app, 0)
    try:
        assert all(email in "\n".join(served.lines()) for email in demo.DEMO_EMAILS.values())
        pages = {"staff": ["/console/escalations", "/console/registry"],
                 "advocate": ["/console/outreach", "/console/outreach/new"],
                 "admin": ["/console/users", "/console/audit", "/console/outreach"]}
        for role, paths in pages.items():
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                await _sign_in(http, served.url, demo.DEMO_EMAILS[role], served.password)
                for path in paths:
                    resp = await http.get(served.url.removesuffix("/console/") + path)
                    assert resp.status == 200, (role, path)
    finally:
        await served.stop()

"""``casecheck demo`` serves the console on 127.0.0.1 with printed demo credentials."""

from __future__ import annotations

import re

import aiohttp

from bot.web import demo


async def test_demo_console_signs_in_with_the_printed_credentials(app):
    served = await demo.start(app, 0)
    try:
        (line,) = served.lines()
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

"""The staff console for ``casecheck demo``: served on 127.0.0.1 beside the terminal chat,
with a demo staff account whose fresh password is printed at start."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from aiohttp import web

from ..app import App
from ..clock import iso
from ..storage import staff
from . import setup_console
from .auth import hash_password

DEMO_EMAIL = "staff@demo.invalid"


@dataclass
class DemoConsole:
    runner: web.AppRunner
    url: str
    email: str
    password: str

    def lines(self) -> list[str]:
        return [f"Staff console: {self.url}  (sign in as {self.email}, password "
                f"{self.password}). Ask for a lawyer in the chat, then answer from the console."]

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start(app: App, port: int) -> DemoConsole:
    """Serve the console on 127.0.0.1:``port`` (any free port if it is taken)."""
    password = secrets.token_urlsafe(12)
    hashed = await hash_password(password)
    now = iso(app.clock())
    user = await staff.user_by_email(app.db, DEMO_EMAIL)
    if user is None:
        await staff.create_user(app.db, DEMO_EMAIL, "staff", hashed, now, "demo")
    else:
        await staff.set_password(app.db, user["id"], hashed, "", "demo", now)
        await staff.set_disabled(app.db, user["id"], False, "demo", now)
    web_app = web.Application()
    setup_console(dataclasses.replace(app, config=app.config.replace("console", "enabled", True)),
                  web_app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
    except OSError:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
    bound = runner.addresses[0][1]
    return DemoConsole(runner, f"http://127.0.0.1:{bound}/console/", DEMO_EMAIL, password)

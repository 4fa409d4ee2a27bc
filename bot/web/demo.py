"""The staff console for ``casecheck demo``: served on 127.0.0.1 beside the terminal chat,
outreach pages included, with one demo account per role (staff, advocate, admin) sharing a
fresh password printed at start."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from aiohttp import web

from ..app import App
from ..clock import iso
from ..storage import accounts
from . import outreach as outreach_pages
from . import setup_console
from .auth import hash_password

ROLES = ("staff", "advocate", "admin")
DEMO_EMAILS = {role: f"{role}@demo.invalid" for role in ROLES}
DEMO_EMAIL = DEMO_EMAILS["staff"]


@dataclass
class DemoConsole:
    runner: web.AppRunner
    url: str
    email: str
    password: str

    def lines(self) -> list[str]:
        others = " or ".join(DEMO_EMAILS[role] for role in ROLES[1:])
        return [f"Staff console: {self.url}  (sign in as {self.email}, password "
                f"{self.password}). Ask for a lawyer in the chat, then answer from the console.",
                f"  Other roles, same password: {others} (outreach campaigns, accounts, "
                f"audit log)."]

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start(app: App, port: int) -> DemoConsole:
    """Serve the console on 127.0.0.1:``port`` (any free port if it is taken)."""
    password = secrets.token_urlsafe(12)
    hashed = await hash_password(password)
    now = iso(app.clock())
    for role, email in DEMO_EMAILS.items():
        user = await accounts.user_by_email(app.db, email)
        if user is None:
            await accounts.create_user(app.db, email, role, hashed, now, "demo")
        else:
            await accounts.set_password(app.db, user["id"], hashed, "", "demo", now)
            await accounts.set_disabled(app.db, user["id"], False, "demo", now)
    web_app = web.Application()
    served = dataclasses.replace(app, config=app.config.replace("console", "enabled", True))
    setup_console(served, web_app)
    outreach_pages.setup(served, web_app)
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

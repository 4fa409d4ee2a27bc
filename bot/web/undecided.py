"""Undecided replies: what a crash interrupted and the provider could not confirm.

After a crash the outbox worker settles every interrupted reply with the
provider (``bot.workers.OutboxWorker.reconcile``); only one it could not ask
stays undecided. Staff see those here, oldest first, and send one again with
one click if the person did not get it (the transcript on the escalation page
says what they did get). Mounted at ``/console/undecided`` as its own small
sub-application, listed on the home page for staff.
"""

from __future__ import annotations

from aiohttp import web

from ..app import App
from ..storage import outbox
from . import SUBAPP, add_section, console_app
from .auth import STAFF, requires
from .pages import CONSOLE, N_, USER, console_of, render

PATH = "/console/undecided"
DONE_MESSAGES = {"resent": N_("It is on its way again."),
                 "decided": N_("This reply was already decided.")}


@requires(STAFF)
async def undecided_list(request: web.Request) -> web.StreamResponse:
    rows = await outbox.undecided(console_of(request).app.db)
    return render(request, "undecided.html", rows=rows,
                  done=DONE_MESSAGES.get(request.query.get("done", "")))


@requires(STAFF)
async def resend(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    outbox_id = int(request.match_info["id"])
    ok = await outbox.resend_undecided(console.app.db, outbox_id, request[USER]["actor"],
                                       console.stamp())
    raise web.HTTPSeeOther(f"{PATH}?done={'resent' if ok else 'decided'}")


def setup(app: App, web_app: web.Application) -> None:
    """Mount the page (when the console is on) and list it for staff."""
    if SUBAPP not in web_app:
        return
    console = console_app(web_app)
    sub = web.Application(middlewares=list(console.middlewares), client_max_size=16 * 1024)
    sub[CONSOLE] = console[CONSOLE]
    sub.router.add_get("", undecided_list)
    sub.router.add_post(r"/{id:\d{1,18}}/resend", resend)
    web_app.add_subapp(PATH, sub)
    add_section(web_app, PATH, N_("Undecided replies"),
                N_("Replies a crash interrupted that the provider could not confirm: send "
                   "one again if the person did not get it."), STAFF)

"""The staff web console, mounted at ``/console/`` on the bot's aiohttp server.

``setup_console(app, web_app)`` adds it (one of ``bot.server.EXTENSIONS``).
Other parts of the bot add pages to the console with ``console_app(web_app)``
(their routes, marked with ``auth.requires``) and list them on the home page
with ``add_section``.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from ..app import App
from . import admin, auth, routes
from .pages import CONSOLE, N_, Console, Section, build_env, pages_middleware

SUBAPP = web.AppKey("console_app", web.Application)

BUILTIN_SECTIONS = (  # each console gets its own list of these (add_section adds to it)
    Section("/console/escalations", N_("Escalation queue"),
            N_("People who asked for a lawyer: claim, answer and resolve."), auth.STAFF),
    Section("/console/registry", N_("Registry search"),
            N_("Find a case by docket number, name or date of birth. Every search is logged."),
            auth.STAFF),
    Section("/console/users", N_("Accounts"), N_("Add, disable and enable console accounts."),
            auth.ADMIN),
    Section("/console/audit", N_("Audit log"), N_("Who looked up, saw or did what, and when."),
            auth.ADMIN),
    Section("/console/account", N_("Your account"), N_("Change your password."), auth.EVERYONE),
)


@auth.requires(auth.PUBLIC)
async def stylesheet(request: web.Request) -> web.StreamResponse:
    return web.Response(body=request.config_dict[CONSOLE].css, content_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})


@auth.requires(auth.PUBLIC)
async def favicon(request: web.Request) -> web.StreamResponse:
    return web.Response(body=FAVICON, content_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


FAVICON = resources.files("bot.web").joinpath("static/favicon.svg").read_bytes()


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPMovedPermanently("/console/")


def setup_console(app: App, web_app: web.Application) -> None:
    """Mount the console on ``web_app`` (unless ``[console] enabled`` is false)."""
    if not app.config.console.enabled:
        return
    css = resources.files("bot.web").joinpath("static/console.css").read_bytes()
    console = Console(app, build_env(), css, list(BUILTIN_SECTIONS))
    sub = web.Application(middlewares=[pages_middleware, auth.auth_middleware])
    sub[CONSOLE] = console
    r = sub.router
    r.add_get("/", routes.home)
    r.add_get("/static/console.css", stylesheet)
    r.add_get("/static/favicon.svg", favicon)
    r.add_get("/login", auth.login_form)
    r.add_post("/login", auth.login)
    r.add_post("/logout", auth.logout)
    r.add_get("/account", auth.account)
    r.add_post("/account/password", auth.change_password)
    r.add_get("/escalations", routes.queue)
    r.add_get(r"/escalations/{id:\d+}", routes.detail)
    for action in ("claim", "assign", "waiting", "reply", "resolve", "note"):
        r.add_post(rf"/escalations/{{id:\d+}}/{action}", getattr(routes, action))
    r.add_get(r"/escalations/{id:\d+}/export", routes.export)
    r.add_get("/registry", admin.registry)
    r.add_get("/users", admin.users)
    r.add_post("/users", admin.add_user)
    r.add_post(r"/users/{id:\d+}/disable", admin.disable_user)
    r.add_post(r"/users/{id:\d+}/enable", admin.enable_user)
    r.add_post(r"/users/{id:\d+}/password", admin.reset_password)
    r.add_get("/audit", admin.audit_log)
    web_app.router.add_get("/console", _to_console)
    web_app.add_subapp("/console/", sub)
    web_app[SUBAPP] = sub


def console_app(web_app: web.Application) -> web.Application:
    """The console's own application, to add routes to before the server starts."""
    return web_app[SUBAPP]


def add_section(web_app: web.Application, path: str, title: str, description: str,
                roles: frozenset[str]) -> None:
    """List a page on the home page and in the menu for ``roles`` (title: a msgid)."""
    web_app[SUBAPP][CONSOLE].sections.insert(-1, Section(path, title, description, roles))

"""Rendering for the console: the Jinja2 environment, the staff UI language, formatting,
the sections each role can open, and the middleware that adds security headers and
turns errors into pages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web
from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal

from ..app import App
from ..clock import iso
from ..i18n import normalize_locale

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

def N_(msgid: str) -> str:
    """Mark a string for the catalog; it is translated where it is shown."""
    return msgid


# Labels of stored codes; msgids of the "web" catalog domain.
STATUS_LABELS = {"open": N_("Open"), "claimed": N_("Claimed"),
                 "waiting": N_("Waiting on the person"), "resolved": N_("Resolved")}
# The channels' labels (ChannelSpec.label in bot/channels/registry.py), marked here as
# msgids of the "web" domain.
CHANNEL_MSGIDS = (N_("SMS"), N_("Telegram"), N_("WhatsApp"), N_("Console"))
CASE_STATUS_LABELS = {"dismissed": N_("Dismissed"), "pending": N_("Pending"),
                      "not_dismissed": N_("Not dismissed"), "under_review": N_("Under review")}
REASON_LABELS = {"asked": N_("Asked for a lawyer"),
                 "name_only": N_("Possible match by name and date of birth"),
                 "locked_out": N_("Locked out of lookups")}
ROLE_LABELS = {"admin": N_("Administrator"), "staff": N_("Staff"), "advocate": N_("Advocate")}


@dataclass(frozen=True)
class Section:
    """A part of the console; the home page and the menu list those a role may open."""

    path: str
    title: str
    description: str
    roles: frozenset[str]


@dataclass
class Console:
    app: App
    env: jinja2.Environment
    css: bytes
    sections: list[Section] = field(default_factory=list)
    dummy_hash: str = ""
    # argon2 checks at once (about 64 MiB each): a sign-in burst waits instead of
    # exhausting memory and starving the event loop's thread pool.
    password_checks: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))

    @property
    def tz(self) -> ZoneInfo:
        return self.app.config.organization.zone

    def now(self) -> dt.datetime:
        return self.app.clock()

    def stamp(self) -> str:
        return iso(self.app.clock())


CONSOLE = web.AppKey("console", Console)
USER = web.RequestKey("console_user", dict)  # the signed-in user, set by auth


def build_env() -> jinja2.Environment:
    import jinja2  # here, not at start-up: a deployment without the console never loads it

    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def ui_locale(request: web.Request, available: list[str]) -> str:
    """The staff member's language from Accept-Language, among the shipped catalogs."""
    for part in request.headers.get("Accept-Language", "").split(",")[:8]:
        tag = part.split(";")[0].strip()
        if tag and tag != "*" and (found := normalize_locale(tag, available)):
            return found
    return "en"


def console_of(request: web.Request) -> Console:
    return request.config_dict[CONSOLE]


def render(request: web.Request, template: str, *, status: int = 200,
           **context: Any) -> web.Response:
    console = console_of(request)
    translator = console.app.translator
    locale = ui_locale(request, translator.locales)
    now = console.now()
    tz = console.tz
    babel_locale = Locale.parse(locale)

    def _(msgid: str, **kw: Any) -> str:
        return translator.gettext(locale, msgid, **kw)

    def n_(singular: str, plural: str, n: int, **kw: Any) -> str:
        return translator.ngettext(locale, singular, plural, n, **kw)

    def num(n: int) -> str:
        return format_decimal(n, locale=babel_locale)

    def when(stamp: str | None) -> str:
        if not stamp:
            return ""
        moment = dt.datetime.fromisoformat(stamp)
        return format_datetime(moment, "short", tzinfo=tz, locale=babel_locale)

    def age(stamp: str | None) -> str:
        if not stamp:
            return ""
        delta = now - dt.datetime.fromisoformat(stamp)
        return format_timedelta(delta, threshold=1.5, locale=babel_locale)

    def labels(msgids: dict[str, str]) -> dict[str, str]:
        return {key: _(msgid) for key, msgid in msgids.items()}

    user = request.get(USER)
    sections = [s for s in console.sections if user and user["role"] in s.roles]
    html = console.env.get_template(template).render(
        _=_, n_=n_, num=num, when=when, age=age, locale=locale, user=user, sections=sections,
        csrf=user["csrf"] if user else "", path=request.path,
        status_labels=labels(STATUS_LABELS), channel_labels=labels(console.app.channels.labels()),
        case_status_labels=labels(CASE_STATUS_LABELS), reason_labels=labels(REASON_LABELS),
        role_labels=labels(ROLE_LABELS), **context)
    response = web.Response(text=html, content_type="text/html", status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


ERROR_MESSAGES = {
    400: N_("The request was not valid."),
    403: N_("You do not have access to this page."),
    404: N_("This page does not exist."),
    405: N_("This action is not allowed here."),
    413: N_("What you sent is too large."),
    429: N_("Too many requests. Wait a few minutes and try again."),
}


@web.middleware
async def pages_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every response; errors become plain pages."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            exc.headers.update(SECURITY_HEADERS)
            raise
        response = render(request, "error.html", status=exc.status,
                          message=ERROR_MESSAGES.get(exc.status, N_("Something went wrong.")))
    except Exception:
        log.exception("console error on %s", request.match_info.route.name or "route")
        response = render(request, "error.html", status=500,
                          message=N_("Something went wrong. Try again."))
    response.headers.update(SECURITY_HEADERS)
    return response

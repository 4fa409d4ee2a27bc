"""Outreach pages of the console, for advocates (and admins).

Campaign list, create and edit form (audience, a text per language, start
time), preview (recipients, segments, cost, discretion warnings per language),
a test-send to the advocate's own number, launch / pause / resume / cancel,
live counts and a chart of sends and replies over time (inline SVG drawn on
the server; the page refreshes itself with a meta refresh while sending: no
script, which the CSP forbids anyway). Only counts are shown: never a name,
a number or a case.

``setup(app, web_app)`` is a server extension; it must come after the
console's own (``bot.web:setup_console``) and does nothing without it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from ..app import App
from ..channels.registry import BUILTIN, SMS
from ..outreach import campaigns
from ..outreach.campaigns import Problem
from ..outreach.sender import Sender
from ..outreach.service import SENDER
from ..outreach.texts import N_, default_text
from ..storage import outreach as store
from ..storage.outreach import Audience
from . import SUBAPP, add_section, console_app
from .auth import requires
from .pages import CONSOLE, USER, console_of, render

ADVOCATES = frozenset({"admin", "advocate"})
STATE_LABELS = campaigns.STATE_LABELS
# The campaign channels (their registry labels, marked here for the "outreach" domain)
# and the two audiences over two channels.
CHANNEL_MSGIDS = (N_("SMS"), N_("Telegram"), N_("WhatsApp"))
CHANNEL_CHOICES = {**{name: BUILTIN[name].label for name in BUILTIN.outreach_channels()},
                   store.ANY: N_("Telegram if the person linked it, else SMS"),
                   store.MIXED: N_("WhatsApp for numbers abroad, SMS for the rest")}
CASE_STATUSES = {"dismissed": N_("Dismissed"), "pending": N_("Pending"),
                 "not_dismissed": N_("Not dismissed"), "under_review": N_("Under review")}
DONE = {
    "created": N_("Campaign created. Check the preview, send yourself a test, then launch."),
    "saved": N_("Changes saved."),
    "launched": N_("Campaign launched."),
    "paused": N_("Campaign paused."),
    "resumed": N_("Campaign resumed."),
    "cancelled": N_("Campaign cancelled."),
    "test_sent": N_("Test message sent to your number."),
    "test_failed": N_("The test message could not be sent."),
    "not_now": N_("That is not possible in the campaign's current state."),
}
CHART_W, CHART_H, CHART_BUCKETS = 640, 180, 40


def setup(app: App, web_app: web.Application) -> None:
    """Mount the outreach pages at ``/console/outreach`` as their own sub-application
    sharing the console's state and middlewares (aiohttp freezes a mounted
    sub-application's router, so the console's own cannot take routes any more)."""
    if SUBAPP not in web_app:
        return
    console = console_app(web_app)
    sub = web.Application(middlewares=list(console.middlewares), client_max_size=64 * 1024)
    sub[CONSOLE] = console[CONSOLE]
    r = sub.router
    r.add_get("", campaign_list)
    r.add_get("/new", new_form)
    r.add_post("/new", create)
    r.add_get(r"/{id:\d+}", detail)
    r.add_post(r"/{id:\d+}/edit", edit)
    r.add_post(r"/{id:\d+}/preview", preview)
    r.add_post(r"/{id:\d+}/test", test_send)
    for action in ("launch", "pause", "resume", "cancel"):
        r.add_post(rf"/{{id:\d+}}/{action}", change)
    web_app.add_subapp("/console/outreach", sub)
    add_section(web_app, "/console/outreach", N_("Outreach"),
                N_("Campaigns to the people in the registry: audience, message, schedule, "
                   "progress."), ADVOCATES)


def _actor(request: web.Request) -> str:
    return str(request[USER]["actor"])


async def _campaign(request: web.Request) -> Any:
    app = console_of(request).app
    campaign = await store.get(app.db, int(request.match_info["id"]))
    if campaign is None:
        raise web.HTTPNotFound()
    return campaign


def _sender(request: web.Request) -> Sender | None:
    return request.config_dict.get(SENDER)


async def _choices(app: App) -> dict[str, Any]:
    translator = app.translator
    return {"labs": await store.distinct_values(app.db, "lab"),
            "courts": await store.distinct_values(app.db, "court"),
            "registry_languages": await store.distinct_values(app.db, "language"),
            "locales": {loc: translator.language_name(loc) for loc in translator.locales},
            "case_statuses": CASE_STATUSES, "channel_choices": CHANNEL_CHOICES}


def _form_values(app: App, campaign: Any = None) -> dict[str, Any]:
    """What the form shows: a campaign's values, or the defaults."""
    audience = Audience.from_json(campaign["filters"]) if campaign else Audience()
    stored = json.loads(campaign["texts"]) if campaign else {}
    texts = {loc: stored.get(loc) or default_text(app.translator, loc)
             for loc in app.translator.locales}
    return {"name": campaign["name"] if campaign else "", "audience": audience, "texts": texts,
            "start": _local_start(app, campaign["start_at"]) if campaign else ""}


def _local_start(app: App, start_at: str | None) -> str:
    if not start_at:
        return ""
    local = dt.datetime.fromisoformat(start_at).astimezone(app.config.outreach.zone)
    return local.strftime("%Y-%m-%dT%H:%M")


def _draft(app: App, form: MultiDictProxy[Any]) -> campaigns.Draft:
    texts = {loc: str(form.get(f"text_{loc}", "")) for loc in app.translator.locales}
    return campaigns.validate(
        app, name=str(form.get("name", "")), labs=[str(v) for v in form.getall("lab", [])],
        statuses=[str(v) for v in form.getall("status", [])],
        courts=[str(v) for v in form.getall("court", [])],
        languages=[str(v) for v in form.getall("language", [])],
        channel=str(form.get("channel", SMS.name)),
        include_reached=form.get("include_reached") == "1",
        texts=texts, start=str(form.get("start", "")))


def _submitted(app: App, form: MultiDictProxy[Any]) -> dict[str, Any]:
    """The form as sent, to show again with the problem."""
    audience = Audience(
        labs=tuple(str(v) for v in form.getall("lab", [])),
        statuses=tuple(str(v) for v in form.getall("status", [])),
        courts=tuple(str(v) for v in form.getall("court", [])),
        languages=tuple(str(v) for v in form.getall("language", [])),
        channel=str(form.get("channel", SMS.name)),
        include_reached=form.get("include_reached") == "1")
    return {"name": str(form.get("name", "")), "audience": audience,
            "texts": {loc: str(form.get(f"text_{loc}", "")) for loc in app.translator.locales},
            "start": str(form.get("start", ""))}


# -- pages -----------------------------------------------------------------------------

@requires(ADVOCATES)
async def campaign_list(request: web.Request) -> web.StreamResponse:
    app = console_of(request).app
    rows = await store.listing(app.db)
    counts = {row["id"]: await store.progress(app.db, row["id"]) for row in rows}
    return render(request, "outreach_list.html", campaigns=rows, counts=counts,
                  state_labels=STATE_LABELS,
                  state_words={row["id"]: campaigns.state_words(app, row["state"])
                               for row in rows})


@requires(ADVOCATES)
async def new_form(request: web.Request) -> web.StreamResponse:
    app = console_of(request).app
    return render(request, "outreach_new.html", values=_form_values(app), error=None,
                  **await _choices(app))


@requires(ADVOCATES)
async def create(request: web.Request) -> web.StreamResponse:
    app = console_of(request).app
    form = await request.post()
    try:
        draft = _draft(app, form)
    except Problem as exc:
        return render(request, "outreach_new.html", status=400, values=_submitted(app, form),
                      error=exc, **await _choices(app))
    campaign_id = await campaigns.create(app, draft, _actor(request))
    raise web.HTTPSeeOther(f"/console/outreach/{campaign_id}?done=created")


async def _detail(request: web.Request, campaign: Any, *, status: int = 200,
                  error: Problem | None = None, values: dict[str, Any] | None = None,
                  show_preview: bool = False, blocked: Problem | None = None) -> web.Response:
    app = console_of(request).app
    state = campaign["state"]
    if blocked is None and state in campaigns.CAN_PAUSE:
        blocked = await campaigns.send_problem(app, campaign["id"])
    shown = show_preview or state != "draft"
    counts = await store.progress(app.db, campaign["id"])
    response = render(
        request, "outreach_detail.html", status=status, campaign=campaign,
        state_labels=STATE_LABELS, error=error,
        values=values or _form_values(app, campaign),
        preview=await campaigns.preview(app, campaign["id"]) if shown else None,
        counts=counts, chart=await chart(app, campaign["id"]),
        audience=Audience.from_json(campaign["filters"]),
        done=DONE.get(request.query.get("done", "")),
        failed=request.query.get("done", "") in ("test_failed", "not_now"),
        state_words=campaigns.state_words(app, state), blocked=blocked,
        **await _choices(app))
    if state in ("scheduled", "running"):
        response.headers["Refresh"] = "5"  # live counts without a script (the CSP has none)
    return response


@requires(ADVOCATES)
async def detail(request: web.Request) -> web.StreamResponse:
    return await _detail(request, await _campaign(request))


@requires(ADVOCATES)
async def preview(request: web.Request) -> web.StreamResponse:
    return await _detail(request, await _campaign(request), show_preview=True)


@requires(ADVOCATES)
async def edit(request: web.Request) -> web.StreamResponse:
    app = console_of(request).app
    campaign = await _campaign(request)
    form = await request.post()
    try:
        draft = _draft(app, form)
    except Problem as exc:
        return await _detail(request, campaign, status=400, error=exc,
                             values=_submitted(app, form))
    if not await campaigns.update(app, campaign["id"], draft, _actor(request)):
        raise web.HTTPSeeOther(f"/console/outreach/{campaign['id']}?done=not_now")
    raise web.HTTPSeeOther(f"/console/outreach/{campaign['id']}?done=saved")


@requires(ADVOCATES)
async def change(request: web.Request) -> web.StreamResponse:
    app = console_of(request).app
    campaign = await _campaign(request)
    action = request.path.rsplit("/", 1)[-1]
    actor = _actor(request)
    if action == "launch":
        try:
            ok = await campaigns.launch(app, campaign["id"], actor) is not None
        except Problem as exc:  # it could not send: say why, launch nothing
            return await _detail(request, campaign, status=409, blocked=exc)
    else:
        ok = await {"pause": campaigns.pause, "resume": campaigns.resume,
                    "cancel": campaigns.cancel}[action](app, campaign["id"], actor)
    sender = _sender(request)
    if ok and sender is not None:
        sender.poke(campaign["id"])  # pause within a second; launch and resume at once
    code = {"launch": "launched", "pause": "paused", "resume": "resumed",
            "cancel": "cancelled"}[action] if ok else "not_now"
    raise web.HTTPSeeOther(f"/console/outreach/{campaign['id']}?done={code}")


@requires(ADVOCATES)
async def test_send(request: web.Request) -> web.StreamResponse:
    app = console_of(request).app
    campaign = await _campaign(request)
    form = await request.post()
    if (problem := campaigns.channel_problem(app, SMS.name)) is not None:
        return await _detail(request, campaign, status=409, blocked=problem)
    sender = _sender(request)
    if sender is None:
        raise web.HTTPSeeOther(f"/console/outreach/{campaign['id']}?done=test_failed")
    try:
        outcome = await campaigns.test_send(app, sender, campaign["id"],
                                            str(form.get("locale", "")),
                                            str(form.get("phone", "")), _actor(request))
    except Problem as exc:
        return await _detail(request, campaign, status=400, error=exc)
    except Exception:  # SMS not configured, provider down: say so, keep the page
        outcome = None
    code = "test_sent" if outcome is not None and outcome.kind == "sent" else "test_failed"
    raise web.HTTPSeeOther(f"/console/outreach/{campaign['id']}?done={code}")


# -- the chart -----------------------------------------------------------------------

@dataclass
class Chart:
    bars: list[tuple[float, float, float, float, int]]  # x, y, width, height, sends
    replies: str  # polyline points
    max_sends: int
    max_replies: int
    bucket_seconds: int
    buckets: int
    total_sends: int
    total_replies: int
    width: int = CHART_W
    height: int = CHART_H


def _nice(seconds: float) -> int:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400):
        if seconds <= step:
            return step
    return 86400 * math.ceil(seconds / 86400)


async def chart(app: App, campaign_id: int) -> Chart | None:
    """Sends (bars) and replies (line) per time bucket, scaled to the SVG box."""
    first, last = await store.span(app.db, campaign_id)
    if first is None or last is None:
        return None
    duration = (dt.datetime.fromisoformat(last) - dt.datetime.fromisoformat(first)).total_seconds()
    bucket = _nice(max(duration, 1) / CHART_BUCKETS)
    rows = await store.timeline(app.db, campaign_id, first, bucket)
    count = max(int(duration // bucket) + 1, 1)
    sends = [0] * count
    replies = [0] * count
    for row in rows:
        if 0 <= row.b < count:
            sends[row.b] += row.sends
            replies[row.b] += row.replies
    top_sends, top_replies = max(sends) or 1, max(replies) or 1
    step = CHART_W / count
    bars = [(round(i * step, 1), round(CHART_H - n / top_sends * CHART_H, 1),
             round(max(step - 1, 1), 1), round(n / top_sends * CHART_H, 1), n)
            for i, n in enumerate(sends)]
    points = " ".join(
        f"{round((i + 0.5) * step, 1)},{round(CHART_H - n / top_replies * CHART_H, 1)}"
        for i, n in enumerate(replies))
    return Chart(bars, points, max(sends), max(replies), bucket, count, sum(sends), sum(replies))

"""The home page, the escalation queue, an escalation's page, the live handoff actions
and the export of one conversation as text for the case file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from .. import handoff
from ..clock import iso
from ..storage import accounts, casework, optouts, people, whatsapp
from . import canned
from .auth import EVERYONE, STAFF, requires
from .pages import N_, STATUS_LABELS, USER, console_of, render, ui_locale
from .summary import summary_words

PAGE_SIZE = 50
COUNT_CAP = 5000  # beyond this the queue says "more than 5,000"
MAX_REPLY = 1600  # Twilio's limit for one message body; SMS splitting happens in the channel
MAX_NOTE = 4000
RECENT = 6  # messages shown beside the reply box; older ones are folded

AGE_FILTERS = {"overdue": N_("Overdue"), "recent": N_("Within the target"),
               "week": N_("Older than a week")}
STATUS_FILTERS = {"active": N_("Not resolved"), **STATUS_LABELS, "all": N_("All")}
DONE_MESSAGES = {
    "claimed": N_("You claimed this escalation."),
    "waiting": N_("Marked as waiting on the person."),
    "replied": N_("Your reply is on its way to the person."),
    "resolved": N_("Resolved. The person got the closing message and the bot answers them "
                   "again."),
    "noted": N_("Note added."),
    "not_claimant": N_("Claim this escalation first."),
    "closed": N_("This escalation is already resolved."),
    "empty": N_("Write something first."),
    "too_long": N_("That is too long."),
    "opted_out": N_("This person has opted out. Messages to them will not be sent."),
    "unconfirmed": N_("Confirm first: nothing was changed."),
    "assigned": N_("Assigned."),
}


@requires(EVERYONE)
async def home(request: web.Request) -> web.StreamResponse:
    return render(request, "home.html")


def _int(value: str | None, default: int, low: int = 1, high: int = 1_000_000) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


def _queue_filter(request: web.Request) -> casework.QueueFilter:
    q = request.query
    locales = console_of(request).app.translator.locales
    status = q.get("status", "active")
    return casework.QueueFilter(
        status=status if status in STATUS_FILTERS else "active",
        locale=q.get("language", "") if q.get("language", "") in locales else "",
        channel=q.get("channel", "") if q.get("channel", "") in console_of(request).app.channels
        else "",
        age=q.get("age", "") if q.get("age", "") in AGE_FILTERS else "")


@requires(STAFF)
async def queue(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    f = _queue_filter(request)
    page = _int(request.query.get("page"), 1)
    now = console.now()
    overdue_before = iso(now - dt.timedelta(hours=console.app.config.console.overdue_hours))
    rows, total = await casework.queue(
        console.app.db, f, overdue_before=overdue_before,
        week_before=iso(now - dt.timedelta(days=7)), limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE, count_cap=COUNT_CAP)
    overdue = await casework.overdue_count(console.app.db, overdue_before)
    translator = console.app.translator
    languages = {loc: translator.language_name(loc) for loc in translator.locales}
    params = {"status": f.status, "language": f.locale, "channel": f.channel, "age": f.age}
    capped = total > COUNT_CAP
    return render(
        request, "queue.html", rows=rows, total=min(total, COUNT_CAP), capped=capped,
        page=page, page_size=PAGE_SIZE, pages=max(1, -(-total // PAGE_SIZE)),
        has_next=len(rows) == PAGE_SIZE and (capped or page * PAGE_SIZE < total),
        filters=f, params=params,
        overdue_before=overdue_before, overdue_count=overdue,
        overdue_hours=console.app.config.console.overdue_hours, languages=languages,
        status_filters=STATUS_FILTERS, age_filters=AGE_FILTERS,
        emails=await accounts.user_emails(console.app.db))


async def _escalation(request: web.Request) -> Any:
    esc = await casework.escalation(console_of(request).app.db, _int(
        request.match_info["id"], 0, 0))
    if esc is None:
        raise web.HTTPNotFound()
    return esc


@requires(STAFF)
async def detail(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    db, user = console.app.db, request[USER]
    esc = await _escalation(request)
    await casework.record_view(db, esc, user["actor"], console.stamp())
    case_id = esc["case_id"] or esc["verified_case_id"]
    linked = await casework.cases_by_ids(db, [case_id]) if case_id else []
    case = linked[0] if linked else None
    candidates = [] if case else await casework.cases_by_ids(db, casework.candidate_ids(esc))
    overdue_before = iso(console.now() - dt.timedelta(
        hours=console.app.config.console.overdue_hours))
    locale = esc["person_locale"] or esc["locale"]
    transcript = await people.transcript(db, esc["person_id"])
    disclosed = await casework.disclosed_cases(db, esc["person_id"])
    staff_locale = ui_locale(request, console.app.translator.locales)
    content = console.app.content

    def topic_title(name: str) -> str:
        if content.source("topics", name, "title") is None:
            return name
        return content.text(staff_locale, "topics", name, "title")

    app = console.app
    draft = canned.texts(app.translator, app.config, locale).get(
        request.query.get("canned", ""), "")
    colleagues = [(f"staff:{u['id']}", u["email"]) for u in await accounts.list_users(db)
                  if u["role"] in ("staff", "admin") and not u["disabled"]]
    return render(
        request, "detail.html", esc=esc, case=case, candidates=candidates,
        canned=canned.texts(app.translator, app.config, staff_locale), draft=draft,
        colleagues=colleagues,
        earlier=transcript[:-RECENT], recent=transcript[-RECENT:],
        summary=summary_words(
            esc["summary"] or "",
            lambda msgid, **kw: app.translator.gettext(staff_locale, msgid, **kw),
            topic_title), disclosed=disclosed,
        people_seen=len({(c["last_name_key"], c["first_name_key"], c["date_of_birth"])
                         for c in disclosed}),
        notes=await casework.notes(db, esc["id"]), history=await casework.events(db, esc["id"]),
        emails=await accounts.user_emails(db), mine=esc["claimed_by"] == user["actor"],
        overdue=esc["status"] != "resolved" and esc["created_at"] < overdue_before,
        opted_out=await optouts.is_opted_out(db, esc["channel"], esc["address"]),
        held=(await whatsapp.held_count(db, esc["address"])
              if esc["channel"] == whatsapp.CHANNEL else 0),
        language=console.app.translator.language_name(locale) if locale else "",
        done=DONE_MESSAGES.get(request.query.get("done", "")),
        failed=request.query.get("failed") == "1", max_reply=MAX_REPLY, max_note=MAX_NOTE)


def _back(esc: Any, code: str, failed: bool = False) -> web.HTTPSeeOther:
    query = f"?done={code}" + ("&failed=1" if failed else "")
    return web.HTTPSeeOther(f"/console/escalations/{esc['id']}{query}#status")


@requires(STAFF)
async def claim(request: web.Request) -> web.StreamResponse:
    console, esc = console_of(request), await _escalation(request)
    ok = await casework.claim(console.app.db, esc, request[USER]["actor"], console.stamp())
    raise _back(esc, "claimed" if ok else "closed", not ok)


@requires(STAFF)
async def assign(request: web.Request) -> web.StreamResponse:
    """Hand the escalation to a named colleague (it becomes theirs to answer)."""
    console, esc = console_of(request), await _escalation(request)
    wanted = str((await request.post()).get("to", ""))
    users = {f"staff:{u['id']}": u for u in await accounts.list_users(console.app.db)}
    colleague = users.get(wanted)
    if colleague is None or colleague["disabled"] or colleague["role"] not in ("staff", "admin"):
        raise web.HTTPBadRequest()
    ok = await casework.assign(console.app.db, esc, request[USER]["actor"], wanted,
                            console.stamp())
    raise _back(esc, "assigned" if ok else "closed", not ok)


@requires(STAFF)
async def waiting(request: web.Request) -> web.StreamResponse:
    console, esc = console_of(request), await _escalation(request)
    ok = await casework.mark_waiting(console.app.db, esc, request[USER]["actor"], console.stamp())
    raise _back(esc, "waiting" if ok else "not_claimant", not ok)


async def _text(request: web.Request, limit: int) -> tuple[str, str | None]:
    text = str((await request.post()).get("text", "")).strip()
    if not text:
        return text, "empty"
    if len(text) > limit:
        return text, "too_long"
    return text, None


@requires(STAFF)
async def reply(request: web.Request) -> web.StreamResponse:
    console, esc = console_of(request), await _escalation(request)
    text, problem = await _text(request, MAX_REPLY)
    if problem:
        raise _back(esc, problem, True)
    if await optouts.is_opted_out(console.app.db, esc["channel"], esc["address"]):
        raise _back(esc, "opted_out", True)  # it would never be sent: say so, store nothing
    then_wait = (await request.post()).get("then") == "waiting"
    ok = await casework.reply(console.app.db, esc, request[USER]["actor"], text,
                           console.stamp(), then_wait=then_wait)
    raise _back(esc, "replied" if ok else "not_claimant", not ok)


@requires(STAFF)
async def resolve(request: web.Request) -> web.StreamResponse:
    console, esc = console_of(request), await _escalation(request)
    if (await request.post()).get("confirm") != "yes":
        raise _back(esc, "unconfirmed", True)
    app = console.app
    closing = handoff.closing_text(app.translator, app.config,
                                   esc["person_locale"] or esc["locale"])
    ok = await casework.resolve(app.db, esc, request[USER]["actor"], closing, console.stamp())
    raise _back(esc, "resolved" if ok else "closed", not ok)


@requires(STAFF)
async def note(request: web.Request) -> web.StreamResponse:
    console, esc = console_of(request), await _escalation(request)
    text, problem = await _text(request, MAX_NOTE)
    if problem:
        raise _back(esc, problem, True)
    await casework.add_note(console.app.db, esc, request[USER]["actor"], text, console.stamp())
    raise _back(esc, "noted")


@requires(STAFF)
async def export(request: web.Request) -> web.StreamResponse:
    """One conversation as plain text (for the case file); the download is audited."""
    console, esc = console_of(request), await _escalation(request)
    db = console.app.db
    await casework.record_export(db, esc, request[USER]["actor"], console.stamp())
    emails = await accounts.user_emails(db)
    translator = console.app.translator
    locale = ui_locale(request, translator.locales)

    def who(m: Any) -> str:
        if m["direction"] == "in":
            return translator.gettext(locale, "Person")
        if m["author"] and m["author"].startswith("staff:"):
            return emails.get(m["author"], translator.gettext(locale, "Staff"))
        return translator.gettext(locale, "Bot")

    lines = [translator.gettext(locale, "Escalation {ref}", ref=esc["ref"]), ""]
    lines += [f"[{m['created_at']}] {who(m)}: {m['body']}"
              for m in await people.transcript(db, esc["person_id"])]
    return web.Response(
        text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="escalation-{esc["ref"]}.txt"',
                 "Cache-Control": "no-store"})

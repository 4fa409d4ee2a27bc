"""Registry search for staff (every view audited), accounts and the audit log for admins."""

from __future__ import annotations

from aiohttp import web

from ..registry.normalize import name_key, normalize_docket, parse_date
from ..storage import accounts, audit, registry_search
from .auth import ADMIN, STAFF, hash_password, password_problem, requires
from .pages import N_, USER, console_of, render

SEARCH_LIMIT = 50
AUDIT_PAGE = 100


@requires(STAFF)
async def registry(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    q = request.query
    form = {k: q.get(k, "").strip()[:100] for k in ("docket", "last_name", "first_name", "dob")}
    error, results, searched = None, [], any(form.values())
    dob = ""
    if form["dob"]:
        try:
            dob = parse_date(form["dob"]).isoformat()
        except ValueError:
            error = N_("Write the date of birth as YYYY-MM-DD or MM/DD/YYYY.")
    keys = {"docket": normalize_docket(form["docket"]),
            "last_name_key": name_key(form["last_name"]),
            "first_name_key": name_key(form["first_name"]), "dob": dob}
    if searched and not error and not (keys["docket"] or keys["last_name_key"] or dob):
        error = N_("Give a docket number, a last name or a date of birth.")
    status = 400 if error else 200
    if searched and not error:
        results = await registry_search.search_cases(console.app.db, limit=SEARCH_LIMIT, **keys)
        fields = [k for k in ("docket", "last_name", "first_name", "dob") if form[k]]
        await registry_search.record_search(console.app.db, request[USER]["actor"], fields,
                                  [r["id"] for r in results], console.stamp())
    linked = await registry_search.escalations_of_cases(console.app.db, [r["id"] for r in results])
    return render(request, "registry.html", status=status, form=form, error=error,
                  results=results, linked=linked, searched=searched and not error,
                  limit=SEARCH_LIMIT)


@requires(ADMIN)
async def users(request: web.Request) -> web.StreamResponse:
    done = {"created": N_("Account created."), "disabled": N_("Account disabled."),
            "enabled": N_("Account enabled."),
            "password": N_("New password set. The account's sessions ended.")}.get(
        request.query.get("done", ""))
    return await _users_page(request, done=done)


async def _users_page(request: web.Request, *, status: int = 200, done: str | None = None,
                      error: str | None = None, email: str = "") -> web.Response:
    rows = await accounts.list_users(console_of(request).app.db)
    return render(request, "users.html", status=status, users=rows, done=done, error=error,
                  email=email, roles=accounts.ROLES)


@requires(ADMIN)
async def add_user(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = await request.post()
    email = str(form.get("email", "")).strip()[:254]
    role, password = str(form.get("role", "")), str(form.get("password", ""))
    error = password_problem(password)
    if "@" not in email or any(c.isspace() for c in email):
        error = N_("Give a valid email address.")
    elif role not in accounts.ROLES:
        error = N_("Choose a role.")
    if error is None:
        user_id = await accounts.create_user(console.app.db, email, role,
                                          await hash_password(password), console.stamp(),
                                          request[USER]["actor"])
        if user_id is None:
            error = N_("An account with this email already exists.")
        else:
            raise web.HTTPSeeOther("/console/users?done=created")
    return await _users_page(request, status=400, error=error, email=email)


async def _toggle(request: web.Request, disabled: bool) -> web.StreamResponse:
    console = console_of(request)
    try:
        user_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if disabled and (await request.post()).get("confirm") != "yes":
        return await _users_page(request, status=400,
                                 error=N_("Confirm first: nothing was changed."))
    if user_id == request[USER]["id"]:
        return await _users_page(request, status=400,
                                 error=N_("You cannot disable your own account."))
    if not await accounts.set_disabled(console.app.db, user_id, disabled,
                                    request[USER]["actor"], console.stamp()):
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther("/console/users?done=" + ("disabled" if disabled else "enabled"))


@requires(ADMIN)
async def disable_user(request: web.Request) -> web.StreamResponse:
    return await _toggle(request, True)


@requires(ADMIN)
async def enable_user(request: web.Request) -> web.StreamResponse:
    return await _toggle(request, False)


@requires(ADMIN)
async def reset_password(request: web.Request) -> web.StreamResponse:
    """An admin sets a new password for another account (given to its owner privately)."""
    console = console_of(request)
    user_id = min(int(request.match_info["id"]), 2**62)
    if await accounts.user_by_id(console.app.db, user_id) is None:
        raise web.HTTPNotFound()
    password = str((await request.post()).get("password", ""))
    error = password_problem(password)
    if error:
        return await _users_page(request, status=400, error=error)
    await accounts.set_password(console.app.db, user_id, await hash_password(password), "",
                             request[USER]["actor"], console.stamp())
    raise web.HTTPSeeOther("/console/users?done=password")


@requires(ADMIN)
async def audit_log(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    actor = request.query.get("actor", "").strip()[:100]
    action = request.query.get("action", "").strip()[:100]
    try:
        page = max(1, min(int(request.query.get("page", "1")), 1_000_000))
    except ValueError:
        page = 1
    emails = await accounts.user_emails(console.app.db)
    by_email = {email.casefold(): key for key, email in emails.items()}
    if "@" in actor:  # people think of a colleague by email, not by internal id
        actor = by_email.get(actor.casefold(), actor)
    rows, total = await audit.audit_page(console.app.db, actor=actor, action=action,
                                         limit=AUDIT_PAGE, offset=(page - 1) * AUDIT_PAGE)
    return render(request, "audit.html", rows=rows, total=total, page=page,
                  pages=max(1, -(-total // AUDIT_PAGE)), actor=actor, action=action,
                  emails=emails, actors=sorted(emails.items(), key=lambda kv: kv[1]))

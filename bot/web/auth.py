"""Sign-in, sessions, CSRF and roles for the console.

- Passwords: argon2id (argon2-cffi), hashed off the event loop.
- Sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure over
  https or when configured); the database keeps only its SHA-256. Sessions end
  after ``[console] idle_minutes`` without a request, and after ``session_hours``.
- CSRF: every form carries the session's token (the sign-in form a token bound
  to a short-lived cookie); a POST without the right one gets 403.
- Roles: every route declares who may open it (``requires``); a route that
  declares nothing is refused, so a forgotten declaration fails closed.
- Sign-in attempts are limited per account and per client address: each attempt is
  reserved (counted and written in one transaction) before the password is checked,
  so a burst of concurrent POSTs cannot all pass the check; at most
  ``PASSWORD_CHECKS`` argon2 checks (about 64 MiB each) run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from yarl import URL

from ..clock import iso
from ..storage import accounts, attempts
from .pages import N_, USER, Handler, console_of, render

SESSION_COOKIE = "cc_session"
LOGIN_COOKIE = "cc_login"
COOKIE_PATH = "/console"
PUBLIC = frozenset({"public"})
EVERYONE = frozenset({"admin", "staff", "advocate"})
STAFF = frozenset({"admin", "staff"})
ADMIN = frozenset({"admin"})
TOUCH_SECONDS = 60  # refresh last_seen at most this often
MIN_PASSWORD = 12

_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return await asyncio.to_thread(check)


def password_problem(password: str) -> str | None:
    """Why a new password is refused (a msgid), or None."""
    if len(password) < MIN_PASSWORD:
        return N_("Use at least 12 characters.")
    if len(password) > 1024:
        return N_("Use at most 1024 characters.")
    return None


def requires(roles: frozenset[str]) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        handler.roles = roles  # type: ignore[attr-defined]
        return handler
    return mark


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_address(request: web.Request) -> str:
    if console_of(request).app.config.console.trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.remote or "unknown"


def _secure(request: web.Request) -> bool:
    return bool(console_of(request).app.config.console.secure_cookies or request.secure)


def _set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str,
                max_age: int | None = None) -> None:
    response.set_cookie(name, value, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=_secure(request), max_age=max_age)


def _to_login(request: web.Request, reason: str | None = None) -> web.HTTPSeeOther:
    query: dict[str, str] = {}
    if request.method == "GET" and request.path != "/console/":
        query["next"] = request.path_qs
    if reason:
        query["reason"] = reason
    exc = web.HTTPSeeOther(str(URL("/console/login").with_query(query)))
    if reason:
        exc.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return exc


async def _session(request: web.Request) -> dict[str, Any] | None:
    """The signed-in user, or None; raises a redirect when the session just expired."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 100:
        return None
    console = console_of(request)
    db, cfg = console.app.db, console.app.config.console
    token_hash = _token_hash(token)
    row = await accounts.session_user(db, token_hash)
    if row is None:
        return None
    now = console.now()
    idle_since = now - dt.timedelta(minutes=cfg.idle_minutes)
    last_seen = dt.datetime.fromisoformat(row["last_seen"])
    if row["disabled"] or row["expires_at"] <= iso(now) or last_seen <= idle_since:
        await accounts.end_session(db, token_hash)
        raise _to_login(request, "disabled" if row["disabled"] else "idle")
    if (now - last_seen).total_seconds() >= TOUCH_SECONDS:
        await accounts.touch_session(db, token_hash, iso(now))
    return {"id": row["user_id"], "email": row["email"], "role": row["role"],
            "csrf": row["csrf"], "token_hash": token_hash, "actor": f"staff:{row['user_id']}"}


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.match_info.http_exception is not None:  # no such page: keep the navigation
        with contextlib.suppress(web.HTTPException):
            if (user := await _session(request)) is not None:
                request[USER] = user
        raise request.match_info.http_exception
    roles = getattr(request.match_info.handler, "roles", None)
    if roles == PUBLIC:
        return await handler(request)
    user = await _session(request)
    if user is None:
        raise _to_login(request)
    request[USER] = user
    if not roles or user["role"] not in roles:
        raise web.HTTPForbidden()
    if request.method not in ("GET", "HEAD"):
        form = await request.post()
        sent = form.get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, user["csrf"]):
            raise web.HTTPForbidden()
    return await handler(request)


# -- pages ---------------------------------------------------------------------

LOGIN_NOTES = {
    "idle": N_("You were signed out after a time without activity. Sign in again."),
    "disabled": N_("This account is disabled."),
    "signed_out": N_("You are signed out."),
}


def _safe_next(value: object) -> str:
    """Only a path inside the console: never an open redirect."""
    if isinstance(value, str) and value.startswith("/console/") and "//" not in value \
            and "\\" not in value:
        return value
    return "/console/"


def _login_page(request: web.Request, *, status: int = 200, error: str | None = None,
                email: str = "", next_path: str = "/console/") -> web.Response:
    token = secrets.token_urlsafe(24)
    note = LOGIN_NOTES.get(request.query.get("reason", ""))
    response = render(request, "login.html", status=status, login_csrf=token, error=error,
                      note=note, email=email, next_path=next_path,
                      config_window=console_of(request).app.config.console.login_window_minutes)
    _set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


@requires(PUBLIC)
async def login_form(request: web.Request) -> web.StreamResponse:
    try:
        signed_in = await _session(request) is not None
    except web.HTTPSeeOther:  # the session just ended: sign in again
        signed_in = False
    if signed_in:
        raise web.HTTPSeeOther("/console/")
    return _login_page(request, next_path=_safe_next(request.query.get("next")))


@requires(PUBLIC)
async def login(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    db, cfg = console.app.db, console.app.config.console
    form = await request.post()
    sent, expected = form.get("csrf"), request.cookies.get(LOGIN_COOKIE, "")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise web.HTTPForbidden()
    email = str(form.get("email", "")).strip()[:254]
    password = str(form.get("password", ""))[:1024]
    next_path = _safe_next(form.get("next"))
    now = console.now()
    limits = accounts.LoginLimits(
        account_key=attempts.hashed_key("account", email.casefold()),
        address_key=attempts.hashed_key("address", client_address(request)),
        max_account=cfg.login_max_failures, max_address=cfg.login_max_failures_per_address,
        since=iso(now - dt.timedelta(minutes=cfg.login_window_minutes)))
    reserved = await accounts.reserve_login(db, limits, iso(now))
    if reserved is None:
        return _login_page(request, status=429, email=email, next_path=next_path, error=N_(
            "Too many failed sign-ins. Wait {minutes} minutes and try again, "
            "or ask an administrator."))
    async with console.password_checks:  # a burst queues here instead of filling memory
        user = await accounts.user_by_email(db, email) if email else None
        stored = user["password_hash"] if user else await console_dummy_hash(request)
        ok = await verify_password(stored, password) and user is not None \
            and not user["disabled"]
    if not ok or user is None:
        return _login_page(request, status=401, email=email, next_path=next_path,
                           error=N_("The email or the password is wrong."))
    await accounts.finish_login(db, reserved)
    if _hasher.check_needs_rehash(user["password_hash"]):
        await accounts.set_password(db, user["id"], await hash_password(password), "",
                                 f"staff:{user['id']}", iso(now))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + dt.timedelta(hours=cfg.session_hours)
    await accounts.create_session(db, _token_hash(token), user["id"], csrf, iso(now), iso(expires))
    response = web.HTTPSeeOther(next_path)
    _set_cookie(request, response, SESSION_COOKIE, token)
    response.del_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    raise response


async def console_dummy_hash(request: web.Request) -> str:
    """A real hash to verify against for unknown emails, so timing tells nothing."""
    console = console_of(request)
    if not console.dummy_hash:
        console.dummy_hash = await hash_password(secrets.token_urlsafe(16))
    return console.dummy_hash


@requires(EVERYONE)
async def logout(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    user = request[USER]
    await accounts.end_session(console.app.db, user["token_hash"])
    response = web.HTTPSeeOther("/console/login?reason=signed_out")
    response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    raise response


@requires(EVERYONE)
async def account(request: web.Request) -> web.StreamResponse:
    done = N_("Your password is changed.") if request.query.get("done") == "password" else None
    return render(request, "account.html", done=done, error=None)


@requires(EVERYONE)
async def change_password(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    db, user = console.app.db, request[USER]
    form = await request.post()
    current, new = str(form.get("current", "")), str(form.get("new", ""))
    row = await accounts.user_by_id(db, user["id"])
    error = password_problem(new)
    if new != str(form.get("confirm", "")):
        error = N_("The two new passwords are not the same.")
    if row is None or not await verify_password(row["password_hash"], current[:1024]):
        error = N_("Your current password is wrong.")
    if error:
        return render(request, "account.html", status=400, done=None, error=error)
    await accounts.set_password(db, user["id"], await hash_password(new), user["token_hash"],
                             user["actor"], console.stamp())
    raise web.HTTPSeeOther("/console/account?done=password")

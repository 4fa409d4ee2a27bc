"""The bot's side of a live handoff to staff, and office hours.

While staff hold an escalation (claimed, or waiting on the person), what the
person writes goes to the staff thread and the bot stays quiet, except for the
compliance keywords (STOP, HELP, ...) and "forget me", which the bot always
handles. A message meant for the bot's menus (MENU, START, a bare number) is
passed on too, but never met with silence: the person is told the menu is
paused while a lawyer answers. Outside office hours the person is told once
per escalation when to expect an answer (office hours: ``bot/hours.py``).
"""

from __future__ import annotations

import datetime as dt

import aiosqlite
from babel.dates import format_datetime, format_time

from handlers import compliance, forget, welcome
from handlers.text import keyword

from .config import Config
from .context import Context
from .i18n import Translator
from .storage import staff


def is_compliance_message(text: str) -> bool:
    """STOP and its kin, HELP, "wrong number": the bot answers these even during a handoff.

    (Opting back in only matters after an opt-out, and an opted-out person's
    messages always go to the bot.)
    """
    word = keyword(text.lstrip("/"))
    return (word in compliance.OPT_OUT_WORDS or word in compliance.HELP_WORDS
            or compliance.is_stop_phrase(text) or compliance.is_wrong_number(text))


def is_bot_command(text: str) -> bool:
    """MENU, START or a Telegram command: the person expects the bot."""
    stripped = text.strip()
    word = keyword(stripped.lstrip("/"))
    return stripped.startswith("/") or word == "start" or welcome.is_menu_word(stripped)


def is_menu_number(text: str) -> bool:
    """"1", "4": a choice from a menu the bot showed (an answer to staff when they asked)."""
    stripped = text.strip()
    return stripped.isdigit() and len(stripped) <= 2


def paused_menu_text(translator: Translator, locale: str) -> str:
    """The answer to a menu request while a lawyer holds the conversation."""
    return translator.gettext(locale, "A lawyer is answering you here now, so the menu is "
                              "paused. We passed your message on.")


def after_hours_text(translator: Translator, config: Config, locale: str,
                     now: dt.datetime) -> str | None:
    """What to tell a person writing while the office is closed (None when open)."""
    opening = config.organization.hours.next_opening(now)
    if opening is None:
        return None
    return translator.gettext(
        locale, "Our office is closed now. A lawyer will answer after we open on {day} at {time}.",
        day=format_datetime(opening, "EEEE", tzinfo=opening.tzinfo, locale=locale),
        time=format_time(opening, "short", tzinfo=opening.tzinfo, locale=locale))


def closing_text(translator: Translator, config: Config, locale: str) -> str:
    """Sent when staff resolve an escalation: the bot answers the person again."""
    return translator.gettext(
        locale, "Our lawyer has closed this chat. The automatic helper will answer your "
        "messages again. To reach us, call {phone}.", phone=config.organization.phone)


async def intercept(ctx: Context) -> bool:
    """Route the message to a live staff thread; True if the bot must not handle it."""
    text = ctx.inbound.text
    if ctx.opted_out or is_compliance_message(text):
        return False
    if ctx.state.step == "forget_confirm" or forget.is_request(text):
        return False  # erasing is the bot's job (it also closes the escalation)
    live = await staff.live_escalation(ctx.services.db, ctx.state.person_id)
    if live is None:
        return False
    tell = False
    if not live["after_hours_told"]:
        closed = after_hours_text(ctx.translator, ctx.config, ctx.locale, ctx.now)
        if closed is not None:
            ctx.say(closed)
            tell = True
    if is_bot_command(text) or (is_menu_number(text) and not await staff.staff_wrote_last(
            ctx.services.db, ctx.state.person_id)):
        ctx.say(paused_menu_text(ctx.translator, ctx.locale))

    async def mark(conn: aiosqlite.Connection, now: str) -> None:
        await staff.person_wrote(conn, live["id"], now, told_after_hours=tell)

    ctx.effect(mark)
    return True

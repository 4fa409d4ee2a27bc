"""A live handoff, as the dialogue sees it: while staff hold an escalation, the
person's messages go to the staff thread and the bot stays quiet.

Except for what the bot always handles: an opted-out person, the compliance
keywords (STOP, HELP, ...) and "forget me" go on to the dialogue. A message
meant for the bot's menus (MENU, START, a bare number) goes to staff too, but
is never met with silence: the person is told the menu is paused while a
lawyer answers. Outside office hours the person is told once per escalation
when to expect an answer (``bot/handoff.py`` holds office hours and the texts).
"""

from __future__ import annotations

from bot.context import Context
from bot.handoff import after_hours_text, paused_menu_text
from bot.storage import effects, live_handoff

from . import compliance, forget, welcome
from .steps import Step
from .text import keyword


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


async def intercept(ctx: Context) -> bool:
    """Route the message to a live staff thread; True if the bot must not handle it."""
    text = ctx.inbound.text
    if ctx.opted_out or is_compliance_message(text):
        return False
    if ctx.state.step == Step.FORGET_CONFIRM or forget.is_request(text):
        return False  # erasing is the bot's job (it also closes the escalation)
    live = ctx.reads.live
    if live is None:
        return False
    tell = False
    if not live["after_hours_told"]:
        closed = after_hours_text(ctx.translator, ctx.config, ctx.locale, ctx.now)
        if closed is not None:
            ctx.say(closed)
            tell = True
    if is_bot_command(text) or (is_menu_number(text) and not await live_handoff.staff_wrote_last(
            ctx.services.db, ctx.state.person_id)):
        ctx.say(paused_menu_text(ctx.translator, ctx.locale))
    ctx.effect(effects.PersonWrote(live["id"], tell))
    return True

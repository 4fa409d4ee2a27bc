"""A lookup without a docket number: name and date of birth never disclose anything.

Whatever the registry holds, the person hears the same answer: a lawyer can
check. If they accept, the escalation carries the candidate case ids for staff.
"""

from __future__ import annotations

from bot.context import Context
from bot.registry.normalize import name_key, within_typos

from . import lawyer
from .prompts import ask_dob, bad_name, read_dob, show_menu, yes_no
from .steps import Step
from .text import as_name

SLOTS = ("no_last", "no_first")


def ask_last_name(ctx: Context) -> None:
    ctx.say(ctx._("We can look with your name. What is your last name?"))
    ctx.ask("last_name", step=Step.NAME_LAST)


def ask_first_name(ctx: Context) -> None:
    ctx.say(ctx._("What is your first name?"))
    ctx.ask("first_name", step=Step.NAME_FIRST)


async def on_last_name(ctx: Context, text: str) -> bool:
    if (name := as_name(text)) is None:
        bad_name(ctx)
        ask_last_name(ctx)
        return True
    ctx.slots["no_last"] = name_key(name)
    ask_first_name(ctx)
    return True


async def on_first_name(ctx: Context, text: str) -> bool:
    if (name := as_name(text)) is None:
        bad_name(ctx)
        ask_first_name(ctx)
        return True
    ctx.slots["no_first"] = name_key(name)
    ask_dob(ctx, Step.NAME_DOB)
    return True


async def on_dob(ctx: Context, text: str) -> bool:
    if (dob := read_dob(ctx, text, Step.NAME_DOB)) is None:
        return True
    last, first = ctx.slots.get("no_last", ""), ctx.slots.get("no_first", "")
    typos = ctx.config.privacy.name_typos
    ctx.slots["candidates"] = [
        row["id"] for row in await ctx.services.cases_by_dob(dob)
        if within_typos(last, row["last_name_key"], typos)
        and within_typos(first, row["first_name_key"], typos)]
    for slot in SLOTS:
        ctx.slots.pop(slot, None)
    ctx.audit("lookup", "name_only")
    ctx.slots["last_lookup"] = "name_only"
    offer(ctx)
    return True


def offer(ctx: Context) -> None:
    ctx.say(ctx._("Without a docket number we cannot show case details here. A lawyer can "
                  "check the records with you. Do you want a lawyer to contact you?"),
            [("1", ctx._("Yes")), ("2", ctx._("No"))])
    ctx.ask("confirm", step=Step.NAME_OFFER)


async def on_offer(ctx: Context, text: str) -> bool:
    """Yes: escalate with the candidates. No: back to the menu."""
    answer = yes_no(text)
    if answer is None:
        return False
    candidates = ctx.slots.pop("candidates", [])
    if answer:
        await lawyer.request(ctx, "name_only", candidates)
    else:
        ctx.say(ctx._("All right."))
        await show_menu(ctx)
    return True

"""Questions and answers several parts of the conversation share: the main menu,
yes or no, and the date of birth.

A leaf: it imports nothing else from ``handlers``, so any handler may use it
without a circle.
"""

from __future__ import annotations

from bot.context import Context
from bot.understanding.yesno import yes_no as understood_yes_no

from .dates import BadDate, parse_birth_date
from .steps import Step
from .text import fold


def menu_options(ctx: Context) -> list[tuple[str, str]]:
    return [("1", ctx._("Check my case")), ("2", ctx._("What a dismissal means")),
            ("3", ctx._("Talk to a lawyer")), ("4", ctx._("Language"))]


async def show_menu(ctx: Context) -> None:
    ctx.say(ctx._("What would you like to do? Reply with a number."), menu_options(ctx))
    ctx.ask("menu", step=Step.MENU)


YES = frozenset({"1"})
NO = frozenset({"2"})


def yes_no(text: str) -> bool | None:
    """A yes or no in any shipped language ("1"/"2" are the offered keys)."""
    word = fold(text).strip(" .!?¡¿")
    return True if word in YES else False if word in NO else understood_yes_no(text)


def locales(ctx: Context) -> tuple[str, ...]:
    """The languages a date may be written in: the person's, English, Spanish, the rest."""
    return tuple(dict.fromkeys([ctx.locale, "en", "es", *ctx.translator.locales]))


def ask_dob(ctx: Context, step: Step) -> None:
    ctx.say(ctx._("What is your date of birth? For example: 03/14/1975."))
    ctx.ask("date_of_birth", step=step)


def bad_date(ctx: Context) -> None:
    ctx.say(ctx._("That date does not look right. Please send your date of birth like this: "
                  "03/14/1975 (month/day/year)."))


def bad_name(ctx: Context) -> None:
    ctx.say(ctx._("That does not look like a name. Please send only your name, in letters."))


def read_dob(ctx: Context, text: str, step: Step) -> str | None:
    """The date of birth in ``text`` (ISO), or None after saying so and asking again."""
    try:
        return parse_birth_date(text, ctx.now.date(), locales(ctx)).isoformat()
    except BadDate:
        bad_date(ctx)
        ask_dob(ctx, step)
        return None

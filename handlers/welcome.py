"""Welcome, language choice and the main menu."""

from __future__ import annotations

from bot.context import Context


def language_options(ctx: Context) -> list[tuple[str, str]]:
    return [(str(i), ctx.translator.language_name(loc))
            for i, loc in enumerate(ctx.translator.locales, start=1)]


async def greet(ctx: Context) -> None:
    ctx.say(ctx._("Hello. This service checks if your case was affected by the drug lab "
                  "problems in Massachusetts. It is private. This is general information, "
                  "not legal advice."))
    ctx.say(ctx._("Choose your language:"), language_options(ctx))
    ctx.ask("language")


async def on_language(ctx: Context, text: str) -> None:
    locales = ctx.translator.locales
    if text.isdigit() and 1 <= int(text) <= len(locales):
        ctx.state.locale = locales[int(text) - 1]
        ctx.state.locale_chosen = True
        await show_menu(ctx)
        return
    ctx.say(ctx._("Choose your language:"), language_options(ctx))
    ctx.ask("language")


def menu_options(ctx: Context) -> list[tuple[str, str]]:
    return [("1", ctx._("Check my case")), ("2", ctx._("What a dismissal means")),
            ("3", ctx._("Talk to a lawyer")), ("4", ctx._("Language"))]


async def show_menu(ctx: Context) -> None:
    ctx.say(ctx._("What would you like to do?"), menu_options(ctx))
    ctx.ask("menu")


async def on_menu(ctx: Context, text: str) -> None:
    if text == "4":
        ctx.say(ctx._("Choose your language:"), language_options(ctx))
        ctx.ask("language")
        return
    await show_menu(ctx)

"""The conversation's state table: what the bot waits for -> the step that handles it.

See ``flow.mmd`` beside this file for the diagram. Each step is a small async
function taking the Context; it answers with ``ctx.say`` and sets the next
state with ``ctx.ask``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.context import Context

from . import welcome

Step = Callable[[Context, str], Awaitable[None]]

STEPS: dict[str | None, Step] = {
    "language": welcome.on_language,
    "menu": welcome.on_menu,
}


async def route(ctx: Context) -> None:
    text = ctx.inbound.text.strip()
    if ctx.state.is_new:
        await welcome.greet(ctx)
        return
    step = STEPS.get(ctx.state.awaiting, welcome.on_menu)
    await step(ctx, text)

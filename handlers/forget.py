""""Forget me": a person can ask the bot to erase what they told it.

Erased at once (``retention.forget_person``): the transcript, the answers, the link
between this number and the person, escalation summaries, candidates and staff
notes; an open lawyer request is closed (the person is told, staff see why). Kept:
the audit of each case shown, without anything that identifies the person, and an
opt-out if they sent STOP. The reply says exactly that.
"""

from __future__ import annotations

from bot.context import Context
from bot.storage import effects, retention

from .prompts import show_menu, yes_no
from .steps import Step
from .text import fold

# Folded (lower case, no accents) phrases in the shipped languages.
_PHRASES = (
    "forget me", "delete my data", "delete my information", "delete my messages",
    "erase my data", "erase my information", "delete everything",
    "borra mis datos", "borrar mis datos", "borren mis datos", "olvidame", "olvidenme",
    "apague meus dados", "apagar meus dados", "esqueca-me", "esqueca me",
    "efase done mwen", "bliye m",
    "apaga nha dadus",
    "xoa du lieu cua toi", "xoa thong tin cua toi",
    "删除我的资料", "删除我的数据", "刪除我的資料", "忘记我", "忘記我",
    "លុបទិន្នន័យរបស់ខ្ញុំ",
    "удалите мои данные", "удалить мои данные", "забудьте меня",
    "احذف بياناتي", "امسح بياناتي",
)


def is_request(text: str) -> bool:
    folded = fold(text)
    return any(phrase in folded for phrase in _PHRASES)


async def ask(ctx: Context) -> None:
    ctx.say(ctx._("This deletes our messages, your answers and the link to this number. We "
                  "keep only a note of any case we showed, without your name or number. "
                  "Delete now?"),
            [("1", ctx._("Yes, delete")), ("2", ctx._("No, keep"))])
    if await ctx.services.open_escalation(ctx.state.person_id) is not None:
        ctx.say(ctx._("This also closes your request for a lawyer."))
    ctx.ask("confirm", step=Step.FORGET_CONFIRM)


async def on_confirm(ctx: Context, text: str) -> bool:
    answer = True if text == "1" else False if text == "2" else yes_no(text)
    if answer is None:
        return False
    if not answer:
        ctx.say(ctx._("All right. Nothing was deleted."))
        await show_menu(ctx)
        return True
    person_id = ctx.state.person_id
    had_request = await ctx.services.open_escalation(person_id) is not None
    sender = retention.Sender(
        channel=ctx.inbound.channel, provider_id=ctx.inbound.provider_id,
        attempt_key=ctx.sender_key, max_attempts=ctx.config.privacy.max_attempts,
        attempts_since=ctx.services.window_start(ctx.now))
    ctx.effect(effects.Erase(person_id, sender))
    ctx.state.slots.clear()
    ctx.say(ctx._("Done. We deleted your messages, your answers and the link to this number. "
                  "You can write to us again at any time."))
    if had_request:
        ctx.say(ctx._("Your request for a lawyer is closed. Write to us if you still want "
                      "one."))
    await show_menu(ctx)
    return True

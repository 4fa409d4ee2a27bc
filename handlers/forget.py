""""Forget me": a person can ask the bot to erase what they told it.

Erasing removes the transcript, the collected answers and any open request
for a lawyer; the audit trail keeps only that an erasure happened.
"""

from __future__ import annotations

import aiosqlite

from bot.context import Context
from bot.storage import retention

from .lookup import yes_no
from .text import fold
from .welcome import show_menu

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


def ask(ctx: Context) -> None:
    ctx.say(ctx._("This deletes our messages with you and what you told us. We keep only a "
                  "note that a check happened, with no details. Delete now?"),
            [("1", ctx._("Yes, delete")), ("2", ctx._("No, keep"))])
    ctx.ask("confirm", step="forget_confirm")


async def on_confirm(ctx: Context, text: str) -> bool:
    answer = True if text == "1" else False if text == "2" else yes_no(text)
    if answer is None:
        return False
    if not answer:
        ctx.say(ctx._("All right. Nothing was deleted."))
        await show_menu(ctx)
        return True
    person_id = ctx.state.person_id

    async def erase(conn: aiosqlite.Connection, now: str) -> None:
        await retention.forget_person(conn, person_id, now)
    ctx.effect(erase)
    ctx.audit("forget", "erased")
    ctx.state.slots.clear()
    ctx.say(ctx._("Done. We deleted your messages and answers. You can write to us again at "
                  "any time."))
    await show_menu(ctx)
    return True

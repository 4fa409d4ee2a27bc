"""Before the conversation: MORE, media and messages that could not be read.

Interceptors of ``handlers/flow.py``, first in its list (as when the SMS
channel answered these before the dialogue): MORE sends the next part of a
long reply even while a lawyer holds the conversation (their long answers are
split too), and a photo or a voice note is never opened: the transcript notes
that something was sent, and the person is asked to type. Everything is
written in the turn's own transaction: the reply, the inbox row done, the
rest taken from its outbox row.
"""

from __future__ import annotations

from bot.context import Context
from bot.storage import effects

from . import sms_answers, whatsapp_answers
from .text import keyword

MORE_MSGID = "MORE"  # the keyword SMS offers at the end of a cut reply (sms_render)
# What the channels that carry media answer to it (Telegram's dialogue asks for words).
MEDIA_ANSWERS = {"sms": sms_answers.MEDIA_ANSWER, "whatsapp": whatsapp_answers.MEDIA_ANSWER}
MEDIA_FACT = "[sent {n} attachment(s), not opened]"  # for staff, in the transcript


def is_more(ctx: Context, text: str) -> bool:
    """MORE, in English or in any shipped language's word for it ("más", "更多")."""
    word = keyword(text)
    return word is not None and word in {"more"} | {
        keyword(ctx.translator.gettext(loc, MORE_MSGID)) or "" for loc in ctx.translator.locales}


async def more(ctx: Context, text: str) -> bool:
    """MORE with the rest of a long reply waiting: send the next part (the transcript
    already has the whole reply). Any other message drops the rest: it is stale."""
    inbound = ctx.inbound
    waiting = ctx.reads.more_waiting
    if waiting is None:
        return False
    outbox_id, rest = waiting
    if not is_more(ctx, text):
        ctx.effect(effects.DropMore(inbound.channel, inbound.address))
        return False
    ctx.effect(effects.TakeMore(outbox_id))
    ctx.say(rest)
    ctx.transcribed = False
    return True


async def media(ctx: Context, text: str) -> bool:
    """A photo, a voice note, a file: noted, never opened; the person is asked to type.
    Words sent with it are answered too (after this)."""
    answer = MEDIA_ANSWERS.get(ctx.inbound.channel)
    if ctx.inbound.media_count <= 0 or answer is None:
        return False
    fact = MEDIA_FACT.format(n=ctx.inbound.media_count)
    ctx.heard = fact + "\n" + ctx.inbound.text if text else fact
    ctx.say(ctx._(answer))
    return not text


async def unreadable(ctx: Context, text: str) -> bool:
    """Bytes that were not UTF-8 (the SMS webhook made them U+FFFD)."""
    if "\ufffd" not in text:
        return False
    ctx.say(ctx._(sms_answers.UNREADABLE))
    return True

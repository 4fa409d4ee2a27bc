"""Compliance keywords: STOP and its kin, START, HELP, and "wrong number".

These run before anything else, at every step. An opted-out person gets no
reply at all, except to the words that opt them back in. Replies here are of
kind "compliance" so the outbox sends them even to an opted-out address.
"""

from __future__ import annotations

import re

from bot.context import Context
from bot.registry.normalize import normalize_phone
from bot.storage import effects
from bot.storage.linking import PHONE_CHANNELS

from .prompts import show_menu
from .steps import Step
from .text import fold, keyword

# Single-word messages (folded: lower case, no accents). Carrier words first.
OPT_OUT_WORDS = frozenset({
    "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout",
    "parar", "pare", "detener", "cancelar",  # es, pt
    "sispann",  # ht
})
OPT_IN_WORDS = frozenset({"start", "yes", "unstop"})
HELP_WORDS = frozenset({"help", "info", "ayuda", "ajuda", "ede"})

# Clear requests to stop, as phrases (folded text contains one of them).
_STOP_PHRASES = (
    "stop texting", "stop messaging", "stop sending", "stop contacting", "stop writing",
    "dont text me", "don't text me", "do not text me", "do not message me",
    "do not contact me", "don't contact me", "leave me alone", "remove me from",
    "remove my number", "take me off", "unsubscribe me",
    "no me escriban", "no me escribas", "no me manden", "no me envien", "no me mande",
    "dejen de escribir", "deje de escribir", "dejen de mandar", "no quiero mas mensajes",
    "no quiero recibir", "no me contacten", "dejenme en paz",
    "parem de mandar", "nao quero mais mensagens", "nao me mande",
)
# "Wrong number" in the languages we are sure of; matched on folded text.
_WRONG_NUMBER = re.compile(
    r"(?<!\w)(wrong (?:number|person|phone|#)|you have the wrong"
    r"|(?:numero|telefono) (?:equivocado|incorrecto|errado)|se equivoco de numero"
    r"|persona equivocada|equivocado de numero"
    r"|move nimewo|pa bon nimewo"
    r"|nham so"
    r"|mauvais numero)(?!\w)"
    r"|не тот номер|ошиблись номером|打错|打錯|发错|發錯")


def is_stop_phrase(text: str) -> bool:
    folded = fold(text).replace("\u2019", "'")
    return any(phrase in folded for phrase in _STOP_PHRASES)


def is_wrong_number(text: str) -> bool:
    return bool(_WRONG_NUMBER.search(fold(text)))


async def handle(ctx: Context, text: str) -> bool:
    """Answer a compliance message; True if the turn is done (answered or kept silent)."""
    word = keyword(text.lstrip("/"))
    if ctx.opted_out:
        if word in OPT_IN_WORDS:
            await opt_in(ctx)
        elif is_wrong_number(text):
            _record_opt_out(ctx, "wrong_number")  # phone marked wrong, nothing sent
            ctx.silent = True
        else:
            ctx.silent = True
        return True
    if word in OPT_OUT_WORDS or is_stop_phrase(text):
        opt_out(ctx, "stop")
        return True
    if is_wrong_number(text):
        opt_out(ctx, "wrong_number")
        return True
    if word in HELP_WORDS:
        help_reply(ctx)
        return True
    return False


def opt_out(ctx: Context, reason: str) -> None:
    _record_opt_out(ctx, reason)
    ctx.reply_kind = "compliance"
    org = ctx.config.organization
    if reason == "wrong_number":
        ctx.say(ctx._("Sorry for the mistake. We will not send messages to this number again."))
    else:
        ctx.say(ctx._("{org}: STOP received. You will get no more messages. Reply START to "
                      "get messages again.", org=org.name))
    ctx.ask(None, step=Step.OPTED_OUT)


def _record_opt_out(ctx: Context, reason: str) -> None:
    channel, address = ctx.inbound.channel, ctx.inbound.address
    phone = (_phone(channel, address, ctx.config.organization.phone_region)
             if reason == "wrong_number" else None)
    ctx.effect(effects.OptOut(channel, address, reason, wrong_phone=phone))
    ctx.audit("optout", reason)


def _phone(channel: str, address: str, region: str) -> str | None:
    if channel not in PHONE_CHANNELS:  # addressed by phone number (SMS, WhatsApp)
        return None
    try:
        return normalize_phone(address, region)
    except ValueError:
        return None


async def opt_in(ctx: Context) -> None:
    channel, address = ctx.inbound.channel, ctx.inbound.address
    ctx.effect(effects.OptIn(channel, address))
    ctx.audit("optin")
    ctx.reply_kind = "compliance"
    ctx.say(ctx._("Welcome back. You will get messages from {org} again. Reply STOP to end.",
                  org=ctx.config.organization.name))
    await show_menu(ctx)


def help_reply(ctx: Context) -> None:
    org = ctx.config.organization
    ctx.reply_kind = "compliance"
    # TRANSLATORS: carriers require HELP to name the organisation and how to stop, in one
    # SMS (two in UCS-2): keep "STOP" as is, and keep it short.
    ctx.say(ctx._("{org}: free help. Call {phone} or visit {website}. Reply STOP to end "
                  "messages.", org=org.name, phone=org.phone, website=org.website))

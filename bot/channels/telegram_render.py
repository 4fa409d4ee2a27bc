"""Telegram <-> casecheck: updates to ``Inbound``, queued replies to messages.

Pure functions, no I/O: what the person sees (plain text, inline keyboards,
the command menu) and what the dialogue receives (text, deep-link code,
language hint) are decided here and tested without a network.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from babel import Locale, UnknownLocaleError
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, MessageLimit

from .. import bidi
from ..i18n import Translator
from ..model import Inbound, Reply
from ..registry.normalize import hash_notice_code
from .registry import TELEGRAM

CHANNEL = TELEGRAM.name

_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{3,64})?(?:\s+(.*))?", re.S)
# t.me/<bot>?start=<payload>: Telegram allows A-Z, a-z, 0-9, _ and - (at most 64).
_DEEP_LINK = re.compile(r"[A-Za-z0-9_-]{1,64}")
LABEL_MAX = 40  # longer button labels are cut; Telegram shows about this much
SHORT_LABEL = 14  # labels this short go two to a row


def N_(msgid: str) -> str:
    """Mark a message for extraction; translated where it is shown."""
    return msgid


# The command menu, as registered with setMyCommands (descriptions translated).
COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Start over")),
    ("help", N_("Help and contact")),
    ("language", N_("Change language")),
    ("lawyer", N_("Talk to a lawyer")),
    ("stop", N_("Stop all messages")),
]


# -- inbound -------------------------------------------------------------------

def inbound_from_update(update: Update) -> Inbound | None:
    """The person's message or button press, or None when the bot must not answer.

    Only private chats with a person are served: groups, channels, other bots,
    edited messages and service updates give None.
    """
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE or user.is_bot:
        return None
    hint = user.language_code or None
    provider_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        if not query.data or not isinstance(query.data, str):
            return None
        return Inbound(CHANNEL, str(chat.id), query.data, language_hint=hint,
                       provider_id=provider_id)
    message = update.message
    if message is None:
        return None
    text = message.text or message.caption or ""
    media = 0 if message.text is not None else int(message.effective_attachment is not None)
    text, code = parse_command(text)
    return Inbound(CHANNEL, str(chat.id), text, language_hint=hint, provider_id=provider_id,
                   media_count=media, notice_code=hash_notice_code(code) if code else None)


def parse_command(text: str) -> tuple[str, str | None]:
    """``/start@bot CODE`` -> ("/start", "CODE"); other commands lose their @bot suffix.

    A deep-link payload that is not a valid Telegram start parameter is dropped.
    """
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return text, None
    command, argument = match.group(1).lower(), (match.group(2) or "").strip()
    if command == "start":
        return "/start", argument if _DEEP_LINK.fullmatch(argument) else None
    return f"/{command} {argument}".rstrip(), None


def blocked_the_bot(update: Update) -> bool | None:
    """True if a person blocked the bot, False if they unblocked it, else None."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return None
    status = change.new_chat_member.status
    if status == "kicked":
        return True
    if status == "member":
        return False
    return None


# -- outbound ------------------------------------------------------------------

def keyboard(options: Iterable[dict[str, str]]) -> InlineKeyboardMarkup | None:
    """Options as inline buttons (callback data = the option key).

    Short labels (languages, yes/no) go two to a row, long ones one per row.
    """
    buttons = [InlineKeyboardButton(_label(o.get("label", "")), callback_data=o["key"][:64])
               for o in options if o.get("key")]
    if not buttons:
        return None
    width = 2 if all(len(b.text) <= SHORT_LABEL for b in buttons) else 1
    return InlineKeyboardMarkup([buttons[i:i + width] for i in range(0, len(buttons), width)])


def _label(text: str) -> str:
    text = " ".join(text.split()) or "…"
    text = text if len(text) <= LABEL_MAX else text[:LABEL_MAX - 1].rstrip() + "…"
    return bidi.isolate_latin(text)


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Cut a text longer than one Telegram message at paragraph, line or word ends."""
    text = text.strip() or "…"
    parts: list[str] = []
    while len(text) > limit:
        cut = next((at for sep in ("\n\n", "\n", " ")
                    if (at := text.rfind(sep, 0, limit)) > limit // 2), limit)
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return parts


def bot_commands(translator: Translator,
                 default_locale: str) -> list[tuple[str | None, list[BotCommand]]]:
    """(language_code, commands) for setMyCommands: a default list, then one per language.

    Telegram takes two-letter ISO 639-1 codes only, so a locale like ``kea``
    gets the default list and ``pt_BR`` is registered as ``pt``.
    """
    def menu(locale: str) -> list[BotCommand]:
        return [BotCommand(name, translator.gettext(locale, text)) for name, text in COMMANDS]

    found: list[tuple[str | None, list[BotCommand]]] = [(None, menu(default_locale))]
    seen: set[str] = set()
    for locale in translator.locales:
        code = _iso639_1(locale)
        if code and code not in seen:
            seen.add(code)
            found.append((code, menu(locale)))
    return found


def _iso639_1(locale: str) -> str | None:
    try:
        language = Locale.parse(locale).language
    except (ValueError, UnknownLocaleError):
        return None
    return language if len(language) == 2 else None


def compose(replies: list[Reply], *, first: bool) -> list[Reply]:
    """A turn's replies as Telegram messages. On a person's first turn a text without
    buttons (the welcome) and the question with buttons after it go as one message:
    Telegram paces a chat's messages a second apart, so the question would trail it."""
    if first and len(replies) >= 2 and not replies[0].options and replies[1].options:
        joined = dataclasses.replace(replies[1], text=replies[0].text + "\n\n" + replies[1].text)
        return [joined, *replies[2:]]
    return replies

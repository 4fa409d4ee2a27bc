"""Render a Reply for WhatsApp: the SMS numbered menu, but no segments and no MORE.

WhatsApp has no per-segment cost, so a reply is one message; Twilio takes at
most 1,600 characters in one, so a longer text is cut at a sentence or word
end with an ellipsis (the bot's own replies are far shorter). Numbered menus
stay: interactive buttons need approved templates. Text keeps its accents
(no GSM-7 folding: "número", not "numero"); right-to-left text gets the same
direction isolates as SMS.
"""

from __future__ import annotations

from .. import bidi
from ..model import Reply
from . import sms_render

MAX_CHARS = 1600  # Twilio's limit for one WhatsApp message body


def render(reply: Reply, _: sms_render.Gettext) -> str:
    """Text followed by "Reply 1 for ..." lines, within ``MAX_CHARS``."""
    lines = sms_render.option_lines(reply, _)
    text = "\n".join(line for line in [reply.text.strip(), *lines] if line)
    return cut(bidi.isolate_latin(text))


def cut(text: str, limit: int = MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    for mark in (". ", "\n", " "):
        at = head.rfind(mark)
        if at > limit // 2:
            return head[:at + 1].rstrip() + "…"
    return head + "…"

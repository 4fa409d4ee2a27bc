"""A reply to a campaign message: the dialogue goes on with the campaign known.

``handlers.flow.route`` calls ``on_message`` first. When the sender got a
campaign message within ``[outreach] reply_window_days``, the message is
marked as that campaign's (``ctx.inbound.campaign_id``), the recipient's
``replied_at`` is recorded once, and a person who has not chosen a language
gets the campaign's. "YES" (in any shipped language) from someone not in the
middle of a question starts the case lookup; if they had opted out, YES opts
them back in first (it is a carrier opt-in word too). Anything else goes on
through the normal dialogue (compliance keywords first).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from handlers import lookup
from handlers.text import keyword

from ..context import Context
from ..storage import effects
from ..storage import outreach as store
from .texts import N_

YES_WORDS = frozenset({"yes", "y", "yeah", "ok", "okay", "si", "sim", "wi", "oui"})
# Steps where a YES is not an answer to a question of ours.
AT_REST = frozenset({"menu", "language", "opted_out"})
YES_MSGID = N_("YES")


def _is_yes(ctx: Context, text: str) -> bool:
    word = keyword(text)
    if word is None:
        return False
    words = YES_WORDS | {keyword(ctx.translator.gettext(loc, YES_MSGID)) or ""
                         for loc in ctx.translator.locales}
    return word in words


async def on_message(ctx: Context, text: str) -> bool:
    """Note a campaign reply; True if it was a YES and the lookup has started."""
    inbound = ctx.inbound
    since = ctx.now - dt.timedelta(days=ctx.config.outreach.reply_window_days)
    row = await store.latest_sent_to(ctx.services.db, inbound.channel, inbound.address,
                                     since.astimezone(dt.UTC).isoformat(timespec="seconds"))
    if row is None:
        return False
    campaign_id = int(row["campaign_id"])
    ctx.inbound = dataclasses.replace(inbound, campaign_id=campaign_id)
    if row["replied_at"] is None:
        ctx.effect(effects.MarkCampaignReply(campaign_id, inbound.channel, inbound.address))
        ctx.audit("outreach", "replied", detail=f"campaign {campaign_id}")
    if not ctx.state.locale_chosen and row["locale"] in ctx.translator.locales:
        ctx.state.locale = row["locale"]
    at_rest = ctx.state.is_new or ctx.state.step is None or ctx.state.step in AT_REST
    if not (at_rest and _is_yes(ctx, text)):
        return False
    if ctx.opted_out:
        _opt_in(ctx)
    ctx.say(ctx._("Thank you for your answer. This service is free. To check "
                  "your case, we need a few details."))
    await lookup.start(ctx)
    return True


def _opt_in(ctx: Context) -> None:
    ctx.effect(effects.OptIn(ctx.inbound.channel, ctx.inbound.address))
    ctx.audit("optin", "campaign_yes")
    ctx.opted_out = False
    ctx.reply_kind = "compliance"
    ctx.say(ctx._("You will get messages from {org} again. Reply STOP at any time to end.",
                  org=ctx.config.organization.name))

"""A reply to a campaign message: the dialogue goes on with the campaign known.

One of the dialogue's interceptors (``handlers/flow.py``, ``campaign_reply``)
calls ``on_message``. When the sender got a campaign message within
``[outreach] reply_window_days``, the message is marked as that campaign's
(``ctx.inbound.campaign_id``), the recipient's ``replied_at`` is recorded
once, and a person who has not chosen a language gets the campaign's. "YES"
(in any shipped language) from someone not in the middle of a question is
answered here (``accept``; if they had opted out, YES opts them back in first:
it is a carrier opt-in word too) and the interceptor starts the case lookup.
Anything else goes on through the normal dialogue (compliance keywords first).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from ..config import Config
from ..context import Context
from ..storage import effects
from .texts import N_

YES_WORDS = frozenset({"yes", "y", "yeah", "ok", "okay", "si", "sim", "wi", "oui"})
# Steps where a YES is not an answer to a question of ours.
AT_REST = frozenset({"menu", "language", "opted_out"})
YES_MSGID = N_("YES")


def window_start(config: Config, now: dt.datetime) -> str:
    """Since when a campaign message may be answered by a message received ``now``."""
    since = now - dt.timedelta(days=config.outreach.reply_window_days)
    return since.astimezone(dt.UTC).isoformat(timespec="seconds")


async def on_message(ctx: Context) -> bool:
    """Note a campaign reply; True if the message answers one at rest (``AT_REST``),
    where a YES accepts the campaign's offer."""
    inbound = ctx.inbound
    row = ctx.reads.campaign  # the latest sent since ``window_start``
    if row is None:
        return False
    campaign_id = int(row["campaign_id"])
    ctx.inbound = dataclasses.replace(inbound, campaign_id=campaign_id)
    if row["replied_at"] is None:
        ctx.effect(effects.MarkCampaignReply(campaign_id, inbound.channel, inbound.address))
        ctx.audit("outreach", "replied", detail=f"campaign {campaign_id}")
    if not ctx.state.locale_chosen and row["locale"] in ctx.translator.locales:
        ctx.state.locale = row["locale"]
    return ctx.state.is_new or ctx.state.step is None or ctx.state.step in AT_REST


def accept(ctx: Context) -> None:
    """A YES to the campaign: opted back in if they had opted out; the lookup follows."""
    if ctx.opted_out:
        _opt_in(ctx)
    ctx.say(ctx._("Thank you for your answer. This service is free. To check "
                  "your case, we need a few details."))


def _opt_in(ctx: Context) -> None:
    ctx.effect(effects.OptIn(ctx.inbound.channel, ctx.inbound.address))
    ctx.audit("optin", "campaign_yes")
    ctx.opted_out = False
    ctx.reply_kind = "compliance"
    ctx.say(ctx._("You will get messages from {org} again. Reply STOP at any time to end.",
                  org=ctx.config.organization.name))

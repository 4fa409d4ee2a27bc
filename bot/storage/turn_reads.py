"""What a conversation turn reads before its handlers run, in one trip to the database.

Every turn needs the sender's state and whether they opted out, whether a MORE
page waits for them, the campaign message they may be answering and a live
staff thread they may be in: five reads, asked together (``fetch_first``)
instead of one trip each as the handlers reach them. Each is what the handler
would have read at its own point of the turn: nothing in a turn writes before
them (a new person is created right after, with none of these rows).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import Database, Row, live_handoff, optouts, outreach, people
from . import sms as more_pages
from .records import Escalation


@dataclass(frozen=True)
class TurnReads:
    state: Row | None  # ``people.load_read``'s row (None: a sender not seen before)
    opted_out: bool
    more_waiting: tuple[int, str] | None  # (outbox id, rest) waiting for MORE
    campaign: Row | None  # the latest campaign message sent in the reply window
    live: Escalation | None  # a claimed or waiting escalation: staff are talking


async def load(db: Database, channel: str, address: str, campaign_since: str) -> TurnReads:
    state, opted, more, campaign, live = await db.fetch_first([
        people.load_read(channel, address), optouts.opted_out_read(channel, address),
        more_pages.more_read(channel, address),
        outreach.latest_sent_read(channel, address, campaign_since),
        live_handoff.live_read(channel, address)])
    return TurnReads(state=state, opted_out=bool(opted and opted[0]),
                     more_waiting=more_pages.more_waiting(more), campaign=campaign,
                     live=Escalation.maybe(live))

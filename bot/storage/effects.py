"""A turn's writes as data: what a handler wants done, applied in the turn's transaction.

Handlers decide and record (``ctx.effect(OptOut(...))``); ``apply`` runs the
effects in order inside the transaction that also saves the state, the
transcript and the outbox, so a turn is all or nothing. Effects name no
connection or driver: either engine applies them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import (
    Tx,
    attempts,
    audit,
    escalations,
    linking,
    live_handoff,
    optouts,
    outreach,
    people,
    retention,
    sms,
)
from . import cases as cases_store


@dataclass(frozen=True)
class Audit:
    """An audit entry (never personal data in ``detail``)."""
    action: str
    outcome: str | None = None
    person_id: int | None = None
    case_id: int | None = None
    detail: str | None = None
    actor: str = "bot"


@dataclass(frozen=True)
class OptOut:
    """The address opted out; nothing queued for it leaves. ``wrong_phone``: the number
    (E.164) a registry case must no longer be linked through."""
    channel: str
    address: str
    reason: str
    wrong_phone: str | None = None


@dataclass(frozen=True)
class OptIn:
    """The address (and the person's other contacts) may get messages again."""
    channel: str
    address: str


@dataclass(frozen=True)
class LookupSucceeded:
    """A verified lookup: its reserved attempt rows count against no key."""
    attempt_ids: tuple[int, ...]


@dataclass(frozen=True)
class VerifiedCase:
    person_id: int
    case_id: int


@dataclass(frozen=True)
class Link:
    """Join the SMS contact at the case's phone to this person (``linking``). The
    state is updated in place (a language chosen on SMS), before it is saved."""
    state: people.State
    channel: str
    case_id: int


@dataclass(frozen=True)
class OpenEscalation:
    ref: str
    person_id: int
    channel: str
    address: str
    locale: str
    reason: str
    case_id: int | None
    candidates: tuple[int, ...]
    summary: str


@dataclass(frozen=True)
class AddCandidates:
    """More candidate cases for an open escalation (a later name-only lookup)."""
    escalation_id: int
    candidates: tuple[int, ...]


@dataclass(frozen=True)
class PersonWrote:
    """The person wrote into a live staff thread."""
    escalation_id: int
    told_after_hours: bool


@dataclass(frozen=True)
class MarkCampaignReply:
    campaign_id: int
    channel: str
    address: str


@dataclass(frozen=True)
class Erase:
    """"Forget me": the person's messages, answers and contacts go (``retention``)."""
    person_id: int
    sender: retention.Sender


@dataclass(frozen=True)
class TakeMore:
    """The rest of a long reply was sent on MORE: it waits no more."""
    outbox_id: int


@dataclass(frozen=True)
class DropMore:
    """The person moved on: the rest waiting for this address is stale."""
    channel: str
    address: str


Effect = (Audit | OptOut | OptIn | LookupSucceeded | VerifiedCase | Link | OpenEscalation
          | AddCandidates | PersonWrote | MarkCampaignReply | Erase | TakeMore | DropMore)


async def apply(tx: Tx, effects: Iterable[Effect], now: str) -> None:
    """Run ``effects`` in order in the caller's transaction."""
    for fx in effects:
        await _apply(tx, fx, now)


async def _apply(tx: Tx, fx: Effect, now: str) -> None:  # noqa: C901 (one case per effect)
    match fx:
        case Audit():
            await audit.record(tx, now, fx.actor, fx.action, fx.outcome, fx.person_id,
                               fx.case_id, fx.detail)
        case OptOut():
            await optouts.opt_out(tx, fx.channel, fx.address, fx.reason, now)
            if fx.wrong_phone:
                await cases_store.mark_phone_wrong(tx, fx.wrong_phone)
        case OptIn():
            await optouts.opt_in(tx, fx.channel, fx.address)
        case LookupSucceeded():
            await attempts.succeeded(tx, fx.attempt_ids)
        case VerifiedCase():
            await people.set_verified_case(tx, fx.person_id, fx.case_id, now)
        case Link():
            await linking.link_case_phone(tx, fx.state, fx.channel, fx.case_id, now)
        case OpenEscalation():
            await escalations.create(
                tx, ref=fx.ref, person_id=fx.person_id, channel=fx.channel, address=fx.address,
                locale=fx.locale, reason=fx.reason, case_id=fx.case_id,
                candidates=fx.candidates, summary=fx.summary, now=now)
        case AddCandidates():
            await escalations.add_candidates(tx, fx.escalation_id, fx.candidates, now)
        case PersonWrote():
            await live_handoff.person_wrote(tx, fx.escalation_id, now,
                                     told_after_hours=fx.told_after_hours)
        case MarkCampaignReply():
            await outreach.mark_replied(tx, fx.campaign_id, fx.channel, fx.address, now)
        case Erase():
            await retention.forget_person(tx, fx.person_id, now, fx.sender)
        case TakeMore():
            await sms.take_more(tx, fx.outbox_id)
        case DropMore():
            await sms.drop_more(tx, fx.channel, fx.address)

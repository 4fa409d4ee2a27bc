"""Handoff to counsel: "talk to a lawyer" at any point opens one escalation per person."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from bot.context import Context
from bot.local_time import office_hours
from bot.storage import effects

from .prompts import show_menu

# No 0/O, 1/I/L: a reference people can read out on the phone.
_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


async def new_ref(ctx: Context) -> str:
    while True:
        ref = "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))
        if not await ctx.services.escalation_ref_taken(ref):
            return ref


async def summary(ctx: Context, reason: str, candidates: Sequence[int]) -> str:
    """What staff read first: where the person was, never what they typed."""
    failures = await ctx.services.failed_attempts(ctx.sender_key, ctx.now)
    parts = [f"reason: {reason}", f"language: {ctx.locale}",
             f"last step: {ctx.state.step or 'start'}",
             f"lookup: {ctx.slots.get('last_lookup', 'none')}",
             f"failed lookups (window): {failures}"]
    if ctx.slots.get("verified_case_id"):
        parts.append(f"verified case: {ctx.slots['verified_case_id']}")
    if candidates:
        parts.append(f"possible cases: {len(candidates)}")
    if ctx.slots.get("topics_seen"):
        parts.append("topics: " + ", ".join(ctx.slots["topics_seen"]))
    return "; ".join(parts)


async def request(ctx: Context, reason: str = "asked", candidates: Sequence[int] = ()) -> None:
    """Open an escalation (or point to the open one) and say what happens next."""
    existing = await ctx.services.open_escalation(ctx.state.person_id)
    if existing is not None:
        if candidates:
            ctx.effect(effects.AddCandidates(existing["id"], tuple(candidates)))
        ctx.say(ctx._("You already have an open request with a lawyer. Your reference is {ref}. "
                      "We will contact you here.", ref=existing["ref"]))
        await show_menu(ctx)
        return
    ref = await new_ref(ctx)
    case_id: int | None = ctx.slots.get("verified_case_id")
    note = await summary(ctx, reason, candidates)
    person_id, channel, address = ctx.state.person_id, ctx.inbound.channel, ctx.inbound.address
    ctx.effect(effects.OpenEscalation(
        ref=ref, person_id=person_id, channel=channel, address=address, locale=ctx.locale,
        reason=reason, case_id=case_id, candidates=tuple(candidates), summary=note))
    ctx.audit("escalation", reason, case_id=case_id, detail=ref)
    org = ctx.config.organization
    hours = ctx.config.dialogue.escalation_target_hours
    # TRANSLATORS: "aim to": a target, not a promise.
    ctx.say(ctx.n_("Thank you. Your reference is {ref}. We aim to have a lawyer from {org} "
                   "contact you here within {n} business hour.",
                   "Thank you. Your reference is {ref}. We aim to have a lawyer from {org} "
                   "contact you here within {n} business hours.", hours, org=org.name, ref=ref)
            + " " + ctx._("You can also call {phone} ({hours}).", phone=org.phone,
                          hours=office_hours(org.hours, ctx.locale, ctx._)))
    await show_menu(ctx)

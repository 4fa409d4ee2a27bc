"""What a verified person hears: status, court, status date, what it means; other cases.

Only ``lookup.verified`` (docket or notice code + date of birth, and last name)
leads here. Each case shown is audited as a disclosure. The offence is never
named (the registry does not even hold it). "Other cases" are only those sharing
a verified key with the proven case (the registry's person record, or its notice
code): a namesake with the same name and date of birth is neither shown nor counted.
"""

from __future__ import annotations

import datetime as dt

from bot.context import Context
from bot.storage import Row, effects

from . import date_names, topics
from .steps import Step


def status_label(ctx: Context, status: str) -> str:
    labels = {
        "dismissed": ctx._("Dismissed"),
        "pending": ctx._("Pending"),
        "not_dismissed": ctx._("Not dismissed"),
        "under_review": ctx._("Under review"),
    }
    return labels.get(status, status)


def case_text(ctx: Context, row: Row) -> str:
    docket, court = row["docket_display"], row["court"]
    head = (ctx._("Case {docket}, {court}.", docket=docket, court=court) if court
            else ctx._("Case {docket}.", docket=docket))
    label = status_label(ctx, row["status"])
    if row["status_date"]:
        when = date_names.long_date(ctx, dt.date.fromisoformat(row["status_date"]))
        status = ctx._("Status: {status}, since {date}.", status=label, date=when)
    else:
        status = ctx._("Status: {status}.", status=label)
    return f"{head}\n{status}\n{topics.explain_status(ctx, row['status'])}"


def _remember(ctx: Context, row: Row) -> None:
    case_id, person_id = row["id"], ctx.state.person_id
    ctx.slots["verified_case_id"] = case_id
    ctx.slots["verified_status"] = row["status"]
    ctx.effect(effects.VerifiedCase(person_id, case_id))
    ctx.audit("disclosure", case_id=case_id)


def _shared_key(row: Row) -> list[str | None]:
    return [row["person_ref"] or None, row["notice_code_hash"] or None]


def _shares_key(key: list[str | None], row: Row) -> bool:
    person, code = key
    return bool((person and row["person_ref"] == person)
                or (code and row["notice_code_hash"] == code))


async def first_case(ctx: Context, row: Row) -> None:
    """Disclose the verified case, and count the person's other cases."""
    others = [r["id"] for r in await ctx.services.other_cases(row)]
    ctx.slots["other_cases"] = others
    ctx.slots["verified_key"] = _shared_key(row)
    _remember(ctx, row)
    ctx.say(ctx._("Thank you. We found your case.") + "\n" + case_text(ctx, row))
    if others:
        ctx.say(ctx.n_("We also found {n} other case with your name and date of birth.",
                       "We also found {n} other cases with your name and date of birth.",
                       len(others)))
    show_options(ctx)


async def next_case(ctx: Context) -> None:
    """Show the next of the person's other cases, one at a time."""
    others = list(ctx.slots.get("other_cases") or [])
    key = ctx.slots.get("verified_key") or [None, None]
    row = await ctx.services.case(others.pop(0)) if others else None
    # Checked again at disclosure: only a case sharing the proven case's key is shown.
    if row is None or not _shares_key(key, row):
        ctx.slots["other_cases"] = []
        show_options(ctx)
        return
    ctx.slots["other_cases"] = others
    _remember(ctx, row)
    ctx.say(case_text(ctx, row))
    if others:
        ctx.say(ctx.n_("{n} more case to see.", "{n} more cases to see.", len(others)))
    show_options(ctx)


def option_actions(ctx: Context) -> list[str]:
    """What the verified menu offers, in order: numbered 1 to n with no gaps."""
    return ["topics", "lawyer", *(["next_case"] if ctx.slots.get("other_cases") else []),
            "menu"]


def show_options(ctx: Context) -> None:
    labels = {"topics": ctx._("What this means for me"), "lawyer": ctx._("Talk to a lawyer"),
              "next_case": ctx._("See my other case"), "menu": ctx._("Main menu")}
    options = [(str(i), labels[action])
               for i, action in enumerate(option_actions(ctx), start=1)]
    ctx.say(ctx._("What would you like to do next?"), options)
    ctx.ask("menu", step=Step.VERIFIED)

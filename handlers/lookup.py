"""Case lookup: collect a docket number or notice code, a last name and a date of birth.

Verification and disclosure follow DESIGN.md: a wrong answer and an unknown
docket get the same reply; failures count per sender and per docket, each
attempt reserved before the registry is read (``attempts.reserve``), so
concurrent guesses cannot pass the limit. A docket at its limit gets its own
honest answer, alike for every docket string, existing or not. A notice code
typed at the docket question goes the same way whether it exists or not.
Name + date of birth alone never discloses (``handlers.nameonly``).
"""

from __future__ import annotations

from bot.context import Context
from bot.registry.normalize import hash_notice_code, name_key, within_typos
from bot.storage import Row, effects

from . import disclose, nameonly
from .prompts import ask_dob, bad_name, read_dob
from .steps import Step
from .text import as_identifier, as_name, fold

SLOTS = ("lk_docket", "lk_notice", "lk_last")


def clear(ctx: Context) -> None:
    for slot in SLOTS:
        ctx.slots.pop(slot, None)


# -- asking -------------------------------------------------------------
async def start(ctx: Context) -> None:
    """The person wants to check a case: refuse if locked out, else ask how."""
    clear(ctx)
    if await ctx.services.locked(ctx.sender_key, ctx.now):
        locked(ctx)
        return
    ask_identifier(ctx)


def ask_identifier(ctx: Context) -> None:
    options = [("1", ctx._("I have a code from a letter"))] if _codes(ctx) else []
    options.append(("2", ctx._("I do not have a number")))
    ctx.say(ctx._("Please send your docket number. It is on your case papers, for example "
                  "0912CR004411."), options)
    ctx.ask("docket_number", step=Step.LOOKUP_ID)


def _codes(ctx: Context) -> bool:
    return bool(ctx.config.privacy.allow_notice_code)


async def start_with_docket(ctx: Context, docket: str) -> None:
    clear(ctx)
    if await ctx.services.locked(ctx.sender_key, ctx.now):
        locked(ctx)
        return
    ctx.slots["lk_docket"] = docket
    ask_after_docket(ctx)


async def start_with_notice(ctx: Context, code_hash: str) -> None:
    """A deep-link code, already hashed where it arrived (``Inbound.notice_code``)."""
    clear(ctx)
    if await ctx.services.locked(ctx.sender_key, ctx.now):
        locked(ctx)
        return
    ctx.slots["lk_notice"] = code_hash
    ask_dob(ctx, Step.NOTICE_DOB)


def ask_after_docket(ctx: Context) -> None:
    if ctx.config.privacy.require_last_name:
        ask_last_name(ctx)
    else:
        ask_dob(ctx, Step.DOCKET_DOB)


def ask_last_name(ctx: Context) -> None:
    ctx.say(ctx._("What is your last name?"))
    ctx.ask("last_name", step=Step.DOCKET_LAST_NAME)


def ask_notice_code(ctx: Context) -> None:
    ctx.say(ctx._("Please send the code from your letter. It looks like AB12-CD34."))
    ctx.ask("notice_code", step=Step.NOTICE_CODE)


# -- steps ----------------------------------------------------------------
async def on_identifier(ctx: Context, text: str) -> bool:
    if text == "1" and _codes(ctx):
        ask_notice_code(ctx)
        return True
    if text == "2" or _no_number(text):
        nameonly.ask_last_name(ctx)
        return True
    ident = as_identifier(text)
    if ident is None:
        return False
    clear(ctx)
    # A code that exists goes on exactly as a docket would (to the last name), so the
    # reply tells nothing about whether it exists; only its hash is kept.
    if _codes(ctx) and await ctx.services.case_by_notice(hash_notice_code(ident)):
        ctx.slots["lk_notice"] = hash_notice_code(ident)
    else:
        ctx.slots["lk_docket"] = ident
    ask_after_docket(ctx)
    return True


_NO_NUMBER = ("dont have", "don't have", "do not have", "no number", "no tengo", "nao tenho",
              "dont know", "don't know", "do not know", "no se", "no lo se")


def _no_number(text: str) -> bool:
    folded = fold(text)
    return not any(ch.isdigit() for ch in folded) and any(p in folded for p in _NO_NUMBER)


async def on_notice_code(ctx: Context, text: str) -> bool:
    ident = as_identifier(text)
    if ident is None:
        return False
    ctx.slots["lk_notice"] = hash_notice_code(ident)
    ask_dob(ctx, Step.NOTICE_DOB)
    return True


async def on_last_name(ctx: Context, text: str) -> bool:
    name = as_name(text)
    if name is None:
        bad_name(ctx)
        ask_last_name(ctx)
        return True
    ctx.slots["lk_last"] = name_key(name)
    ask_dob(ctx, Step.DOCKET_DOB)
    return True


async def on_docket_dob(ctx: Context, text: str) -> bool:
    if (dob := read_dob(ctx, text, Step.DOCKET_DOB)) is None:
        return True
    docket, code_hash = ctx.slots.get("lk_docket"), ctx.slots.get("lk_notice")
    if not (docket or code_hash):
        await start(ctx)
        return True
    if code_hash:  # a code typed at the docket question: checked with the last name too
        row = await ctx.services.case_by_notice(code_hash)
        rows = [row] if row is not None else []
        key = f"docket:{row['docket_number']}" if row else f"notice:{code_hash[:16]}"
    else:
        rows, key = await ctx.services.cases_by_docket(str(docket)), f"docket:{docket}"
    if (reserved := await _reserve(ctx, key)) is None:
        return True
    last = ctx.slots.get("lk_last", "")
    typos = ctx.config.privacy.name_typos
    need_name = ctx.config.privacy.require_last_name
    for row in rows:
        if row["date_of_birth"] == dob and (
                not need_name or within_typos(last, row["last_name_key"], typos)):
            await verified(ctx, row, reserved)
            return True
    failed(ctx)
    return True


async def on_notice_dob(ctx: Context, text: str) -> bool:
    if (dob := read_dob(ctx, text, Step.NOTICE_DOB)) is None:
        return True
    code_hash = ctx.slots.get("lk_notice")
    if not code_hash:
        await start(ctx)
        return True
    row = await ctx.services.case_by_notice(code_hash)
    key = f"docket:{row['docket_number']}" if row else f"notice:{code_hash[:16]}"
    if (reserved := await _reserve(ctx, key)) is None:
        return True
    if row is not None and row["date_of_birth"] == dob and _codes(ctx):
        ctx.effect(effects.Link(ctx.state, ctx.inbound.channel, row["id"]))
        await verified(ctx, row, reserved)
    else:
        failed(ctx)
    return True


async def _reserve(ctx: Context, key: str) -> tuple[int, ...] | None:
    """Count this attempt for the sender and ``key`` before any check; None (and the
    answer given) when either is at its limit."""
    reservation = await ctx.services.reserve_attempt([ctx.sender_key, key], ctx.now)
    if reservation.locked == ctx.sender_key:
        locked(ctx)
        return None
    if reservation.locked is not None:
        docket_locked(ctx)
        return None
    return reservation.ids


# -- outcomes -------------------------------------------------------------
async def verified(ctx: Context, row: Row, reserved: tuple[int, ...]) -> None:
    clear(ctx)
    ctx.effect(effects.LookupSucceeded(reserved))
    ctx.audit("lookup", "verified")
    ctx.slots["last_lookup"] = "verified"
    await disclose.first_case(ctx, row)


def failed(ctx: Context) -> None:
    """The one reply for a wrong answer and an unknown docket or code (already counted)."""
    clear(ctx)
    ctx.audit("lookup", "failed")
    ctx.slots["last_lookup"] = "failed"
    ctx.say(ctx._("We could not confirm these details. Please check them and try again, "
                  "or talk to a lawyer."))
    failed_options(ctx)


def docket_locked(ctx: Context) -> None:
    """Too many tries on this docket (by anyone): said plainly, so the real person is
    not told their details are wrong; alike for every docket string, existing or not."""
    clear(ctx)
    ctx.audit("lookup", "locked")
    ctx.slots["last_lookup"] = "locked"
    ctx.say(ctx._("Too many tries on this case number today. A lawyer can check it with you."))
    failed_options(ctx)


def failed_options(ctx: Context) -> None:
    ctx.say(ctx._("What would you like to do?"),
            [("1", ctx._("Try again")), ("2", ctx._("Talk to a lawyer")),
             ("3", ctx._("Main menu"))])
    ctx.ask("menu", step=Step.LOOKUP_FAILED)


def locked(ctx: Context) -> None:
    """Too many failed lookups from this sender: no more lookups; offer a human."""
    clear(ctx)
    ctx.audit("lookup", "locked")
    ctx.slots["last_lookup"] = "locked"
    locked_offer(ctx)


def locked_offer(ctx: Context) -> None:
    ctx.say(ctx._("For your safety, we cannot check cases from here right now. A lawyer can "
                  "help you. Do you want a lawyer to contact you?"),
            [("1", ctx._("Yes")), ("2", ctx._("No"))])
    ctx.ask("confirm", step=Step.LOCKED)

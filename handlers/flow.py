"""The conversation's state table and the router.

``STEPS`` maps each step (``state.step``) to what it waits for (``awaiting``,
the public slot name of the console protocol), the function that handles an
answer and the one that asks the question again. ``flow.mmd`` beside this
file draws it. Every message passes, in order: compliance keywords (STOP,
START, HELP, wrong number), size and emptiness checks, Telegram-style
commands and MENU, then the current step; free text the step does not take is
understood by ``ctx.understanding`` (handlers/intents.py) wherever the person is
(handlers/clarify.py decides between acting, asking which one, and confirming a stop).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.context import Context
from bot.outreach import replies as outreach_replies
from bot.registry.normalize import hash_notice_code
from bot.understanding.model import Ranked

from . import (
    clarify,
    compliance,
    dates,
    disclose,
    forget,
    lawyer,
    lookup,
    nameonly,
    topics,
    welcome,
)
from .text import (
    MAX_CHARS,
    as_name,
    clean,
    find_docket,
    find_notice_codes,
    fold,
    has_words,
    is_number,
    is_sentence,
    keyword,
)

Handler = Callable[[Context, str], Awaitable[bool]]
Prompt = Callable[[Context], Awaitable[None] | None]

TOPIC_INTENTS = {"topic_record": "record", "topic_refund": "refund",
                 "topic_housing": "housing", "topic_employment": "employment",
                 "topic_immigration": "immigration"}
# Intents that interrupt a question whose answer is data (a name, a date, a number).
INTERRUPTING = frozenset({"lawyer", "help", "language", "stop", *TOPIC_INTENTS})
# Requests a docket number in the same message does not override ("my docket is 0912CR4411"
# starts the lookup even with a topic word such as "record" around it).
OVER_DOCKET = frozenset({"lawyer", "help", "language", "stop"})


@dataclass(frozen=True)
class Step:
    awaiting: str | None
    handle: Handler
    prompt: Prompt
    data: bool = False  # answers are data: only clear requests interrupt
    names: bool = False  # a single word here is a name


async def on_main_menu(ctx: Context, text: str) -> bool:
    actions = {"1": lookup.start, "2": topics.show_topics, "3": lawyer.request,
               "4": _ask_language}
    if text not in actions:
        return False
    await actions[text](ctx)
    return True


async def on_verified(ctx: Context, text: str) -> bool:
    handlers = {"topics": topics.show_topics, "lawyer": lawyer.request,
                "next_case": disclose.next_case, "menu": welcome.show_menu}
    actions = {str(i): handlers[name]
               for i, name in enumerate(disclose.option_actions(ctx), start=1)}
    if text not in actions:
        return False
    await actions[text](ctx)
    return True


async def on_failed(ctx: Context, text: str) -> bool:
    actions = {"1": lookup.start, "2": lawyer.request, "3": welcome.show_menu}
    if text not in actions:
        return False
    await actions[text](ctx)
    return True


async def on_locked(ctx: Context, text: str) -> bool:
    answer = lookup.yes_no(text)
    if answer is None:
        return False
    if answer:
        await lawyer.request(ctx, "locked_out")
    else:
        ctx.say(ctx._("All right."))
        await welcome.show_menu(ctx)
    return True


async def on_topics(ctx: Context, text: str) -> bool:
    if not is_number(text):
        return False
    await topics.on_topic(ctx, text)
    return True


async def on_language(ctx: Context, text: str) -> bool:
    await welcome.on_language(ctx, text)
    return True


async def _ask_language(ctx: Context) -> None:
    welcome.ask_language(ctx)


async def on_clarify(ctx: Context, text: str) -> bool:
    intent = clarify.chosen(ctx, text)
    if intent is None:
        return False
    await act(ctx, text, intent)
    return True


async def on_stop_confirm(ctx: Context, text: str) -> bool:
    answer = lookup.yes_no(text)
    if answer is None:
        return False
    if answer:
        compliance.opt_out(ctx, "stop")
    else:
        ctx.say(ctx._("All right."))
        await welcome.show_menu(ctx)
    return True


def _dob_prompt(step: str) -> Prompt:
    return lambda ctx: lookup.ask_dob(ctx, step)


STEPS: dict[str, Step] = {
    "language": Step("language", on_language, welcome.ask_language),
    "menu": Step("menu", on_main_menu, welcome.show_menu),
    "lookup_id": Step("docket_number", lookup.on_identifier, lookup.ask_identifier, data=True),
    "notice_code": Step("notice_code", lookup.on_notice_code, lookup.ask_notice_code,
                        data=True),
    "docket_last_name": Step("last_name", lookup.on_last_name, lookup.ask_last_name,
                             data=True, names=True),
    "docket_dob": Step("date_of_birth", lookup.on_docket_dob, _dob_prompt("docket_dob"),
                       data=True),
    "notice_dob": Step("date_of_birth", lookup.on_notice_dob, _dob_prompt("notice_dob"),
                       data=True),
    "name_last": Step("last_name", nameonly.on_last_name, nameonly.ask_last_name,
                      data=True, names=True),
    "name_first": Step("first_name", nameonly.on_first_name, nameonly.ask_first_name,
                       data=True, names=True),
    "name_dob": Step("date_of_birth", nameonly.on_dob, _dob_prompt("name_dob"), data=True),
    "name_offer": Step("confirm", nameonly.on_offer, nameonly.offer),
    "lookup_failed": Step("menu", on_failed, lookup.failed_options),
    "locked": Step("confirm", on_locked, lookup.locked_offer),
    "verified": Step("menu", on_verified, disclose.show_options),
    "topics": Step("menu", on_topics, topics.show_topics),
    "topic": Step("menu", topics.on_shown, topics.show_topics),
    "opted_out": Step(None, on_main_menu, welcome.show_menu),
    "forget_confirm": Step("confirm", forget.on_confirm, forget.ask),
    "clarify": Step("menu", on_clarify, welcome.show_menu),
    "stop_confirm": Step("confirm", on_stop_confirm, clarify.ask_stop),
}


async def prompt(ctx: Context) -> None:
    """Ask the current step's question again (the main menu if there is none)."""
    step = STEPS.get(ctx.state.step or "")
    result = step.prompt(ctx) if step else welcome.show_menu(ctx)
    if inspect.isawaitable(result):
        await result


SHOWN_OPTIONS = "shown_options"  # slot: folded label -> key of the options last shown


def label_key(label: str) -> str:
    """An option label as typed back: folded, without punctuation or spaces."""
    return "".join(ch for ch in fold(label) if ch.isalnum())


def remember_options(ctx: Context) -> None:
    """Keep the labels of the last options shown, so that typing a label ("Talk to a
    lawyer", "Hablar con un abogado") answers like its number."""
    shown = next((reply.options for reply in reversed(ctx.replies) if reply.options), None)
    if shown:
        ctx.slots[SHOWN_OPTIONS] = {label_key(o.label): o.key for o in shown}
    elif ctx.replies:
        ctx.slots.pop(SHOWN_OPTIONS, None)


def chosen_key(ctx: Context, text: str) -> str:
    """The key of the option whose label the person typed, else the text itself."""
    shown = ctx.slots.get(SHOWN_OPTIONS)
    if not shown or is_number(text):
        return text
    return shown.get(label_key(text), text)


async def route(ctx: Context) -> None:
    """Answer one message (``_route``), then remember the options it showed."""
    erasing = ctx.state.step == "forget_confirm"
    await _route(ctx)
    if not ctx.silent and not (erasing and not ctx.slots):  # "forget me" leaves no slots
        remember_options(ctx)


async def _route(ctx: Context) -> None:
    await ctx.understanding.warm()
    text = clean(ctx.inbound.text)
    too_long = len(text) > MAX_CHARS
    if not too_long and await outreach_replies.on_message(ctx, text):  # campaign YES
        return
    if ctx.state.is_new and not too_long:  # "no me manden mensajes" is answered in Spanish
        await welcome.locale_from_first_message(ctx, text)
    if (ctx.opted_out or not too_long) and await compliance.handle(ctx, text):
        return
    if too_long:  # refused whole: nothing of it reaches a slot
        ctx.say(ctx._("That message is too long. Please send a shorter message."))
        await prompt(ctx)
        return
    code = ctx.inbound.notice_code
    if code and ctx.config.privacy.allow_notice_code:
        if ctx.state.is_new:
            await welcome.greet(ctx)
            ctx.replies = ctx.replies[:1]  # the welcome, not the menu: we ask for the date
        await lookup.start_with_notice(ctx, code)
        return
    if ctx.state.is_new and has_words(text):
        await first_message(ctx, text)
        return
    if ctx.state.is_new:
        await welcome.greet(ctx)
        return
    if not has_words(text):
        ctx.say(ctx._("I did not get any words. Please reply with words or a number."))
        await prompt(ctx)
        return
    if await command(ctx, text):
        return
    step = STEPS.get(ctx.state.step or "")
    if step is None:
        await dispatch(ctx, text)
        return
    text = chosen_key(ctx, text)
    if step.awaiting == "date_of_birth":
        settled = dates.settled_answer(ctx, text, lookup.locales(ctx))
        if settled is None:
            return  # a date that reads two ways: we asked which one
        text = settled
    ranked = ctx.understanding.understand(text)
    if step.data and interrupts(text, ranked, step):
        await dispatch(ctx, text, ranked)
    elif await step.handle(ctx, text):
        return
    elif step.data or (ranked.intent == "other" and not find_docket(text)):
        ctx.say(ctx._("Sorry, I did not understand."))
        await prompt(ctx)
    else:
        await dispatch(ctx, text, ranked)


# First messages that are answered by the welcome and its menus, not by an answer.
GREETED = frozenset({"other", "greeting", "language", "yes", "no", "thanks", "who"})
# Answers to a first message that come without the welcome: a person asking us to
# stop, or telling us it is the wrong number, wants no introduction.
UNWELCOMED = frozenset({"stop", "wrong_number"})


async def first_message(ctx: Context, text: str) -> None:
    """A new person's first text is answered as what it is, after a short welcome.

    "hi" (or anything not understood) gets the welcome and the language menu as
    before; "I want a lawyer" gets the welcome line and the handoff, a docket
    number or notice code continues the lookup, in the language the text is
    written in when that is clear. The welcome and the answer's first message go
    out as one message.
    """
    if await command(ctx, text):
        return
    ranked = ctx.understanding.understand(text)
    docket = find_docket(text)
    code = await notice_code_in(ctx, text) if not docket else None
    decision = clarify.decide(ranked, len(text.split()))
    unclear = decision.action == "act" and decision.intent in GREETED
    if not docket and not code and unclear:  # nothing to answer yet: welcome, language menu
        await welcome.greet(ctx)
        return
    if not docket and (decision.action == "confirm_stop" or decision.intent in UNWELCOMED):
        await dispatch(ctx, text, ranked)
        return
    ctx.say(welcome.welcome_line(ctx))
    if code:
        await lookup.start_with_notice(ctx, code)
    else:
        await dispatch(ctx, text, ranked)
    welcome.join_first_two(ctx)


async def notice_code_in(ctx: Context, text: str) -> str | None:
    """The hash of a notice code written in the message, whether or not it exists.

    Known and unknown codes take the same path (the date of birth question, in the
    same words), so the reply never tells whether a code is real; the registry only
    picks which of several code-like groups ("WITH HX7K", "HX7K-29QP") is meant.
    Only the hash is kept.
    """
    if not ctx.config.privacy.allow_notice_code:
        return None
    hashes = [hash_notice_code(code) for code in find_notice_codes(text)]
    for code_hash in hashes:
        if await ctx.services.case_by_notice(code_hash):
            return code_hash
    return hashes[-1] if hashes else None


async def command(ctx: Context, text: str) -> bool:
    """START, MENU, "forget me" and Telegram commands (/start, /language, /lawyer, /menu)."""
    word = keyword(text)
    name = text[1:].split(maxsplit=1)[0].split("@")[0].lower() if text.startswith("/") else None
    if word == "start" or name == "start":
        await welcome.greet(ctx)
    elif welcome.is_menu_word(text) or name == "menu":
        await welcome.show_menu(ctx)
    elif name == "language" or welcome.is_language_word(text):
        welcome.ask_language(ctx)
    elif name == "lawyer":
        await lawyer.request(ctx)
    elif name == "forget" or forget.is_request(text):
        await forget.ask(ctx)
    elif name is not None:
        await welcome.fallback(ctx)
    else:
        return False
    return True


def interrupts(text: str, ranked: Ranked, step: Step) -> bool:
    """Does a clear request win over the answer the step waits for?

    Only a confident one: an unclear message is the step's to read (or refuse). At a
    name question, only a message that reads as a sentence ("I want a lawyer")
    interrupts: a name that happens to look like a request is a name.
    """
    if ranked.intent not in INTERRUPTING or ranked.confidence < clarify.CONFIDENT:
        return False
    if step.awaiting == "docket_number" and find_docket(text):
        return False  # "the number on my papers is 0912 CR 004411": the docket wins
    return not step.names or as_name(text) is None or is_sentence(text)


async def dispatch(ctx: Context, text: str, ranked: Ranked | None = None) -> None:
    """Free text anywhere: what the person means, whatever step they are at.

    A docket number in the text starts the lookup unless a clearer request
    (a lawyer, help, a language, stop) comes with it; otherwise the model's
    reading is acted on, asked back (clarify.decide) or, for a possible stop,
    confirmed.
    """
    ranked = ranked or ctx.understanding.understand(text)
    docket = find_docket(text)
    if docket and ranked.intent not in OVER_DOCKET:
        await lookup.start_with_docket(ctx, docket)
        return
    decision = clarify.decide(ranked, len(text.split()))
    if decision.action == "confirm_stop":
        clarify.ask_stop(ctx)
    elif decision.action == "which":
        clarify.ask_which(ctx, decision.options)
    else:
        await act(ctx, text, decision.intent)


async def act(ctx: Context, text: str, intent: str) -> None:
    """Do what an understood intent asks."""
    if intent == "lookup":
        await lookup.start(ctx)
    elif intent == "lawyer":
        await lawyer.request(ctx)
    elif intent in TOPIC_INTENTS:
        seen = ctx.slots.setdefault("topics_seen", [])
        if TOPIC_INTENTS[intent] not in seen:
            seen.append(TOPIC_INTENTS[intent])
        await topics.show_topic(ctx, TOPIC_INTENTS[intent])
    elif intent == "stop":
        compliance.opt_out(ctx, "stop")
    elif intent == "wrong_number":
        compliance.opt_out(ctx, "wrong_number")
    elif intent == "forget":
        await forget.ask(ctx)
    elif intent == "help":
        compliance.help_reply(ctx)
    elif intent == "language":
        await change_language(ctx, text)
    elif intent == "greeting":
        ctx.say(ctx._("Hello!"))
        await welcome.show_menu(ctx)
    elif intent == "who":
        ctx.say(welcome.welcome_text(ctx))
        await welcome.show_menu(ctx)
    elif intent == "thanks":
        ctx.say(ctx._("You are welcome. Reply MENU at any time to see the options."))
        ctx.ask("menu")
    else:
        await welcome.fallback(ctx)


async def change_language(ctx: Context, text: str) -> None:
    wanted = ctx.understanding.requested_locale(text)
    if wanted in ctx.translator.locales:
        welcome.set_locale(ctx, wanted)
        await welcome.show_menu(ctx)
    else:
        welcome.ask_language(ctx)

"""The conversation's state table and the router.

What happens to a message is decided here, in one place: ``INTERCEPTORS``
(at the end of this module) are tried in order and the first that takes the
message ends the turn: MORE, media and unreadable text (``preflight``: first,
so that a lawyer's long answer still pages), a live handoff to staff, a YES to
a campaign, the compliance keywords (STOP, START, HELP, wrong number), a
message too long, a notice code from a deep link, a new person's first
message, a message without words, commands and MENU, then the current step.
Before them, a conversation idle past ``[dialogue] idle_timeout_hours`` goes
back to the menu (``expire_idle``).

``STEPS`` maps each step (``Step``, stored as ``state.step``) to what it waits
for (``awaiting``, the public slot name of the console protocol), the function
that handles an answer and the one that asks the question again;
``TRANSITIONS`` (with ``FIRST`` and ``ANYWHERE``) declares where each may lead,
and ``route`` logs a move it does not declare (tests fail on it).
``flow.mmd`` beside this file is drawn from them (``python -m handlers.diagram``).
Free text the step does not take is understood by ``ctx.understanding``
(handlers/intents.py) wherever the person is (handlers/clarify.py decides between acting, asking
which one, and confirming a stop).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.context import Context
from bot.model import Reply
from bot.outreach import replies as outreach_replies
from bot.registry.normalize import hash_notice_code
from bot.understanding.model import Ranked

from . import (
    clarify,
    compliance,
    dates,
    disclose,
    forget,
    handoff,
    lawyer,
    lookup,
    nameonly,
    preflight,
    prompts,
    topics,
    welcome,
)
from .steps import Step
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

log = logging.getLogger(__name__)

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
class Interceptor:
    name: str
    take: Callable[[Context, str], Awaitable[bool]]  # True: the message is answered
    answers: bool = True  # the dialogue's own answer: the options it shows are remembered


@dataclass(frozen=True)
class StepSpec:
    """What a step waits for, how an answer is handled, how the question is asked."""

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
                "next_case": disclose.next_case, "menu": prompts.show_menu}
    actions = {str(i): handlers[name]
               for i, name in enumerate(disclose.option_actions(ctx), start=1)}
    if text not in actions:
        return False
    await actions[text](ctx)
    return True


async def on_failed(ctx: Context, text: str) -> bool:
    actions = {"1": lookup.start, "2": lawyer.request, "3": prompts.show_menu}
    if text not in actions:
        return False
    await actions[text](ctx)
    return True


async def on_locked(ctx: Context, text: str) -> bool:
    answer = prompts.yes_no(text)
    if answer is None:
        return False
    if answer:
        await lawyer.request(ctx, "locked_out")
    else:
        ctx.say(ctx._("All right."))
        await prompts.show_menu(ctx)
    return True


async def on_topics(ctx: Context, text: str) -> bool:
    if not is_number(text):
        return False
    await topics.on_topic(ctx, text)
    return True


async def on_language(ctx: Context, text: str) -> bool:
    if not await welcome.on_language(ctx, text):
        await understood_without_choice(ctx, text)
    return True


async def understood_without_choice(ctx: Context, text: str) -> None:
    """Free text at the language menu ("was my case affected?"): answer it in the
    language it is confidently written in (else the default) instead of insisting on
    a number; the choice stays open. Only text we cannot understand asks again."""
    ranked = ctx.understanding.understand(text)
    if ranked.intent in ("other", "language"):
        ctx.say(ctx._("Please reply with the number of your language."))
        welcome.ask_language(ctx)
        return
    found = await ctx.services.detect_language(text)
    if found.locale:
        ctx.state.locale = found.locale
    ctx.say(ctx._("To change the language, reply LANGUAGE at any time."))
    await dispatch(ctx, text, ranked)


async def _ask_language(ctx: Context) -> None:
    welcome.ask_language(ctx)


async def on_clarify(ctx: Context, text: str) -> bool:
    intent = clarify.chosen(ctx, text)
    if intent is None:
        return False
    await act(ctx, text, intent)
    return True


async def on_stop_confirm(ctx: Context, text: str) -> bool:
    answer = prompts.yes_no(text)
    if answer is None:
        return False
    if answer:
        compliance.opt_out(ctx, "stop")
    else:
        ctx.say(ctx._("All right."))
        await prompts.show_menu(ctx)
    return True


def _dob_prompt(step: Step) -> Prompt:
    return lambda ctx: prompts.ask_dob(ctx, step)


STEPS: dict[Step, StepSpec] = {
    Step.LANGUAGE: StepSpec("language", on_language, welcome.ask_language),
    Step.MENU: StepSpec("menu", on_main_menu, prompts.show_menu),
    Step.LOOKUP_ID: StepSpec("docket_number", lookup.on_identifier, lookup.ask_identifier,
                             data=True),
    Step.NOTICE_CODE: StepSpec("notice_code", lookup.on_notice_code, lookup.ask_notice_code,
                               data=True),
    Step.DOCKET_LAST_NAME: StepSpec("last_name", lookup.on_last_name, lookup.ask_last_name,
                                    data=True, names=True),
    Step.DOCKET_DOB: StepSpec("date_of_birth", lookup.on_docket_dob,
                              _dob_prompt(Step.DOCKET_DOB), data=True),
    Step.NOTICE_DOB: StepSpec("date_of_birth", lookup.on_notice_dob,
                              _dob_prompt(Step.NOTICE_DOB), data=True),
    Step.NAME_LAST: StepSpec("last_name", nameonly.on_last_name, nameonly.ask_last_name,
                             data=True, names=True),
    Step.NAME_FIRST: StepSpec("first_name", nameonly.on_first_name, nameonly.ask_first_name,
                              data=True, names=True),
    Step.NAME_DOB: StepSpec("date_of_birth", nameonly.on_dob, _dob_prompt(Step.NAME_DOB),
                            data=True),
    Step.NAME_OFFER: StepSpec("confirm", nameonly.on_offer, nameonly.offer),
    Step.LOOKUP_FAILED: StepSpec("menu", on_failed, lookup.failed_options),
    Step.LOCKED: StepSpec("confirm", on_locked, lookup.locked_offer),
    Step.VERIFIED: StepSpec("menu", on_verified, disclose.show_options),
    Step.TOPICS: StepSpec("menu", on_topics, topics.show_topics),
    Step.TOPIC: StepSpec("menu", topics.on_shown, topics.show_topics),
    Step.OPTED_OUT: StepSpec(None, on_main_menu, prompts.show_menu),
    Step.FORGET_CONFIRM: StepSpec("confirm", forget.on_confirm, forget.ask),
    Step.CLARIFY: StepSpec("menu", on_clarify, prompts.show_menu),
    Step.STOP_CONFIRM: StepSpec("confirm", on_stop_confirm, clarify.ask_stop),
}


# -- transitions ------------------------------------------------------------
# Where a message may lead from any step: MENU and /commands, LANGUAGE, "forget
# me", the compliance keywords, and free text understood (``dispatch``). The
# diagram draws them once, from the menu.
ANYWHERE: dict[Step, str] = {
    Step.MENU: "MENU, a lawyer's request, hello, thanks",
    Step.LANGUAGE: "LANGUAGE",
    Step.FORGET_CONFIRM: '"forget me"',
    Step.OPTED_OUT: "STOP / wrong number",
    Step.STOP_CONFIRM: "free text that may ask to stop",
    Step.CLARIFY: "free text read two or three ways",
    Step.LOOKUP_ID: "asks to check a case (a campaign YES too)",
    Step.DOCKET_LAST_NAME: "docket number in free text",
    Step.DOCKET_DOB: "docket number in free text (no last name asked)",
    Step.LOCKED: "asks to check while locked out",
    Step.TOPIC: "asks about a topic",
}
# A new person's first message (no step yet); ``ANYWHERE`` applies too.
FIRST: dict[Step, str] = {
    Step.LANGUAGE: "first message (welcome)",
    Step.MENU: "first message with a language hint",
    Step.LOOKUP_ID: "first message asking to check a case (welcome + question)",
    Step.NOTICE_DOB: "Telegram deep link with a notice code",
}
# What each step's answers lead to (a step may always ask its question again).
TRANSITIONS: dict[Step, dict[Step, str]] = {
    Step.LANGUAGE: {Step.MENU: "number or language name"},
    Step.MENU: {Step.LOOKUP_ID: "1 check my case", Step.TOPICS: "2 what a dismissal means",
                Step.MENU: "3 lawyer (escalation)", Step.LANGUAGE: "4 language"},
    Step.LOOKUP_ID: {Step.NOTICE_CODE: "1 code from a letter", Step.NAME_LAST: "2 no number",
                     Step.DOCKET_LAST_NAME: "docket number (or a known code)",
                     Step.DOCKET_DOB: "docket number (no last name asked)"},
    Step.NOTICE_CODE: {Step.NOTICE_DOB: "a code"},
    Step.DOCKET_LAST_NAME: {Step.DOCKET_DOB: "a name"},
    Step.DOCKET_DOB: {Step.VERIFIED: "match",
                      Step.LOOKUP_FAILED: "wrong, unknown or docket locked (same reply)",
                      Step.LOCKED: "sender locked out"},
    Step.NOTICE_DOB: {Step.VERIFIED: "match", Step.LOOKUP_FAILED: "wrong or unknown",
                      Step.LOCKED: "sender locked out"},
    Step.NAME_LAST: {Step.NAME_FIRST: "a name"},
    Step.NAME_FIRST: {Step.NAME_DOB: "a name"},
    Step.NAME_DOB: {Step.NAME_OFFER: "never discloses"},
    Step.NAME_OFFER: {Step.MENU: "1 yes (escalation with candidates) / 2 no"},
    Step.LOOKUP_FAILED: {Step.LOOKUP_ID: "1 try again", Step.MENU: "2 lawyer / 3 menu"},
    Step.LOCKED: {Step.MENU: "1 yes (escalation) / 2 no"},
    Step.VERIFIED: {Step.TOPICS: "1 what this means",
                    Step.VERIFIED: "next other case (only when there is one)",
                    Step.MENU: "lawyer / menu"},
    Step.TOPICS: {Step.TOPIC: "a topic's number", Step.MENU: "lawyer / back to menu"},
    Step.TOPIC: {Step.TOPICS: "2 other topics", Step.MENU: "1 lawyer / 3 back to menu"},
    Step.OPTED_OUT: {Step.MENU: "START / YES / UNSTOP"},
    Step.FORGET_CONFIRM: {Step.MENU: "1 yes (transcript erased) / 2 no"},
    Step.CLARIFY: {Step.MENU: "the option meant (acted on)"},
    Step.STOP_CONFIRM: {Step.OPTED_OUT: "1 yes", Step.MENU: "2 no"},
}


def allowed(before: str | None, after: str | None) -> bool:
    """Is ``before -> after`` declared? (Staying, or no step at all, always is.)"""
    if after == before or after is None:
        return True
    if after not in STEP_NAMES:
        return False
    step = Step(after)
    if step in ANYWHERE:
        return True
    if before is None:
        return step in FIRST
    return before in STEP_NAMES and step in TRANSITIONS.get(Step(before), {})


def check_transition(before: str | None, after: str | None) -> None:
    """Log a move the declaration does not allow (tests fail on it: tests/conftest.py)."""
    if not allowed(before, after):
        log.error("undeclared transition %s -> %s", before, after)


STEP_NAMES = frozenset(step.value for step in Step)


def spec_of(step: str | None) -> StepSpec | None:
    """The declaration of a stored step (None before the first question)."""
    return STEPS.get(Step(step)) if step in STEP_NAMES else None


async def prompt(ctx: Context) -> None:
    """Ask the current step's question again (the main menu if there is none)."""
    step = spec_of(ctx.state.step)
    result = step.prompt(ctx) if step else prompts.show_menu(ctx)
    if inspect.isawaitable(result):
        await result


SHOWN_OPTIONS = "shown_options"  # slot: folded label -> key of the options last shown


def label_key(label: str) -> str:
    """An option label as typed back: folded, without punctuation or spaces."""
    return "".join(ch for ch in fold(label) if ch.isalnum())


# The menus' labels, keyed after every turn: the same few hundred strings. (What a
# person typed goes through ``label_key`` uncached: no text of theirs is kept.)
_shown_label_key = functools.lru_cache(maxsize=4096)(label_key)


def remember_options(ctx: Context) -> None:
    """Keep the labels of the last options shown, so that typing a label ("Talk to a
    lawyer", "Hablar con un abogado") answers like its number."""
    shown = next((reply.options for reply in reversed(ctx.replies) if reply.options), None)
    if shown:
        ctx.slots[SHOWN_OPTIONS] = {_shown_label_key(o.label): o.key for o in shown}
    elif ctx.replies:
        ctx.slots.pop(SHOWN_OPTIONS, None)


def chosen_key(ctx: Context, text: str) -> str:
    """The key of the option whose label the person typed, else the text itself."""
    shown = ctx.slots.get(SHOWN_OPTIONS)
    if not shown or is_number(text):
        return text
    return shown.get(label_key(text), text)


async def route(ctx: Context) -> None:
    """Answer one message: ``INTERCEPTORS`` in order, the first that takes it ends
    the turn; then remember the options shown (``Interceptor.answers``)."""
    expire_idle(ctx)
    before = ctx.state.step
    erasing = before == Step.FORGET_CONFIRM
    await ctx.understanding.warm()
    text = clean(ctx.inbound.text)
    said: list[Reply] = []  # what interceptors said while passing the message on
    for interceptor in INTERCEPTORS:
        if await interceptor.take(ctx, text):
            break
        said, ctx.replies = [*said, *ctx.replies], []
    else:
        raise AssertionError("the current step takes every message")
    ctx.replies[:0] = said  # first, and apart: never joined to a welcome
    check_transition(before, ctx.state.step)
    # "forget me" leaves no slots
    if interceptor.answers and not ctx.silent and not (erasing and not ctx.slots):
        remember_options(ctx)


# Steps a conversation may rest at however long: the menus, and an opt-out.
AT_REST = frozenset({Step.MENU, Step.LANGUAGE, Step.OPTED_OUT})


def expire_idle(ctx: Context) -> None:
    """A conversation idle past ``[dialogue] idle_timeout_hours`` starts again at the
    menu: a person back after weeks is not asked the date of birth of a lookup they
    forgot; what they write is read as at the menu (a greeting, a request, a docket)."""
    hours = ctx.config.dialogue.idle_timeout_hours
    state = ctx.state
    if not hours or state.step is None or state.step in AT_REST or not state.updated_at:
        return
    last = dt.datetime.fromisoformat(state.updated_at)
    if ctx.now - (last if last.tzinfo else last.replace(tzinfo=dt.UTC)) <= dt.timedelta(
            hours=hours):
        return
    state.slots.clear()
    ctx.ask("menu", step=Step.MENU)


def _too_long(text: str) -> bool:
    return len(text) > MAX_CHARS


async def live_handoff(ctx: Context, text: str) -> bool:
    """Staff hold a live thread: the message is theirs, the bot stays quiet."""
    return await handoff.intercept(ctx)


async def campaign_reply(ctx: Context, text: str) -> bool:
    """A YES to a campaign message, from someone at rest, starts the lookup."""
    if _too_long(text) or not await outreach_replies.on_message(ctx):
        return False
    if not is_yes(ctx, text):
        return False
    outreach_replies.accept(ctx)
    await lookup.start(ctx)
    return True


def is_yes(ctx: Context, text: str) -> bool:
    """YES to a campaign, in English or any shipped language's word for it."""
    word = keyword(text)
    if word is None:
        return False
    words = outreach_replies.YES_WORDS | {
        keyword(ctx.translator.gettext(loc, outreach_replies.YES_MSGID)) or ""
        for loc in ctx.translator.locales}
    return word in words


async def compliance_keywords(ctx: Context, text: str) -> bool:
    """STOP, START, HELP, wrong number: answered before anything else, in the
    language of a first message ("no me manden mensajes" is answered in Spanish).
    An opted-out person's message always reaches them, however long."""
    too_long = _too_long(text)
    if ctx.state.is_new and not too_long:
        await welcome.locale_from_first_message(ctx, text)
    return (ctx.opted_out or not too_long) and await compliance.handle(ctx, text)


async def too_long(ctx: Context, text: str) -> bool:
    """Preflight: a message over ``MAX_CHARS`` is refused whole; nothing of it
    reaches a slot."""
    if not _too_long(text):
        return False
    ctx.say(ctx._("That message is too long. Please send a shorter message."))
    await prompt(ctx)
    return True


async def deep_link_code(ctx: Context, text: str) -> bool:
    """A notice code that came out of band (Telegram /start link): ask the date."""
    code = ctx.inbound.notice_code
    if not (code and ctx.config.privacy.allow_notice_code):
        return False
    if ctx.state.is_new:
        await welcome.greet(ctx)
        ctx.replies = ctx.replies[:1]  # the welcome, not the menu: we ask for the date
    await lookup.start_with_notice(ctx, code)
    return True


async def new_person(ctx: Context, text: str) -> bool:
    """A first message: the welcome, and an answer to what it says (``first_message``)."""
    if not ctx.state.is_new:
        return False
    if has_words(text):
        await first_message(ctx, text)
    else:
        await welcome.greet(ctx)
    return True


async def no_words(ctx: Context, text: str) -> bool:
    """Preflight: empty, or only punctuation and emoji: said so, the question again."""
    if has_words(text):
        return False
    ctx.say(ctx._("I did not get any words. Please reply with words or a number."))
    await prompt(ctx)
    return True


async def current_step(ctx: Context, text: str) -> bool:
    """The answer to the question asked, or free text understood wherever the person is."""
    step = spec_of(ctx.state.step)
    if step is None:
        await dispatch(ctx, text)
        return True
    text = chosen_key(ctx, text)
    if step.awaiting == "date_of_birth":
        settled = dates.settled_answer(ctx, text, prompts.locales(ctx))
        if settled is None:
            return True  # a date that reads two ways: we asked which one
        text = settled
    ranked = ctx.understanding.understand(text)
    if step.data and interrupts(text, ranked, step):
        await dispatch(ctx, text, ranked)
    elif await step.handle(ctx, text):
        return True
    elif step.data or (ranked.intent in UNANSWERING and not find_docket(text)):
        ctx.say(ctx._("Sorry, I did not understand."))
        await prompt(ctx)
    else:
        await dispatch(ctx, text, ranked)
    return True


# At a question with options, a message of these intents answers none of them ("yes"
# to a menu): the same question is asked again, not the main menu.
UNANSWERING = frozenset({"other", "yes", "no"})
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
        await prompts.show_menu(ctx)
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


def interrupts(text: str, ranked: Ranked, step: StepSpec) -> bool:
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
        await prompts.show_menu(ctx)
    elif intent == "who":
        ctx.say(welcome.welcome_text(ctx))
        await prompts.show_menu(ctx)
    elif intent == "thanks":
        ctx.say(ctx._("You are welcome. Reply MENU at any time to see the options."))
        ctx.ask("menu", step=Step.MENU)
    else:
        await welcome.fallback(ctx)


async def change_language(ctx: Context, text: str) -> None:
    wanted = ctx.understanding.requested_locale(text)
    if wanted in ctx.translator.locales:
        welcome.set_locale(ctx, wanted)
        await prompts.show_menu(ctx)
    else:
        welcome.ask_language(ctx)


# What happens to a message, in order: the first that takes it ends the turn.
INTERCEPTORS: tuple[Interceptor, ...] = (
    Interceptor("more", preflight.more, answers=False),
    Interceptor("media", preflight.media, answers=False),
    Interceptor("unreadable", preflight.unreadable, answers=False),
    Interceptor("live_handoff", live_handoff, answers=False),
    Interceptor("campaign_reply", campaign_reply),
    Interceptor("compliance", compliance_keywords),
    Interceptor("too_long", too_long),
    Interceptor("deep_link_code", deep_link_code),
    Interceptor("new_person", new_person),  # an empty first message gets the welcome
    Interceptor("no_words", no_words),
    Interceptor("command", command),
    Interceptor("current_step", current_step),
)

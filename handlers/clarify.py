"""What to do with what the model understood: act, ask which one, or confirm a stop.

A confident intent is acted on. Below ``CONFIDENT`` the bot asks one question
with the two or three likeliest options (those it can name) instead of guessing;
below ``CLARIFY_FLOOR`` nothing is likely and the message is not understood.
A request to stop must never be missed, so stop-like intents have the lowest
bar: sure (``STOP_SURE``) opts out at once; merely possible (``STOP_FLOOR``)
asks "Do you want to stop getting messages from us?". The thresholds were read
off the held-out figures of bench/bench_understanding.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Context
from bot.understanding.model import Ranked

from .steps import Step
from .text import is_number

CONFIDENT = 0.45  # 5-fold: 89 % of messages pass it, 92 % of those rightly
STOP_SURE = 0.65  # 5-fold: 97 % of stop-like readings this sure are right
STOP_FLOOR = 0.2  # 5-fold: 92 % of stops pass, 3.0 % of others asked (0.3: 87 %, 1.6 %)
STOP_LIKE = ("stop", "wrong_number")
CLARIFY_FLOOR = 0.25  # below it the model has no idea: "Sorry, I did not understand"
OPTION_FLOOR = 0.1  # an option offered is at least this likely
CLOSE = 0.6  # a second reading this close to the first ("housing or job") is asked...
SURE = 0.75  # ...unless the first is this likely
MAX_OPTIONS = 3
OPTIONS_SLOT = "clarify_options"
TOPICS = {"topic_record": "record", "topic_refund": "refund", "topic_housing": "housing",
          "topic_employment": "employment", "topic_immigration": "immigration"}
NAMED = frozenset({"lookup", "lawyer", "language", "stop", *TOPICS})


@dataclass(frozen=True)
class Decision:
    """``act`` on ``intent``; or ask ``which`` of ``options``; or ``confirm_stop``."""

    action: str
    intent: str = "other"
    options: tuple[str, ...] = ()


def decide(ranked: Ranked, words: int = 3) -> Decision:
    """``words``: how many words the message has; a single word the carriers do not list
    (those never reach here) is never taken as a sure stop, only asked about."""
    top, confidence = ranked.intent, ranked.confidence
    if top in STOP_LIKE and confidence >= STOP_SURE and words > 1:
        return Decision("act", top)
    if any(ranked.probability(intent) >= STOP_FLOOR for intent in STOP_LIKE):
        return Decision("confirm_stop")
    if top == "other":
        return Decision("act", top)
    if confidence < CLARIFY_FLOOR:
        return Decision("act", "other")
    options = tuple(i for i, p in ranked.ranked if i in NAMED and p >= OPTION_FLOOR)
    options = options[:MAX_OPTIONS]
    close = len(ranked.ranked) > 1 and ranked.ranked[1][1] >= CLOSE * confidence
    if len(options) >= 2 and (confidence < CONFIDENT or (close and confidence < SURE)):
        return Decision("which", top, options)
    return Decision("act", top)


def label(ctx: Context, intent: str) -> str:
    if intent in TOPICS:
        return ctx.content.text(ctx.locale, "topics", TOPICS[intent], "title")
    return {"lookup": ctx._("Check my case"), "lawyer": ctx._("Talk to a lawyer"),
            "language": ctx._("Language"), "stop": ctx._("Stop getting messages")}[intent]


def ask_which(ctx: Context, options: tuple[str, ...]) -> None:
    ctx.slots[OPTIONS_SLOT] = list(options)
    ctx.say(ctx._("Did you mean one of these?"),
            [(str(i), label(ctx, intent)) for i, intent in enumerate(options, start=1)])
    ctx.ask("menu", step=Step.CLARIFY)


def chosen(ctx: Context, text: str) -> str | None:
    """The intent picked by number from the options offered, else None."""
    options: list[str] = ctx.slots.get(OPTIONS_SLOT, [])
    if is_number(text) and 1 <= int(text) <= len(options):
        ctx.slots.pop(OPTIONS_SLOT, None)
        return options[int(text) - 1]
    return None


def ask_stop(ctx: Context) -> None:
    ctx.say(ctx._("Do you want to stop getting messages from us?"),
            [("1", ctx._("Yes")), ("2", ctx._("No"))])
    ctx.ask("confirm", step=Step.STOP_CONFIRM)

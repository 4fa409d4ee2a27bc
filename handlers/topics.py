"""Information topics: what a dismissal can mean for a record, money, housing, jobs, immigration.

The texts are the content pack's (``[topics.<name>]``); a topic may have a variant
per case status (``[topics.<name>.status]``), used once the person's case is
verified. Every topic ends by offering a lawyer and the menu.
"""

from __future__ import annotations

from bot.content import TOPICS
from bot.context import Context

from . import lawyer
from .prompts import show_menu
from .steps import Step
from .text import is_number

# Menus are numbered 1 to n, with no gaps: after the topics, a lawyer and the way back.
LAWYER_KEY, BACK_KEY = str(len(TOPICS) + 1), str(len(TOPICS) + 2)
# Under one topic's text: a lawyer, other topics, the main menu.
SHOWN_LAWYER, SHOWN_MORE, SHOWN_BACK = "1", "2", "3"
_BY_INTENT = {f"topic_{name}": name for name in TOPICS if name != "next_steps"}


def topic_options(ctx: Context) -> list[tuple[str, str]]:
    options = [(str(i), ctx.content.text(ctx.locale, "topics", name, "title"))
               for i, name in enumerate(TOPICS, start=1)]
    return options + [(LAWYER_KEY, ctx._("Talk to a lawyer")), (BACK_KEY, ctx._("Back to menu"))]


async def show_topics(ctx: Context) -> None:
    """The topic menu; the first time, a few words on what happened at the labs."""
    if not ctx.slots.get("about_seen") and ctx.content.source("about") is not None:
        ctx.say(ctx.content.text(ctx.locale, "about"))
        ctx.slots["about_seen"] = True
    ctx.say(ctx._("Choose a topic. Reply with a number."), topic_options(ctx))
    ctx.ask("menu", step=Step.TOPICS)


async def on_topic(ctx: Context, text: str) -> None:
    """A choice at the topic menu: a number, or words ``ctx.understanding`` classifies."""
    choice = text.strip()
    if is_number(choice) and 1 <= int(choice) <= len(TOPICS):
        await show_topic(ctx, TOPICS[int(choice) - 1])
        return
    intent = ctx.understanding.classify(choice)
    if choice == LAWYER_KEY or intent == "lawyer":
        await lawyer.request(ctx)
    elif choice == BACK_KEY:
        await show_menu(ctx)
    elif intent in _BY_INTENT:
        await show_topic(ctx, _BY_INTENT[intent])
    else:
        await show_topics(ctx)


def fields(ctx: Context) -> dict[str, str]:
    """What a topic text may name: the organisation, and each contact of the pack."""
    org = ctx.config.organization
    values = {"org": org.name, "phone": org.phone, "website": org.website}
    for key in ctx.content.contacts():
        values[key] = ctx.content.text(ctx.locale, "contacts", key, "name")
    return values


def topic_text(ctx: Context, topic: str) -> str:
    """Title and body of a topic, in the status variant when the verified case has one."""
    status = ctx.slots.get("verified_status")
    keys: tuple[str, ...] = ("topics", topic, "body")
    if status and ctx.content.source("topics", topic, "status", status) is not None:
        keys = ("topics", topic, "status", status)
    title = ctx.content.text(ctx.locale, "topics", topic, "title")
    return f"{title}\n{ctx.content.text(ctx.locale, *keys, **fields(ctx))}"


async def show_topic(ctx: Context, topic: str) -> None:
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    seen = ctx.slots.setdefault("topics_seen", [])
    if topic not in seen:
        seen.append(topic)
    ctx.say(topic_text(ctx, topic),
            [(SHOWN_LAWYER, ctx._("Talk to a lawyer")), (SHOWN_MORE, ctx._("Other topics")),
             (SHOWN_BACK, ctx._("Back to menu"))])
    ctx.ask("menu", step=Step.TOPIC)


async def on_shown(ctx: Context, text: str) -> bool:
    """A number under a topic's text (another number: the topic menu again);
    words are understood as anywhere else."""
    actions = {SHOWN_LAWYER: lawyer.request, SHOWN_MORE: show_topics, SHOWN_BACK: show_menu}
    choice = text.strip()
    if not choice.isdigit():
        return False
    await actions.get(choice, show_topics)(ctx)
    return True


def explain_status(ctx: Context, status: str) -> str:
    """What a registry status means for the person, in their language."""
    return ctx.content.text(ctx.locale, "status", status)

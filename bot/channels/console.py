"""The console channel: chat with the bot in a terminal, or drive it with JSON lines.

``--json`` mode reads one ``{"text": "..."}`` per line and writes exactly one
line per message: ``{"replies": [...], "awaiting": SLOT, "locale": "en"}``.
Messages staff sent from the web console since the last line come first, as
``"delivered": [{"text": ..., "author": ...}]`` (only when there are some); a
``{"poll": true}`` line asks for them alone: ``{"delivered": [...]}``.

Typed text is cleaned first (``sanitize``: a lone surrogate, which JSON allows
and UTF-8 does not, becomes U+FFFD); a turn whose handler raises is answered
with the apology (``workers.apologise``), so the chat goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from typing import TextIO

from ..app import App
from ..clock import iso
from ..model import Inbound, Turn
from ..storage import live_handoff
from ..workers import apologise, apology, where
from .registry import CONSOLE
from .sanitize import clean_text

log = logging.getLogger(__name__)

CHANNEL = CONSOLE.name
DEMO_ADDRESS = "demo"


def render_text(turn: Turn) -> str:
    lines: list[str] = []
    for reply in turn.replies:
        lines.append(reply.text)
        for option in reply.options:
            lines.append(f"  {option.key}. {option.label}")
    return "\n".join(lines)


async def take_delivered(app: App, address: str) -> list[dict[str, str]]:
    """Console-channel outbox rows for this person (staff replies), marked sent."""
    rows = await live_handoff.take_console_outbox(app.db, address, iso(app.clock()))
    return [{"text": r["body"], "author": r["author"] or "bot"} for r in rows]


async def turn(app: App, address: str, text: str) -> Turn:
    """One console turn; never raises for a handler's bug (the person gets the apology)."""
    inbound = Inbound(CHANNEL, address, clean_text(text))
    try:
        return await app.dialogue.handle(inbound)
    except Exception as exc:
        try:
            return await apologise(app, inbound, exc)
        except Exception as again:  # the database itself fails: say so without storing
            log.error("console turn failed: %s; apology not stored: %s", where(exc),
                      where(again))
            locale = app.config.dialogue.default_locale
            return Turn([apology(app, locale)], None, locale)


async def _readline(stream: TextIO) -> str:
    return await asyncio.to_thread(stream.readline)


async def run_json(app: App, address: str, stdin: TextIO = sys.stdin,
                   stdout: TextIO = sys.stdout) -> None:
    while True:
        line = await _readline(stdin)
        if not line:
            return
        if not line.strip():
            continue
        try:
            message = json.loads(line)
            if isinstance(message, dict) and message.get("poll") is True:
                text = None
            else:
                text = message["text"]
                if not isinstance(text, str):
                    raise TypeError("text must be a string")
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            stdout.write(json.dumps({"error": f"bad input line: {exc}"}) + "\n")
            stdout.flush()
            continue
        delivered = await take_delivered(app, address)
        out: dict[str, object] = {"delivered": delivered} if delivered or text is None else {}
        if text is not None:
            out.update((await turn(app, address, text)).to_json())
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()


async def run_interactive(app: App, address: str, stdin: TextIO = sys.stdin,
                          stdout: TextIO = sys.stdout, poll_seconds: float = 1.0) -> None:
    """Chat in a terminal. Nothing goes to the bot that the person did not type: no
    empty first message (it read as "I did not get any words"), no blank lines."""
    printer = asyncio.create_task(_print_delivered(app, address, stdout, poll_seconds))
    try:
        while True:
            stdout.write("> ")
            stdout.flush()
            line = await _readline(stdin)
            if not line:
                stdout.write("\n")
                return
            if not line.strip():
                continue
            stdout.write(render_text(await turn(app, address, line.rstrip("\n"))) + "\n")
    finally:
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer


async def _print_delivered(app: App, address: str, stdout: TextIO, poll_seconds: float) -> None:
    """Print staff messages as they arrive, while the person is at the prompt."""
    while True:
        for message in await take_delivered(app, address):
            stdout.write("\n" + message["text"] + "\n> ")
            stdout.flush()
        await asyncio.sleep(poll_seconds)

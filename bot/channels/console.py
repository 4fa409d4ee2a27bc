"""The console channel: chat with the bot in a terminal, or drive it with JSON lines.

``--json`` mode reads one ``{"text": "..."}`` per line and writes exactly one
line per message: ``{"replies": [...], "awaiting": SLOT, "locale": "en"}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TextIO

from ..app import App
from ..model import Inbound, Turn

CHANNEL = "console"
DEMO_ADDRESS = "demo"


def render_text(turn: Turn) -> str:
    lines: list[str] = []
    for reply in turn.replies:
        lines.append(reply.text)
        for option in reply.options:
            lines.append(f"  {option.key}. {option.label}")
    return "\n".join(lines)


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
            text = message["text"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
        except (ValueError, KeyError, TypeError) as exc:
            stdout.write(json.dumps({"error": f"bad input line: {exc}"}) + "\n")
            stdout.flush()
            continue
        turn = await app.dialogue.handle(Inbound(CHANNEL, address, text))
        stdout.write(json.dumps(turn.to_json(), ensure_ascii=False) + "\n")
        stdout.flush()


async def run_interactive(app: App, address: str, stdin: TextIO = sys.stdin,
                          stdout: TextIO = sys.stdout) -> None:
    first = await app.dialogue.handle(Inbound(CHANNEL, address, ""))
    stdout.write(render_text(first) + "\n")
    while True:
        stdout.write("> ")
        stdout.flush()
        line = await _readline(stdin)
        if not line:
            stdout.write("\n")
            return
        turn = await app.dialogue.handle(Inbound(CHANNEL, address, line.rstrip("\n")))
        stdout.write(render_text(turn) + "\n")

"""``casecheck chat``: talk to the bot in the terminal."""

from __future__ import annotations

import argparse

from ..app import App
from ..channels import console
from ..config import Config


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("chat", parents=[parent], help="chat with the bot in this terminal",
                       description="Talk to the bot as a person would, on the console "
                                   "channel (the same dialogue as SMS and Telegram).",
                       epilog='examples:\n  casecheck chat --db casecheck-demo.db\n'
                              '  echo \'{"text": "hi"}\' | casecheck chat --json --as test1',
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--as", dest="address", default=console.DEMO_ADDRESS,
                   help="the person's address (default: %(default)s)")
    p.add_argument("--json", action="store_true",
                   help='read {"text": ...} lines, write one JSON reply line each')
    p.set_defaults(func=run)


async def run(args: argparse.Namespace, config: Config) -> int:
    app = await App.create(config)
    try:
        if args.json:
            await console.run_json(app, args.address)
        else:
            await console.run_interactive(app, args.address)
    finally:
        await app.close()
    return 0

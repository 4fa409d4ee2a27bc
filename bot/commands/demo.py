"""``casecheck demo``: a demo database of made-up cases, then the console chat."""

from __future__ import annotations

import argparse
import os
import sys

from ..app import App
from ..channels import console
from ..clock import utcnow
from ..config import Config
from ..demo_data import shipped_csv
from ..registry.importer import import_csv
from ..storage import cases as store
from ..web import demo as demo_console

DEFAULT_PATH = "casecheck-demo.db"

TRY_LINES = [
    "Demo database: {path} ({total} made-up cases). Things to try:",
    "  * a match: 'was my case affected', docket 0912-CR-004411, date of birth 03/14/1975,"
    " last name Nunez",
    "  * a wrong date of birth: the same docket with 1975-03-15 gets the 'not found' answer",
    "  * a name only: last name Carter-Whitfield, date of birth 1981-07-09, no docket number",
    "  * a notice code: HX7K-29QP with date of birth 1975-03-14",
    "Type your messages below; Ctrl-D ends the chat.",
]


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[parent],
                       help="chat with the bot over a demo database of made-up cases")
    p.add_argument("--as", dest="address", default=console.DEMO_ADDRESS,
                   help="the person's address (default: %(default)s)")
    p.set_defaults(func=run)


def demo_path(args: argparse.Namespace, config: Config) -> str:
    """--db, else the configured path if a config file was given, else casecheck-demo.db."""
    if args.db or args.config or os.environ.get("CASECHECK_CONFIG"):
        return str(config.storage.path)
    return DEFAULT_PATH


async def run(args: argparse.Namespace, config: Config) -> int:
    path = demo_path(args, config)
    app = await App.create(config.replace("storage", "path", path))
    try:
        if await store.count(app.db) == 0:
            report = await import_csv(app.db, shipped_csv(), now=utcnow())
            if not report.imported:
                print(f"casecheck: the demo cases could not be imported: {report.file_error}",
                      file=sys.stderr)
                return 1
        total = await store.count(app.db)
        for line in TRY_LINES:
            print(line.format(path=path, total=total))
        staff_console = await demo_console.start(app, config.server.port)
        print("\n".join(staff_console.lines()))
        try:
            await console.run_interactive(app, args.address)
        finally:
            await staff_console.stop()
    finally:
        await app.close()
    return 0

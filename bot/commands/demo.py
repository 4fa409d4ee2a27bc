"""``casecheck demo``: a demo database of made-up cases, then the console chat."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

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
REUSED_LINE = ("(This demo database keeps its state between runs: languages, lockouts, "
               "requests. To start over: casecheck demo --fresh)")


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "demo", parents=[parent],
        help="chat with the bot over a demo database of made-up cases",
        description="Create (or reuse) a demo database of 50 made-up cases, serve the staff "
                    "console on 127.0.0.1 with a demo account per role, and chat with the bot "
                    "in this terminal.",
        epilog="examples:\n  casecheck demo\n  casecheck demo --fresh\n"
               "  casecheck demo --db /tmp/demo.db --as alice",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--as", dest="address", default=console.DEMO_ADDRESS,
                   help="the person's address (default: %(default)s)")
    p.add_argument("--fresh", action="store_true",
                   help="delete the demo database first: start over with no state")
    p.set_defaults(func=run)


def demo_path(args: argparse.Namespace, config: Config) -> str:
    """--db, else the configured path if a config file was given, else casecheck-demo.db."""
    if args.db or args.config or os.environ.get("CASECHECK_CONFIG"):
        return str(config.storage.path)
    return DEFAULT_PATH


def reset(path: str, configured: bool) -> str | None:
    """Delete the demo database (and its journal files); why not, or None when done.

    Only a demo database: the default file or one named with --db, never the
    database a configuration file points at.
    """
    if configured:
        return ("--fresh only deletes a demo database (casecheck-demo.db or --db PATH), "
                "not the one your configuration names")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(path + suffix).unlink(missing_ok=True)
    return None


async def run(args: argparse.Namespace, config: Config) -> int:
    path = demo_path(args, config)
    if args.fresh:
        refused = reset(path, configured=not args.db and path != DEFAULT_PATH)
        if refused:
            print(f"casecheck: {refused}", file=sys.stderr)
            return 2
    app = await App.create(config.replace("storage", "path", path))
    try:
        reused = await store.count(app.db) > 0
        if not reused:
            report = await import_csv(app.db, shipped_csv(), now=utcnow())
            if not report.imported:
                print(f"casecheck: the demo cases could not be imported: {report.file_error}",
                      file=sys.stderr)
                return 1
        total = await store.count(app.db)
        for line in TRY_LINES:
            print(line.format(path=path, total=total))
        if reused:
            print(REUSED_LINE)
        staff_console = await demo_console.start(app, config.server.port)
        print("\n".join(staff_console.lines()))
        try:
            await console.run_interactive(app, args.address)
        finally:
            await staff_console.stop()
    finally:
        await app.close()
    return 0

"""``casecheck escalations list``: open escalations, oldest first.

Shows only the reference, channel, language, age, reason and status: no name,
address or case detail (staff read those in the web console).
"""

from __future__ import annotations

import argparse
import datetime as dt

from ..clock import utcnow
from ..config import Config
from ..storage import escalations, open_database
from . import missing_database


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("escalations", help="people waiting for a lawyer",
                       description="People who asked for a lawyer, as the console's queue "
                                   "lists them (no names or case details here).")
    actions = p.add_subparsers(dest="escalations_command", metavar="ACTION", required=True)
    lst = actions.add_parser("list", parents=[parent], help="list open escalations",
                             epilog="example: casecheck escalations list --db casecheck.db")
    lst.set_defaults(func=run_list)


def age(created_at: str, now: dt.datetime) -> str:
    """'45m', '5h', '3d': how long someone has been waiting."""
    minutes = max(0, int((now - dt.datetime.fromisoformat(created_at)).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


async def run_list(args: argparse.Namespace, config: Config) -> int:
    if missing_database(config):
        return 1
    async with await open_database(config.storage) as db:
        rows = await escalations.list_open(db)
    now = utcnow()
    print(f"{'REF':<8} {'CHANNEL':<10} {'LANG':<6} {'AGE':>5}  {'REASON':<12} STATUS")
    for row in rows:
        print(f"{row['ref']:<8} {row['channel']:<10} {row['locale']:<6} "
              f"{age(row['created_at'], now):>5}  {row['reason']:<12} {row['status']}")
    print(f"{len(rows)} open")
    return 0

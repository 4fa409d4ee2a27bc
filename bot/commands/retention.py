"""``casecheck retention purge``: delete message bodies older than the retention period."""

from __future__ import annotations

import argparse
import datetime as dt

from ..clock import iso, utcnow
from ..config import Config
from ..storage import open_database, retention


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("retention", help="delete old message bodies (the audit trail stays)",
                       description="Delete message bodies past the retention period, as the "
                                   "running service does every hour.")
    rsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    purge = rsub.add_parser("purge", parents=[parent],
                            help="delete transcripts older than [storage] retention_days",
                            epilog="example: casecheck retention purge --days 180 "
                                   "--config /etc/casecheck.toml")
    purge.add_argument("--days", type=int, help="override [storage] retention_days")
    purge.set_defaults(func=run_purge)


async def run_purge(args: argparse.Namespace, config: Config) -> int:
    days = args.days if args.days is not None else config.storage.retention_days
    if days < 0:
        print("casecheck: --days must be 0 or more")
        return 2
    cutoff = iso(utcnow() - dt.timedelta(days=days))
    async with await open_database(config.storage) as db:
        purged = await retention.purge(db, cutoff)
    print(f"Deleted bodies older than {days} days: {purged.messages} transcript messages, "
          f"{purged.inbox} inbox, {purged.outbox} outbox, {purged.sms_more} pending SMS parts, "
          f"{purged.other} other rows (answers, contacts, requests, notes, recipients, "
          "attempts).")
    return 0

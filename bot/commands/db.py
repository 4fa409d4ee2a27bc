"""``casecheck db copy --to postgresql://...``: move a SQLite deployment to PostgreSQL.

The copy reads one snapshot of the SQLite file (the service may keep running; what
it writes after the snapshot is not copied, so stop it, or its channels, for the
switch) and loads it into an empty PostgreSQL database in one transaction: all of
it, verified table by table, or nothing. The URL's password is never printed; give
it through ``PGPASSWORD`` or ``~/.pgpass`` to keep it out of the shell's history.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import Config
from ..storage import Database, is_url, redacted


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("db", help="move the database to PostgreSQL",
                       description="Database operations.")
    actions = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy", parents=[parent],
        help="copy the SQLite database into an empty PostgreSQL database",
        description="Copy every table of the SQLite database ([storage] path, or --db)\n"
                    "into an EMPTY PostgreSQL database, in one transaction, and check the\n"
                    "row count of each table. On any error nothing is left in the target.\n"
                    "Then set [storage] url to the target and restart casecheck.",
        epilog="examples:\n"
               "  casecheck db copy --db /var/lib/casecheck/casecheck.db \\\n"
               "      --to postgresql://casecheck@db.internal:5432/casecheck\n"
               "  PGPASSWORD=... casecheck db copy --to postgresql://casecheck@localhost/casecheck",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    copy.add_argument("--to", required=True, metavar="postgresql://USER@HOST/DB",
                      help="the empty target database (password from PGPASSWORD or "
                           "~/.pgpass rather than the URL)")
    copy.set_defaults(func=run_copy)


async def run_copy(args: argparse.Namespace, config: Config) -> int:
    # asyncpg is imported here, not at start-up: a SQLite deployment never loads it
    from ..storage.copy_to_postgres import CopyRefused, copy_sqlite_to_postgres

    target = str(args.to)
    if not is_url(target):
        print("casecheck: --to must be a postgresql:// URL "
              "(postgresql://user@host:5432/database)", file=sys.stderr)
        return 2
    source = str(config.storage.path)
    if is_url(source) or not Path(source).is_file():
        print(f"casecheck: no SQLite database at {redacted(source)} (name it with --db PATH)",
              file=sys.stderr)
        return 1
    async with await Database.open(source):  # brought to this version's schema first
        pass
    shown = redacted(target)
    print(f"Copying {source} into {shown} ...")
    try:
        report = await copy_sqlite_to_postgres(source, target)
    except CopyRefused as exc:
        print(f"casecheck: cannot copy into {shown}: {exc}", file=sys.stderr)
        return 1
    width = max(len(table) for table, _ in report.counts)
    for table, rows in report.counts:
        print(f"  {table:<{width}}  {rows:>10}")
    total = sum(rows for _, rows in report.counts)
    print(f"Copied {total} row(s) in {len(report.counts)} tables (schema version "
          f"{report.schema_version}); every count matches the SQLite snapshot.")
    print("To use it: set [storage] url (or CASECHECK_STORAGE_URL) to the target and "
          "restart casecheck.")
    return 0

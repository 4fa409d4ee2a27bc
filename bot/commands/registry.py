"""``casecheck registry import|stats``: load the case registry and count it.

Import problems name the line, the column and the bad value (the operator's own
file, on their own terminal); at most ``MAX_LINES`` of them, then a count per
reason. Nothing of the file is written to the audit trail but counts.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from typing import TextIO

from ..clock import utcnow
from ..config import Config
from ..registry import dates
from ..registry.importer import ImportReport, import_csv
from ..storage import cases as store
from ..storage import open_database
from . import missing_database

MAX_LINES = 50
_VALUE = re.compile(r': "[^"]*"$|line \d+(, \d+)*')


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("registry", help="import and inspect the case registry",
                       description="Load the registry of affected cases from a CSV file, "
                                   "and count what is loaded.")
    actions = p.add_subparsers(dest="registry_command", required=True)
    imp = actions.add_parser(
        "import", parents=[parent], help="import cases from a CSV file",
        description="Check the whole file, then import it (nothing is imported if a row is "
                    "wrong, unless --skip-invalid). Comma, semicolon or tab delimited; dates "
                    f"as {dates.FORMATS}.",
        epilog="examples:\n  casecheck registry import cases.csv --db casecheck.db\n"
               "  casecheck registry import export.csv --date-order dmy --replace",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    imp.add_argument("file", metavar="FILE.csv", help="UTF-8 CSV with a header row")
    imp.add_argument("--skip-invalid", action="store_true",
                     help="import the valid rows and report the others")
    imp.add_argument("--date-order", choices=dates.ORDERS,
                     help="the file's day/month order (default: detected from the file; "
                          "month first when no date tells)")
    imp.add_argument("--replace", action="store_true",
                     help="delete the cases of the database that this file does not list")
    imp.set_defaults(func=run_import)
    stats = actions.add_parser("stats", parents=[parent],
                               help="total cases and counts per lab and status",
                               epilog="example: casecheck registry stats --db casecheck.db")
    stats.set_defaults(func=run_stats)


async def run_import(args: argparse.Namespace, config: Config) -> int:
    async with await open_database(config.storage) as db:
        report = await import_csv(db, args.file, now=utcnow(), skip_invalid=args.skip_invalid,
                                  date_order=args.date_order, replace=args.replace,
                                  phone_region=config.organization.phone_region)
    print_report(report)
    if report.file_error or (report.problems and not report.imported):
        return 1
    return 0


def print_report(report: ImportReport, out: TextIO | None = None,
                 err: TextIO | None = None) -> None:
    out, err = out or sys.stdout, err or sys.stderr
    if report.file_error:
        print(f"casecheck: cannot import: {report.file_error}", file=err)
        print("Nothing was imported.", file=err)
        return
    reasons: Counter[str] = Counter()
    for problem in report.problems:
        for reason in problem.reason.split("; "):
            reasons[_VALUE.sub("", reason).strip()] += 1
    for problem in report.problems[:MAX_LINES]:
        print(f"line {problem.line}: {problem.reason}", file=err)
    if len(report.problems) > MAX_LINES:
        print(f"... and {len(report.problems) - MAX_LINES} more line(s). Problems by reason:",
              file=err)
        for reason, n in reasons.most_common():
            print(f"  {n:>8}  {reason}", file=err)
    if not report.imported:
        print(f"{report.invalid_lines} invalid row(s) out of {report.rows}; nothing was imported"
              " (fix them, or use --skip-invalid to import the valid rows).", file=err)
        return
    skipped = f", {report.invalid_lines} invalid (skipped)" if report.problems else ""
    print(f"Imported {report.rows} row(s): {report.inserted} new, {report.updated} updated,"
          f" {report.unchanged} unchanged{skipped}. Dates read as"
          f" {dates.order_words(report.date_order)}.", file=out)
    if report.removed:
        print(f"Deleted {report.removed} case(s) this file does not list (--replace).", file=out)
    elif report.missing:
        print(f"{report.missing} case(s) in the database are not in this file and were kept;"
              " import it with --replace to delete them.", file=out)


async def run_stats(args: argparse.Namespace, config: Config) -> int:
    if missing_database(config):
        return 1
    async with await open_database(config.storage) as db:
        figures = await store.stats(db)
    print(f"cases: {figures['total']}")
    if figures["labs"]:
        print("by lab:")
        for lab, n in figures["labs"]:
            print(f"  {lab or '(none)':<24} {n:>9}")
    if figures["statuses"]:
        print("by status:")
        for status, n in figures["statuses"]:
            print(f"  {status:<24} {n:>9}")
    return 0

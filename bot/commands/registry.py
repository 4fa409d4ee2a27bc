"""``casecheck registry import|stats``: load the case registry and count it.

Output names line numbers, columns and counts, never a name, date or number.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from ..clock import utcnow
from ..config import Config
from ..registry.importer import ImportReport, import_csv
from ..storage import Database
from ..storage import cases as store


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("registry", help="import and inspect the case registry")
    actions = p.add_subparsers(dest="registry_command", required=True)
    imp = actions.add_parser("import", parents=[parent], help="import cases from a CSV file")
    imp.add_argument("file", metavar="FILE.csv", help="UTF-8 CSV with a header row")
    imp.add_argument("--skip-invalid", action="store_true",
                     help="import the valid rows and report the others")
    imp.set_defaults(func=run_import)
    stats = actions.add_parser("stats", parents=[parent],
                               help="total cases and counts per lab and status")
    stats.set_defaults(func=run_stats)


async def run_import(args: argparse.Namespace, config: Config) -> int:
    async with await Database.open(config.storage.path) as db:
        report = await import_csv(db, args.file, now=utcnow(), skip_invalid=args.skip_invalid,
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
    for problem in report.problems:
        print(f"line {problem.line}: {problem.reason}", file=err)
    if not report.imported:
        print(f"{report.invalid_lines} invalid row(s) out of {report.rows}; nothing was imported"
              " (fix them, or use --skip-invalid to import the valid rows).", file=err)
        return
    skipped = f", {report.invalid_lines} invalid (skipped)" if report.problems else ""
    print(f"Imported {report.rows} row(s): {report.inserted} new, {report.updated} updated,"
          f" {report.unchanged} unchanged{skipped}.", file=out)


async def run_stats(args: argparse.Namespace, config: Config) -> int:
    async with await Database.open(config.storage.path) as db:
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

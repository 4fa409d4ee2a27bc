"""``casecheck i18n extract|update|init|check`` and ``casecheck content check``.

The translator's workflow (see README, "Translating"): ``extract`` after code
changes, ``update`` to bring every locale's catalogs up to date, translate the
empty and fuzzy entries, ``check`` until it passes. ``content check`` prints
what each message costs by SMS. ``review-export`` / ``review-import`` hand a
language to a reviewer as a CSV file and take it back with every rule checked.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from pathlib import Path

from .. import i18n_review, i18n_tools
from ..config import Config
from ..i18n import shipped_locales

TEXT_WIDTH = 60


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("i18n", help="translation catalogs: extract, update, init, check")
    cmds = p.add_subparsers(dest="i18n_command", metavar="ACTION", required=True)
    q = cmds.add_parser("extract", parents=[parent],
                        help="regenerate locales/<domain>.pot and each pack's content.pot")
    q.set_defaults(func=extract)
    q = cmds.add_parser("update", parents=[parent],
                        help="merge the templates into every locale's .po files")
    q.add_argument("--locale", action="append", help="only this locale (repeatable)")
    q.set_defaults(func=update)
    q = cmds.add_parser("init", parents=[parent],
                        help="start a new locale: every catalog, with CLDR plural forms")
    q.add_argument("locale", help="a Babel locale id: pt_BR, kea, zh_Hant, ...")
    q.set_defaults(func=init)
    q = cmds.add_parser("check", parents=[parent],
                        help="list missing, empty, fuzzy, broken entries (exit 1 if any)")
    q.add_argument("--locale", action="append", help="only this locale (repeatable)")
    q.set_defaults(func=check)

    q = cmds.add_parser("review-export", parents=[parent],
                        help="write a language's texts to a CSV file for a translator")
    q.add_argument("locale", help="a shipped locale: es, pt_BR, vi, ...")
    q.add_argument("file", type=Path, help="the CSV file to write")
    q.set_defaults(func=review_export)
    q = cmds.add_parser("review-import", parents=[parent],
                        help="read a reviewed CSV file back into the catalogs, rules checked")
    q.add_argument("locale", help="the locale the file was exported for")
    q.add_argument("file", type=Path, help="the reviewed CSV file")
    q.set_defaults(func=review_import)

    p = sub.add_parser("content", help="content and message reports")
    cmds = p.add_subparsers(dest="content_command", metavar="ACTION", required=True)
    q = cmds.add_parser("check", parents=[parent],
                        help="each message's length and SMS segments per locale")
    q.add_argument("--locale", action="append", help="only this locale (repeatable)")
    q.add_argument("--over", action="store_true",
                   help="only messages over [sms] max_segments")
    q.set_defaults(func=content_check)


def _locales(args: argparse.Namespace) -> list[str]:
    shipped = shipped_locales()
    wanted = args.locale or shipped
    unknown = [loc for loc in wanted if loc not in shipped]
    if unknown:
        raise SystemExit(f"casecheck: no catalogs for locale {unknown[0]!r} "
                         f"(shipped: {', '.join(shipped)}; start one with 'i18n init')")
    return wanted


async def extract(args: argparse.Namespace, config: Config) -> int:
    try:
        written = await asyncio.to_thread(i18n_tools.extract)
    except ValueError as exc:
        print(f"casecheck: {exc}")
        return 1
    for path, count in written.items():
        print(f"{path}: {count} messages")
    return 0


async def update(args: argparse.Namespace, config: Config) -> int:
    changed = await asyncio.to_thread(i18n_tools.update, _locales(args))
    for path in changed:
        print(f"updated {path}")
    print(f"{len(changed)} catalog(s) changed. Next: translate the empty and fuzzy entries, "
          "then run 'casecheck i18n check'.")
    return 0


async def init(args: argparse.Namespace, config: Config) -> int:
    try:
        created = await asyncio.to_thread(i18n_tools.init, args.locale)
    except ValueError as exc:
        print(f"casecheck: {exc}")
        return 1
    for path in created:
        print(f"created {path}")
    return 0


async def check(args: argparse.Namespace, config: Config) -> int:
    tallies = await asyncio.to_thread(i18n_tools.check, _locales(args))
    header = (f"{'locale':8} {'domain':24} {'msgids':>6} {'done':>5} {'problems':>8} "
              f"{'same-as-en':>10} {'unused':>6}")
    print(header)
    print("-" * len(header))
    for t in tallies:
        print(f"{t.locale:8} {t.domain:24} {t.expected:6} {t.translated:5} "
              f"{len(t.problems):8} {t.same_as_english:10} {t.unused:6}")
    problems = [p for t in tallies for p in t.problems]
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print("\nall catalogs complete")
    return 0


async def content_check(args: argparse.Namespace, config: Config) -> int:
    rows = await asyncio.to_thread(i18n_tools.sms_rows, config, _locales(args))
    limit = config.sms.max_segments
    shown = [r for r in rows if r.over] if args.over else rows
    print(f"{'locale':8} {'domain':24} {'enc':5} {'chars':>5} {'seg':>3}  message")
    for r in shown:
        mark = "!" if r.over else (" " if not r.untranslated else "?")
        text = r.msgid.replace("\n", " ")
        if len(text) > TEXT_WIDTH:
            text = text[:TEXT_WIDTH - 1] + "…"
        print(f"{r.locale:8} {r.domain:24} {r.encoding:5} {r.chars:5} {r.segments:3} {mark} {text}")
    per_locale: dict[str, list[i18n_tools.SmsRow]] = defaultdict(list)
    for r in rows:
        per_locale[r.locale].append(r)
    print(f"\n! over [sms] max_segments = {limit}   ? not translated (English counted)")
    for loc, mine in per_locale.items():
        over = sum(r.over for r in mine)
        ucs2 = sum(r.encoding == "UCS-2" for r in mine)
        print(f"{loc:8} {len(mine)} messages, {over} over {limit} segments, {ucs2} UCS-2, "
              f"longest {max(r.segments for r in mine)} segments")
    return 0


async def review_export(args: argparse.Namespace, config: Config) -> int:
    locale = _locales(argparse.Namespace(locale=[args.locale]))[0]
    rules = await asyncio.to_thread(i18n_review.Rules, config)
    try:
        rows, broken = await asyncio.to_thread(i18n_review.export_csv, rules, locale, args.file)
    except OSError as exc:
        print(f"casecheck: cannot write {args.file}: {exc.strerror}")
        return 1
    print(f"{args.file}: {rows} texts in {locale}, {broken} breaking a rule (column 'problems')."
          f" Edit the 'translation' column, then: casecheck i18n review-import {locale} "
          f"{args.file}")
    return 0


async def review_import(args: argparse.Namespace, config: Config) -> int:
    locale = _locales(argparse.Namespace(locale=[args.locale]))[0]
    rules = await asyncio.to_thread(i18n_review.Rules, config)
    try:
        written = await asyncio.to_thread(i18n_review.import_csv, rules, locale, args.file)
    except i18n_review.ReviewError as exc:
        print(f"casecheck: {exc}")
        return 1
    for path in written:
        print(f"updated {path}")
    print(f"{len(written)} catalog(s) updated for {locale}.")
    return 0

"""``casecheck outreach``: create, preview, send, pause, resume, cancel and follow campaigns.

Output is counts only (never a number, a name or a message to a person).
``send`` launches a draft and sends it in the foreground at the configured
rate; if ``casecheck run`` is already sending it, ``send`` follows its
progress instead. The progress bar redraws in place (``\\r``) on a terminal
and prints a plain line per 10% otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from ..app import App
from ..channels.registry import BUILTIN, SMS
from ..config import Config, ConfigError
from ..outreach import campaigns
from ..outreach.campaigns import Problem
from ..outreach.sender import Sender
from ..storage import outreach as store

ACTOR = "cli"
FINAL = ("done", "cancelled", "paused")


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("outreach", help="outreach campaigns",
                       description="Reach affected people once, discreetly: create a draft, "
                                   "preview it, send yourself a test, then send.",
                       epilog="examples:\n  casecheck outreach create --name 'Hinton 2026' "
                              "--lab Hinton --status dismissed\n  casecheck outreach preview 1"
                              "\n  casecheck outreach test-send 1 --to +16175550100\n"
                              "  casecheck outreach send 1",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="outreach_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", parents=[parent], help="create a draft campaign")
    create.add_argument("--name", required=True)
    create.add_argument("--lab", action="append", default=[], help="repeatable")
    create.add_argument("--status", action="append", default=[], choices=campaigns.STATUSES)
    create.add_argument("--court", action="append", default=[], help="repeatable")
    create.add_argument("--language", action="append", default=[],
                        help="registry language code, repeatable")
    create.add_argument("--channel", choices=store.CHANNELS, default=SMS.name,
                        help="any: Telegram when the person linked it, else SMS")
    create.add_argument("--include-reached", action="store_true",
                        help="also people an earlier campaign reached")
    create.add_argument("--start", help="'YYYY-MM-DD HH:MM' ([outreach] timezone); "
                        "default: when sent")
    create.add_argument("--text", action="append", default=[], metavar="LOCALE=TEXT",
                        help="the message in one language (default: the catalog's)")
    create.add_argument("--text-file", action="append", default=[], metavar="LOCALE=PATH")
    create.set_defaults(func=run_create)
    lst = actions.add_parser("list", parents=[parent], help="list campaigns")
    lst.set_defaults(func=run_list)
    for name, helptext, func in (
            ("preview", "recipients, segments, cost and warnings per language", run_preview),
            ("send", "launch (if a draft) and send now, with a progress bar", run_send),
            ("pause", "pause sending (takes effect within a second)", run_pause),
            ("resume", "resume a paused campaign", run_resume),
            ("cancel", "cancel a campaign", run_cancel),
            ("status", "counts and a progress bar", run_status)):
        action = actions.add_parser(name, parents=[parent], help=helptext)
        action.add_argument("campaign", type=int, metavar="ID")
        if name == "status":
            action.add_argument("--watch", action="store_true",
                                help="keep updating until the campaign stops")
        action.set_defaults(func=func)
    test = actions.add_parser("test-send", parents=[parent],
                              help="send the campaign's text to one number (yours)")
    test.add_argument("campaign", type=int, metavar="ID")
    test.add_argument("--to", required=True, help="your own phone number")
    test.add_argument("--language", default="en")
    test.add_argument("--channel", choices=BUILTIN.phone_channels(), default=SMS.name,
                      help="whatsapp: the language's approved template, to your WhatsApp")
    test.set_defaults(func=run_test_send)


def _err(message: str) -> int:
    print(f"casecheck: {message}", file=sys.stderr)
    return 1


async def _with_app(config: Config, body: Callable[[App], Awaitable[int]]) -> int:
    app = await App.create(config)
    try:
        return await body(app)
    except Problem as exc:
        return _err(exc.msgid.format(**exc.kwargs) if exc.kwargs else exc.msgid)
    finally:
        await app.close()


def _texts(args: argparse.Namespace) -> dict[str, str]:
    texts: dict[str, str] = {}
    for item in args.text:
        locale, sep, text = item.partition("=")
        if not sep:
            raise Problem("--text must look like LOCALE=TEXT")
        texts[locale.strip()] = text
    for item in args.text_file:
        locale, sep, path = item.partition("=")
        if not sep:
            raise Problem("--text-file must look like LOCALE=PATH")
        try:
            texts[locale.strip()] = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise Problem("cannot read the text file for {locale}", locale=locale) from None
    return texts


async def run_create(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        draft = campaigns.validate(
            app, name=args.name, labs=args.lab, statuses=args.status, courts=args.court,
            languages=args.language, channel=args.channel,
            include_reached=args.include_reached, texts=_texts(args), start=args.start)
        campaign_id = await campaigns.create(app, draft, ACTOR)
        print(f"campaign {campaign_id} created (draft)")
        await _print_preview(app, campaign_id)
        return 0
    return await _with_app(config, body)


async def run_list(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        rows = await store.listing(app.db)
        if not rows:
            print("no campaigns")
        for row in rows:
            counts = await store.progress(app.db, row["id"])
            print(f"{row['id']:>5}  {state_text(app, row['state']):<10}"
                  f" {counts['sent']:>8}/{counts['total']:<8} {row['name']}")
        return 0
    return await _with_app(config, body)


async def _print_preview(app: App, campaign_id: int, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    preview = await campaigns.preview(app, campaign_id)
    print(f"recipients: {preview.recipients}; estimated cost: ${preview.cost:,.2f}", file=out)
    for p in preview.locales:
        kind = "UCS-2" if p.unicode else "GSM-7"
        print(f"\n[{p.locale}] {p.language}: {p.sms} by SMS, {p.telegram} by Telegram;"
              f" {p.segments} segment(s) ({kind}); ${p.cost:,.2f}"
              f"{'' if p.edited else ' (default text)'}", file=out)
        print(f"  {p.text}", file=out)
        if p.whatsapp:
            print(f"  {p.whatsapp} by WhatsApp, template "
                  f"{p.template or 'NONE: configure [whatsapp] outreach_templates'}", file=out)
        for w in p.warnings:
            print("  WARNING: " + (w.msgid.format(**w.kwargs) if w.kwargs else w.msgid),
                  file=out)
    if preview.countries:
        print("\nper country and channel:", file=out)
    for c in preview.countries:
        print(f"  {c.country} {c.channel:<9} {c.recipients:>7} recipients  ${c.cost:,.2f}",
              file=out)


async def run_preview(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        if await store.get(app.db, args.campaign) is None:
            return _err(f"no campaign {args.campaign}")
        await _print_preview(app, args.campaign)
        return 0
    return await _with_app(config, body)


def _change(action: Callable[[App, int, str], Awaitable[bool]], verb: str, done: str
            ) -> Callable[[argparse.Namespace, Config], Awaitable[int]]:
    async def run(args: argparse.Namespace, config: Config) -> int:
        async def body(app: App) -> int:
            campaign = await store.get(app.db, args.campaign)
            if campaign is None:
                return _err(f"no campaign {args.campaign}")
            if not await action(app, args.campaign, ACTOR):
                return _err(f"campaign {args.campaign} is {campaign['state']}: cannot {verb} it")
            print(f"campaign {args.campaign}: {done}")
            return 0
        return await _with_app(config, body)
    return run


run_pause = _change(campaigns.pause, "pause", "paused")
run_resume = _change(campaigns.resume, "resume", "resumed")
run_cancel = _change(campaigns.cancel, "cancel", "cancelled")


# -- progress ------------------------------------------------------------------------

def state_text(app: App, state: str) -> str:
    """The state in the console's words ("Sending · Waiting: quiet hours")."""
    return " · ".join(campaigns.state_words(app, state))


def bar(counts: dict[str, int], state: str, width: int = 30) -> str:
    total = counts["total"]
    done = total - counts["queued"]
    fraction = done / total if total else 1.0
    filled = int(fraction * width)
    return (f"[{'#' * filled}{'-' * (width - filled)}] {fraction:4.0%} {done}/{total}"
            f"  sent {counts['sent']}  delivered {counts['delivered']}"
            f"  failed {counts['failed']}  skipped {counts['skipped']}"
            f"  replied {counts['replied']}  opted out {counts['opted_out']}  ({state})")


class Progress:
    """Redraw in place on a terminal; a line per 10% (and at the end) otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self._decile = -1
        self._width = 0

    def show(self, counts: dict[str, int], state: str, final: bool = False) -> None:
        line = bar(counts, state)
        if self.tty:
            pad = max(0, self._width - len(line))
            self.out.write("\r" + line + " " * pad + ("\n" if final else ""))
            self._width = len(line)
        else:
            total = counts["total"]
            decile = (total - counts["queued"]) * 10 // total if total else 10
            if decile == self._decile and not final:
                return
            self._decile = decile
            self.out.write(line + "\n")
        self.out.flush()


async def follow(app: App, campaign_id: int, progress: Progress, *, until_stopped: bool,
                 interval: float = 1.0) -> str:
    """Show progress every ``interval`` s; return the state once it is final."""
    while True:
        campaign = await store.get(app.db, campaign_id)
        state = campaign["state"] if campaign else "missing"
        counts = await store.progress(app.db, campaign_id)
        final = state in FINAL or state == "missing" or not until_stopped
        progress.show(counts, state_text(app, state), final=final)
        if final:
            return state
        await asyncio.sleep(interval)


async def run_status(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        campaign = await store.get(app.db, args.campaign)
        if campaign is None:
            return _err(f"no campaign {args.campaign}")
        print(f"campaign {campaign['id']}: {campaign['name']}")
        if campaign["state"] in campaigns.CAN_PAUSE:
            problem = await campaigns.send_problem(app, args.campaign)
            if problem is not None:
                print(problem.msgid.format(**problem.kwargs))
        await follow(app, args.campaign, Progress(sys.stdout), until_stopped=args.watch)
        return 0
    return await _with_app(config, body)


async def run_send(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        campaign = await store.get(app.db, args.campaign)
        if campaign is None:
            return _err(f"no campaign {args.campaign}")
        if campaign["state"] == "draft":
            recipients = await campaigns.launch(app, args.campaign, ACTOR)
            print(f"campaign {args.campaign} launched: {recipients} recipients", flush=True)
        elif campaign["state"] == "paused":
            return _err(f"campaign {args.campaign} is paused: resume it first")
        elif campaign["state"] in campaigns.CAN_PAUSE:
            problem = await campaigns.send_problem(app, args.campaign)
            if problem is not None:
                raise problem
        try:
            sender = Sender(app)
        except ConfigError as exc:
            return _err(f"configuration error: {exc}")
        return await _send(app, sender, args.campaign)
    return await _with_app(config, body)


async def _send(app: App, sender: Sender, campaign_id: int) -> int:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, sender.stop)
    progress = Progress(sys.stdout)
    watcher = asyncio.create_task(follow(app, campaign_id, progress, until_stopped=True))
    try:
        while not watcher.done():
            try:
                state = await sender.run_campaign(campaign_id)
            except ConfigError as exc:
                return _err(f"configuration error: {exc}")
            if state in FINAL or state == "missing" or sender.stopping:
                break
            await asyncio.sleep(1.0)  # not yet due, or another process is sending it
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await sender.close()
    state = await follow(app, campaign_id, progress, until_stopped=False)
    print(f"campaign {campaign_id}: {state}")
    return 0


async def run_test_send(args: argparse.Namespace, config: Config) -> int:
    async def body(app: App) -> int:
        if (problem := campaigns.channel_problem(app, SMS.name)) is not None:
            raise problem
        sender = Sender(app)
        try:
            outcome = await campaigns.test_send(app, sender, args.campaign, args.language,
                                                args.to, ACTOR, channel=args.channel)
        except ConfigError as exc:
            return _err(f"configuration error: {exc}")
        finally:
            await sender.close()
        if outcome.kind != "sent":
            return _err(f"test message not sent ({outcome.kind}: {outcome.reason})")
        print("test message sent")
        return 0
    return await _with_app(config, body)

"""What a whole dismissed-case conversation costs by SMS, per locale.

One person, new to the bot, texts "hi", picks their language from the menu,
checks the demo case 0912-CR-004411 (dismissed), reads every topic (replying
MORE until each reply is read to the end), asks for a lawyer, then texts HELP
and STOP. Every reply goes through the SMS channel's own rendering and
splitter (``bot.channels.sms_render.render`` and ``fit`` with ``[sms]
max_segments``), so the figures are what a carrier would bill.

Printed per locale: segments in all, the ratio to English, the messages sent,
the largest reply in segments, all its MORE parts counted (and which it was), and
the CPU time to render and split one reply (the conversation's replies, rendered
again ``--repeat`` times).

    python bench/bench_segments.py [--locale es] [--show]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.channels import sms_render  # noqa: E402
from bot.clock import utcnow  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.i18n import shipped_locales  # noqa: E402
from bot.model import Inbound, Reply  # noqa: E402
from bot.registry.importer import import_csv  # noqa: E402
from bot.storage import Database  # noqa: E402

DEMO_CASES = ROOT / "bot" / "demo_cases.csv"
CASE = ("0912-CR-004411", "Nunez", "03/14/1975")
TOPIC_KEYS = ("1", "2", "3", "4", "5", "6")
PHONE = "+16175550199"


@dataclass
class Tally:
    locale: str
    segments: int = 0
    messages: int = 0
    largest: int = 0  # segments of the largest reply, all its parts (MORE) counted
    largest_what: str = ""
    sent: list[str] = field(default_factory=list)
    rendered: list[tuple[Reply, Callable[..., str], int | None]] = field(default_factory=list)

    def add(self, texts: list[str], what: str) -> None:
        count = sum(sms_render.segments(t) for t in texts)
        self.segments += count
        self.messages += len(texts)
        self.sent += texts
        if count > self.largest:
            self.largest, self.largest_what = count, what


def parts_of(reply: Reply, _: Callable[..., str], limit: int | None) -> list[str]:
    """Render and split one reply as the SMS channel does; every part (MORE)."""
    text, rest = sms_render.fit(sms_render.render(reply, _, limit), _, limit)
    parts = [text]
    while rest:
        text, rest = sms_render.fit(rest, _, limit)
        parts.append(text)
    return parts


def send(app: App, locale: str, reply: Reply, tally: Tally, what: str) -> None:
    _ = functools.partial(app.translator.gettext, locale)
    limit = app.config.sms.max_segments
    tally.add(parts_of(reply, _, limit), what)
    tally.rendered.append((reply, _, limit))


def render_us(tally: Tally, repeat: int) -> float:
    """CPU microseconds to render and split one of the conversation's replies."""
    start = time.process_time()
    for _round in range(repeat):
        for reply, gettext, limit in tally.rendered:
            parts_of(reply, gettext, limit)
    return (time.process_time() - start) / (repeat * len(tally.rendered)) * 1e6


async def turn(app: App, text: str, tally: Tally, what: str) -> list[Reply]:
    result = await app.dialogue.handle(Inbound("sms", PHONE, text))
    for reply in result.replies:
        send(app, result.locale, reply, tally, what)
    return result.replies


async def conversation(locale: str, workdir: Path) -> Tally:
    db_path = workdir / f"{locale}.db"
    async with await Database.open(db_path) as db:
        await import_csv(db, str(DEMO_CASES), now=utcnow())
    config = load_config(None, env={}).replace("storage", "path", str(db_path))
    app = await App.create(config)
    tally = Tally(locale)
    try:
        first = await turn(app, "hi", tally, "greeting")
        name = app.translator.language_name(locale)
        keys = [o.key for r in first for o in r.options if o.label == name]
        if not keys:  # the menu may be short: the language word and the name
            keys = [name]
        await turn(app, keys[0], tally, "language chosen")
        await turn(app, "1", tally, "check my case")
        await turn(app, CASE[0], tally, "docket")
        await turn(app, CASE[1], tally, "last name")
        await turn(app, CASE[2], tally, "date of birth: the case")
        await turn(app, "1", tally, "what this means")
        for key in TOPIC_KEYS:
            await turn(app, key, tally, f"topic {key}")
            await turn(app, "8", tally, "other topics")
        await turn(app, "7", tally, "talk to a lawyer")
        await turn(app, "HELP", tally, "HELP")
        await turn(app, "STOP", tally, "STOP")
    finally:
        await app.close()
    return tally


async def main(locales: list[str], show: bool, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tallies = [await conversation(loc, Path(tmp)) for loc in locales]
    english = next((t.segments for t in tallies if t.locale == "en"), None)
    print(f"{'locale':8} {'segments':>8} {'x en':>5} {'messages':>8} {'largest':>7}"
          f" {'us/reply':>8}  largest reply")
    for t in tallies:
        ratio = f"{t.segments / english:.2f}" if english else "-"
        print(f"{t.locale:8} {t.segments:8} {ratio:>5} {t.messages:8} {t.largest:7}"
              f" {render_us(t, repeat):8.1f}  {t.largest_what}")
        if show:
            for text in t.sent:
                print(f"   [{sms_render.segments(text)}] " + text.replace("\n", " | "))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locale", action="append", help="only this locale (repeatable)")
    parser.add_argument("--show", action="store_true", help="print every message sent")
    parser.add_argument("--repeat", type=int, default=200,
                        help="renderings of each reply, timed")
    args = parser.parse_args()
    wanted = args.locale or shipped_locales()
    if args.locale and "en" not in wanted:
        wanted = ["en", *wanted]
    asyncio.run(main(wanted, args.show, args.repeat))

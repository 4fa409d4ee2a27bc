"""Staff console benchmark: queue and escalation pages with 100,000 escalations.

Builds a database of N people, each with a short transcript and one escalation
(30 % unresolved: open, claimed or waiting; the rest resolved; spread over a
year), through the storage functions the bot itself uses; then serves the
console on 127.0.0.1 and times page renders over HTTP with a signed-in client
(the whole request: session check, queries, audit write for detail views,
template). Goal: p99 under 50 ms for the queue and for a detail page.

    python bench/bench_console.py            # 100,000 escalations, 300 requests per page
    python bench/bench_console.py --n 5000 --runs 100
    python bench/bench_console.py --db /tmp/console-bench.db   # keep and reuse the data
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp.test_utils import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App  # noqa: E402
from bot.clock import iso  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.storage import escalations, people, staff  # noqa: E402
from tests.web_support import login, signed_in, start_console  # noqa: E402

LOCALES = ["en", "es", "en", "en", "es", "pt_BR", "ht", "vi"]
CHANNELS = ["sms", "sms", "sms", "telegram", "console"]
MESSAGES = ["Hi", "1", "I want to talk to a lawyer", "Thank you", "When will you call?"]


async def seed(app: App, n: int) -> None:
    rng = random.Random(7)
    start = app.clock() - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / n
    t0 = time.perf_counter()
    batch: list[tuple[int, str, str, str]] = []
    for i in range(n):
        channel = CHANNELS[i % len(CHANNELS)]
        address = f"+1617{i:07d}" if channel != "console" else f"bench{i}"
        stamp = iso(start + step * i)
        state = await people.get_or_create(app.db, channel, address, stamp)
        batch.append((state.person_id, channel, address, stamp))
        if len(batch) == 2000 or i == n - 1:
            async with app.db.transaction() as conn:
                for person_id, ch, addr, at in batch:
                    for text in MESSAGES:
                        await people.add_message(conn, person_id, "in", ch, text, at)
                    await escalations.create(
                        conn, ref=f"B{person_id:07d}", person_id=person_id, channel=ch,
                        address=addr, locale=rng.choice(LOCALES), reason="asked",
                        case_id=None, candidates=[], summary="reason: asked", now=at)
            batch.clear()
            print(f"\r  seeded {i + 1:,}/{n:,} people, transcripts and escalations",
                  end="", flush=True)
    print(f" in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    for esc_id in range(1, n + 1):
        roll = rng.random()
        if roll < 0.10:
            continue  # open
        row = await staff.escalation(app.db, esc_id)
        assert row is not None
        at = iso(dt.datetime.fromisoformat(row["created_at"]) + dt.timedelta(hours=2))
        await staff.claim(app.db, row, "staff:1", at)
        if roll < 0.20:
            continue  # claimed
        if roll < 0.30:
            await staff.mark_waiting(app.db, row, "staff:1", at)
            continue
        await staff.resolve(app.db, row, "staff:1", "closing", at)
    print(f"  statuses set in {time.perf_counter() - t0:.1f} s")


async def timed(client: TestClient, path: str | Callable[[], str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        resp = await client.get(path() if callable(path) else path)
        await resp.read()
        assert resp.status == 200, resp.status
        times.append((time.perf_counter() - t) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"  {name:<44} p50 {statistics.median(times):6.2f} ms   p99 {p99:6.2f} ms"
          f"   max {times[-1]:6.2f} ms  ({len(times)} requests)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="escalations (default 100,000)")
    parser.add_argument("--runs", type=int, default=300, help="requests per page")
    parser.add_argument("--db", help="database file to build (or reuse when it has data)")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = Path(args.db) if args.db else Path(tmp.name) / "bench.db"
    config = load_config(None, env={}).replace("storage", "path", str(path))
    app = await App.create(config)
    try:
        existing = await staff.queue(app.db, staff.QueueFilter(status="all"), overdue_before="",
                                     week_before="", limit=1, offset=0, count_cap=10**9)
        if existing[1] < args.n:
            await seed(app, args.n - existing[1])
        total = (await staff.queue(app.db, staff.QueueFilter(status="all"), overdue_before="",
                                   week_before="", limit=1, offset=0, count_cap=10**9))[1]
        client = await start_console(app)
        try:
            if await staff.user_by_email(app.db, "bench@example.org") is None:
                await signed_in(app, client, "bench@example.org", "staff")
            else:
                assert (await login(client, "bench@example.org")).status == 303
            rng = random.Random(11)
            print(f"{total:,} escalations in {path}; {args.runs} requests per page, "
                  "one signed-in client over HTTP on 127.0.0.1:")
            pages = [
                ("queue (unresolved, first page)", "/console/escalations"),
                ("queue, Spanish + SMS", "/console/escalations?language=es&channel=sms"),
                ("queue, overdue only", "/console/escalations?age=overdue"),
                ("queue, all statuses, page 100", "/console/escalations?status=all&page=100"),
                ("queue, all statuses, Spanish", "/console/escalations?status=all&language=es"),
                ("queue, waiting on the person", "/console/escalations?status=waiting"),
            ]
            for name, page in pages:
                await timed(client, page, 10)  # warm up
                report(name, await timed(client, page, args.runs))
            detail = lambda: f"/console/escalations/{rng.randint(1, total)}"  # noqa: E731
            await timed(client, detail, 10)
            report("escalation page (random id, audited)", await timed(client, detail, args.runs))
        finally:
            await client.close()
    finally:
        await app.close()
        tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())

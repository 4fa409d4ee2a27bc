"""What claiming a backlog of inbox rows costs (``bot.storage.inbox.claim``).

A burst leaves thousands of pending rows; a worker claims them in chunks of 400
ids, under the writers' lock that the webhooks' inserts wait for. The claim tests,
for each row, that no other worker holds a row of the same person (linked
contacts). Here: 8,000 pending rows from 2,000 known senders (each a contact of
their own person), another worker holding the first 1,000 rows, and this worker
claiming the next 4,000; printed: the claim's time (best of ``--reps``), the rows it
took, and SQLite's plan for the statement.

    python bench/bench_inbox_claim.py [--senders 2000] [--rows 8000] [--reps 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.model import Inbound  # noqa: E402
from bot.storage import Database, inbox  # noqa: E402

NOW, UNTIL = "2026-12-05T00:00:00Z", "2026-12-05T01:00:00Z"


async def backlog(db: Database, senders: int, rows: int) -> list[int]:
    """``rows`` pending rows from ``senders`` known contacts; their ids, oldest first."""
    address = [f"+1617555{i:04d}" for i in range(senders)]
    await inbox.store_many(db, [Inbound(channel="sms", address=address[i % senders],
                                        text="hi", provider_id=f"SM{i}")
                                for i in range(rows)], NOW)
    async with db.transaction() as tx:
        await tx.executemany("INSERT INTO people(id, created_at, updated_at) VALUES (?,?,?)",
                             [(i + 1, NOW, NOW) for i in range(senders)])
        await tx.executemany(
            "INSERT INTO contacts(person_id, channel, address, created_at) VALUES (?,?,?,?)",
            [(i + 1, "sms", address[i], NOW) for i in range(senders)])
    return [row.id for row in await inbox.pending_after(db, 0, rows)]


async def once(directory: Path, ns: argparse.Namespace) -> tuple[float, int, list[str]]:
    db = await Database.open(str(directory / "claim.db"))
    try:
        ids = await backlog(db, ns.senders, ns.rows)
        await inbox.claim(db, ids[:1000], "other", NOW, UNTIL)
        started = time.perf_counter()
        held = await inbox.claim(db, ids[1000:5000], "this", NOW, UNTIL)
        spent = time.perf_counter() - started
        plan = await db.fetchall("EXPLAIN QUERY PLAN " + inbox._CLAIM.format(ids="?"),
                                 ("w", UNTIL, 1, NOW, "w", "w", 1, NOW, "w", NOW))
        return spent, len(held), [str(row[3]) for row in plan]
    finally:
        await db.close()


async def main(ns: argparse.Namespace) -> None:
    best, held, plan = float("inf"), 0, []
    for _ in range(ns.reps):
        with tempfile.TemporaryDirectory() as tmp:
            spent, held, plan = await once(Path(tmp), ns)
            best = min(best, spent)
    print(f"claim of 4,000 rows ({ns.rows} pending from {ns.senders} known senders,"
          f" 1,000 held by another worker): {best * 1e3:.1f} ms, {held} rows taken")
    print("plan:", *plan, sep="\n  ")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--senders", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--reps", type=int, default=3)
    asyncio.run(main(parser.parse_args()))

"""Registry import into PostgreSQL (COPY) against SQLite (executemany): rows per second.

Issue 13's goal: the import of 1,000,000 rows into PostgreSQL at least as fast as
into SQLite. Both databases get the whole migrated schema (the ``cases`` table with
its unique key and five indexes) and the same generated rows, written in one
transaction and committed durably, in two modes: into the indexed table as it is,
and with the secondary indexes dropped first and rebuilt after (as ``casecheck
registry import`` does for a large file; the unique key stays). SQLite
with the bot's own settings (WAL, synchronous=FULL), PostgreSQL on a throw-away
cluster started here (tests/pg_support.py: Debian's server binaries, 127.0.0.1
only, an unprivileged user, fsync on) and stopped at the end. Figures are printed,
not asserted.

    python bench/bench_pg_import.py                 # 1,000,000 rows
    python bench/bench_pg_import.py --n 100000      # quicker
    python bench/bench_pg_import.py --executemany   # PostgreSQL executemany as well
    python bench/bench_pg_import.py --mode rebuild  # one mode only (indexed, rebuild)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.storage import Database  # noqa: E402
from bot.storage.postgres_engine import PostgresEngine, numbered  # noqa: E402
from tests import pg_support  # noqa: E402

COLUMNS = ("docket_number", "docket_display", "court", "last_name", "last_name_key",
           "first_name", "first_name_key", "date_of_birth", "lab", "status", "status_date",
           "phone", "phone_wrong", "language", "notice_code_hash", "imported_at",
           "person_ref")
INSERT = (f"INSERT INTO cases ({', '.join(COLUMNS)}) "
          f"VALUES ({', '.join('?' for _ in COLUMNS)})")
NAMES = ["Nunez", "Smith", "Nguyen", "Pierre", "Silva", "Chen", "Ivanova", "Haddad", "Sok"]
STATUSES = ["dismissed", "pending", "not_dismissed", "under_review"]


def rows(n: int) -> Iterator[tuple[object, ...]]:
    """``n`` cases-like rows, the same ones on every call."""
    rnd = random.Random(13)
    for i in range(n):
        name = rnd.choice(NAMES)
        dob = f"19{rnd.randint(50, 99)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        docket = f"{rnd.randint(10, 24)}CR{i:08d}"
        yield (docket, docket[:2] + "-CR-" + docket[4:], rnd.choice(["BOS", "SUF", "HAM"]),
               name, name.lower(), "Ana", "ana", dob, rnd.choice(["Hinton", "Amherst"]),
               rnd.choice(STATUSES), None, f"+1617555{i % 10000:04d}", 0,
               rnd.choice(["en", "es", None]), f"{rnd.getrandbits(64):016x}",
               f"{rnd.getrandbits(64):016x}", "2026-11-25T15:00:00Z", f"p{i // 2}")


def generation(n: int) -> float:
    start = time.perf_counter()
    for _ in rows(n):
        pass
    return time.perf_counter() - start


async def sqlite_import(n: int, folder: Path, rebuild: bool) -> float:
    path = folder / f"bench-{rebuild}.db"
    async with Database(path):  # the bot's own file settings and migrations
        pass
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    start = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' "
        "AND sql IS NOT NULL").fetchall() if rebuild else []
    for name, _sql in indexes:
        con.execute(f'DROP INDEX "{name}"')
    con.executemany(INSERT, rows(n))
    for _name, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    took = time.perf_counter() - start
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == n
    con.close()
    return took


async def postgres_import(n: int, url: str, rebuild: bool,
                          executemany: bool) -> dict[str, float]:
    engine = await PostgresEngine.open(url)
    figures = {}
    try:
        async with engine.pool.acquire() as conn:
            for how in ("COPY", "executemany") if executemany else ("COPY",):
                await conn.execute("TRUNCATE cases CASCADE")
                start = time.perf_counter()
                async with conn.transaction():
                    indexes = await conn.fetch(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases' "
                        "AND indexname NOT IN (SELECT conname FROM pg_constraint)")
                    for index in indexes if rebuild else ():
                        await conn.execute(f'DROP INDEX "{index["indexname"]}"')
                    if how == "COPY":
                        await conn.copy_records_to_table("cases", records=rows(n),
                                                         columns=COLUMNS)
                    else:
                        await conn.executemany(numbered(INSERT), rows(n))
                    for index in indexes if rebuild else ():
                        await conn.execute(index["indexdef"])
                figures[how] = time.perf_counter() - start
                assert await conn.fetchval("SELECT count(*) FROM cases") == n
    finally:
        await engine.close()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rows (default 1,000,000)")
    parser.add_argument("--executemany", action="store_true",
                        help="also time PostgreSQL executemany")
    parser.add_argument("--mode", choices=["indexed", "rebuild"], help="one mode only")
    args = parser.parse_args()
    bindir = pg_support.server_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries (apt-get install -y postgresql)")
    gen = generation(args.n)
    print(f"generating {args.n:,} rows alone: {gen:.2f} s (included in every figure below)")
    cluster = pg_support.Cluster(bindir, durable=True)
    try:
        cluster.start()
        for mode in [args.mode] if args.mode else ["indexed", "rebuild"]:
            rebuild = mode == "rebuild"
            print(f"-- {'indexes dropped, rebuilt after' if rebuild else 'into the indexed table'}")
            with tempfile.TemporaryDirectory() as folder:
                lite = await sqlite_import(args.n, Path(folder), rebuild)
            print(f"SQLite executemany, WAL, synchronous=FULL: {lite:.2f} s = "
                  f"{args.n / lite:,.0f} rows/s")
            pg = await postgres_import(args.n, cluster.url(), rebuild, args.executemany)
            for how, took in pg.items():
                print(f"PostgreSQL {how}, fsync on: {took:.2f} s = {args.n / took:,.0f} rows/s"
                      f" ({lite / took:.2f}x SQLite's speed)")
    finally:
        cluster.stop()

if __name__ == "__main__":
    asyncio.run(main())

"""Registry benchmark: import speed, verified lookup latency, memory of the chat at rest.

    python bench/bench_registry.py            # 1,000,000 cases (the issue's size)
    python bench/bench_registry.py --n 50000  # quicker

(a) imports a generated CSV through ``casecheck registry import`` (the CLI code
path, in this process) and, in the same run, with the sqlite3 shell's
``.import --csv`` into a bare table, and prints the ratio; (b) times verified
lookups (docket + date of birth + last name) through the same storage and
normalisation functions the dialogue uses; (c) reads the RSS of ``casecheck
chat`` started on that database and left idle.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.cli import main as cli_main  # noqa: E402
from bot.registry.normalize import (  # noqa: E402
    name_key,
    normalize_docket,
    parse_date,
    within_typos,
)
from bot.storage import Database  # noqa: E402
from bot.storage import cases as store  # noqa: E402

LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis",
        "Rodríguez", "Martínez", "Hernández", "López", "González", "Wilson", "Anderson",
        "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Pérez", "Thompson", "White",
        "Harris", "Sánchez", "Clark", "Ramírez", "Lewis", "Robinson", "Walker", "Young",
        "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "O'Brien",
        "Núñez", "Carter-Whitfield", "Kowalski", "Sullivan", "Murphy", "Kelly", "Pierre"]
FIRST = ["James", "María", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
         "David", "Elizabeth", "José", "Ana", "Luis", "Carmen", "Kevin", "Denise", "Thanh"]
COURTS = ["Boston Municipal Court", "Springfield District Court", "Brockton District Court",
          "Lowell District Court", "Suffolk Superior Court", "Hampden Superior Court"]
STATUSES = ["dismissed", "pending", "not_dismissed", "under_review"]
HEADER = ["docket_number", "court", "last_name", "first_name", "date_of_birth", "lab",
          "status", "status_date", "phone", "language", "notice_code"]


def generate(path: Path, n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """Write n rows; return (docket as typed, dob, last name) of every row for lookups."""
    rng = random.Random(seed)
    people = []
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            docket = f"{rng.randint(3, 12):02d}{rng.randint(1, 99):02d}-CR-{i:07d}"
            dob = f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            last = rng.choice(LAST)
            phone = f"617-555-{rng.randint(0, 9999):04d}" if i % 3 == 0 else ""
            code = f"N{i:09d}" if i % 4 == 0 else ""
            w.writerow([docket, rng.choice(COURTS), last, rng.choice(FIRST), dob,
                        "Hinton" if i % 2 else "Amherst", rng.choice(STATUSES), "2017-04-19",
                        phone, "en" if i % 5 else "es", code])
            people.append((docket, dob, last))
    return people


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu() -> float:
    """CPU of this process (all threads) and of its finished children (a large file is
    parsed in a process of its own)."""
    return time.process_time() + _cpu_children()


def bench_import(csv_path: Path, db_path: Path, n: int) -> None:
    """Wall and CPU time (the machine may be shared: CPU is the steadier figure)."""
    wall, cpu = time.perf_counter(), _cpu()
    rc = cli_main(["registry", "import", str(csv_path), "--db", str(db_path)])
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    assert rc == 0, f"import failed ({rc})"
    print(f"(a) casecheck registry import: {n:,} rows in {wall:.2f} s wall = {n / wall:,.0f}"
          f" rows/s; CPU {cpu:.2f} s = {n / cpu:,.0f} rows/s (goal >= 50,000)")
    again, again_cpu = time.perf_counter(), _cpu()
    cli_main(["registry", "import", str(csv_path), "--db", str(db_path)])
    again, again_cpu = time.perf_counter() - again, _cpu() - again_cpu
    print(f"    re-import of the same file (nothing changes): {again:.2f} s wall,"
          f" {again_cpu:.2f} s CPU")
    sqlite = shutil.which("sqlite3")
    if sqlite is None:
        print("    sqlite3 command line not found (apt-get install -y sqlite3): comparison skipped")
        return
    bare = db_path.with_name("bare.db")
    shell, shell_cpu = time.perf_counter(), _cpu_children()
    subprocess.run([sqlite, str(bare), f"CREATE TABLE cases({', '.join(HEADER)});",
                    f".import --csv --skip 1 {csv_path} cases"], check=True)
    shell, shell_cpu = time.perf_counter() - shell, _cpu_children() - shell_cpu
    print(f"    sqlite3 .import --csv into a bare table: {shell:.2f} s wall, {shell_cpu:.2f} s"
          f" CPU = {n / shell:,.0f} rows/s; casecheck takes {wall / shell:.1f}x as long"
          f" ({cpu / shell_cpu:.1f}x the CPU): validation, normalisation, the case key, 5 indexes")


async def bench_lookup(db_path: Path, people: list[tuple[str, str, str]], k: int) -> None:
    rng = random.Random(1)
    sample = [rng.choice(people) for _ in range(k)]
    times = []
    async with await Database.open(db_path) as db:
        for docket, dob, last in sample:
            start = time.perf_counter()
            found = await verified(db, docket, dob, last)
            times.append(time.perf_counter() - start)
            assert found is not None
    times.sort()
    p50 = statistics.median(times) * 1000
    p99 = times[int(len(times) * 0.99) - 1] * 1000
    print(f"(b) verified lookup (docket + date of birth + last name), {k:,} lookups:"
          f" p50 {p50:.3f} ms, p99 {p99:.3f} ms (goal p99 < 2 ms)")


async def verified(db: Database, docket: str, dob: str, last: str) -> int | None:
    """What the dialogue does with the three answers a person typed."""
    want_dob = parse_date(dob).isoformat()
    want_key = name_key(last)
    for row in await store.by_docket(db, normalize_docket(docket)):
        if row["date_of_birth"] == want_dob and within_typos(row["last_name_key"], want_key):
            return int(row["id"])
    return None


def bench_rss(db_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--json", "--db", str(db_path)],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[1])
    try:
        time.sleep(2.0)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss_kib = int(next(line for line in status.splitlines()
                           if line.startswith("VmRSS")).split()[1])
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    print(f"(c) casecheck chat at rest: RSS {rss_kib / 1024:.1f} MB (goal < 100 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="cases (default 1,000,000)")
    parser.add_argument("--lookups", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, db_path = Path(tmp) / "registry.csv", Path(tmp) / "bench.db"
        start = time.perf_counter()
        people = generate(csv_path, args.n)
        size = os.path.getsize(csv_path) / 1e6
        print(f"generated {args.n:,} rows ({size:.0f} MB) in {time.perf_counter() - start:.1f} s")
        bench_import(csv_path, db_path, args.n)
        asyncio.run(bench_lookup(db_path, people, args.lookups))
        bench_rss(db_path)


if __name__ == "__main__":
    main()

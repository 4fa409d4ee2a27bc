"""The real registry importer (``casecheck registry import``) into PostgreSQL and SQLite.

Issue 13's goal: importing 1,000,000 rows into PostgreSQL at least as fast as into
SQLite. The same generated CSV (``bench/bench_registry.py``'s generator) is imported
by the command itself, in a process of its own, into a fresh SQLite file and a fresh
PostgreSQL database (a throw-away durable cluster started here,
``tests/pg_support.py``), then imported again (nothing changes: the common re-run),
alternating ``--reps`` times; then ``casecheck db copy`` of the SQLite file into a
fresh PostgreSQL database (the whole switch of a deployment with that registry).
Printed: wall seconds and rows/s, the command's CPU, and PostgreSQL's server CPU.
Figures are printed, never asserted.

    python bench/bench_pg_registry.py               # 1,000,000 rows
    python bench/bench_pg_registry.py --n 200000    # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import bench_registry  # noqa: E402
from bench_pg_turns import fresh_postgres, postmaster  # noqa: E402
from bench_sms import Sampler  # noqa: E402

from tests import pg_support  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def timed(command: list[str], env: dict[str, str],
                server_pid: int | None) -> tuple[float, float, float]:
    """(wall s, command CPU s, PostgreSQL server CPU s) of one ``casecheck`` command."""
    server = Sampler(server_pid) if server_pid else None
    server0 = server.cpu if server else 0.0
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", *command], cwd=ROOT, env=env,
        capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall0, _children_cpu() - cpu0
    server_cpu = 0.0
    if server:
        server.stop()
        server_cpu = server.cpu - server0
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stderr[-500:]}")
    return wall, cpu, server_cpu


async def main(ns: argparse.Namespace) -> None:
    bindir = pg_support.server_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries (see tests/pg_support.py)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECHECK_")}
    cluster = pg_support.Cluster(bindir, durable=True)
    cluster.start()
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            csv_path = folder / "cases.csv"
            bench_registry.generate(csv_path, ns.n)
            print(f"{ns.n:,} generated rows ({csv_path.stat().st_size / 2**20:.0f} MB); "
                  f"PostgreSQL {bindir.parent.name} (fsync on); {os.cpu_count()} CPUs, shared "
                  f"with other work: load average {os.getloadavg()[0]:.1f} at start",
                  flush=True)
            for rep in range(ns.reps):
                for engine in ns.engines:
                    if engine == "sqlite":
                        target, pid = ["--db", str(folder / f"r{rep}.db")], None
                    else:
                        url = await fresh_postgres(cluster)
                        config = folder / f"r{rep}.toml"
                        config.write_text(f'[storage]\nurl = "{url}"\n', encoding="utf-8")
                        target, pid = ["--config", str(config)], postmaster(cluster)
                    for phase in ("first", "again"):
                        wall, cpu, server = await timed(
                            ["registry", "import", str(csv_path), *target], env, pid)
                        results.setdefault((engine, phase), []).append((wall, cpu, server))
                        print(f"{engine:<10} {phase:<5} {wall:7.1f} s wall = "
                              f"{ns.n / wall:9,.0f} rows/s; importer CPU {cpu:6.1f} s"
                              + (f", PostgreSQL CPU {server:6.1f} s" if pid else ""),
                              flush=True)
                    if engine == "sqlite" and ns.copy:
                        url = await fresh_postgres(cluster)
                        wall, cpu, server = await timed(
                            ["db", "copy", *target, "--to", url], env, postmaster(cluster))
                        results.setdefault(("db copy", "first"), []).append((wall, cpu, server))
                        print(f"db copy    {wall:7.1f} s wall for the {ns.n:,}-case database;"
                              f" CPU {cpu:6.1f} s, PostgreSQL CPU {server:6.1f} s", flush=True)
                    (folder / f"r{rep}.db").unlink(missing_ok=True)
    finally:
        cluster.stop()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    for phase in ("first", "again"):
        walls = {engine: statistics.median(w for w, _, _ in results[(engine, phase)])
                 for engine in ns.engines}
        line = ", ".join(f"{engine} {wall:.1f} s ({ns.n / wall:,.0f} rows/s)"
                         for engine, wall in walls.items())
        if {"sqlite", "postgresql"} <= set(walls):
            line += f"; PostgreSQL takes {walls['postgresql'] / walls['sqlite']:.2f}x SQLite's"
        print(f"median, {'import into an empty database' if phase == 'first' else 're-import'}"
              f": {line}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rows")
    parser.add_argument("--reps", type=int, default=1, help="repetitions, alternating")
    parser.add_argument("--no-copy", dest="copy", action="store_false",
                        help="skip timing casecheck db copy")
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    asyncio.run(main(parser.parse_args()))

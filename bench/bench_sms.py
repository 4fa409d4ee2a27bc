"""Benchmark the SMS webhook path: acknowledgements, latency, complete turns per second.

Runs, on 127.0.0.1 only:
1. the ceiling: a bare aiohttp server (separate process) whose handler answers
   an empty TwiML ``<Response/>``;
2. the real service (``casecheck run``'s code, separate process, fresh database)
   with the SMS channel pointed at the fake Twilio REST API (in this process),
   rate limit 10,000/s.

The same load hits both: ``--senders`` concurrent simulated phones POSTing
signed inbound webhooks back to back, ``--n`` webhooks in all. Printed:
acknowledged webhooks/s, p50/p99 acknowledgement latency, the ratio to the
ceiling, and complete conversation turns/s for the service (first webhook sent
-> every inbound processed and every reply accepted by the fake Twilio).

    python bench/bench_sms.py [--n 4000] [--senders 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from tests.fakes.twilio_api import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    FakeTwilio,
    inbound_params,
)

WORDS = ["hi", "1", "2", "menu", "3", "hello", "4", "1"]
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


# -- the ceiling: a bare aiohttp handler ------------------------------------------------
async def bare_server() -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text=TWIML, content_type="text/xml")

    app = web.Application()
    app.router.add_post("/sms/inbound", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"serving on http://127.0.0.1:{runner.addresses[0][1]}; bare", flush=True)
    await asyncio.Event().wait()


# -- the fake Twilio, in its own process so it does not slow the load generator -------------
async def fake_twilio() -> None:
    fake = FakeTwilio(callbacks=("sent", "delivered"))
    await fake.start()
    print(f"serving on {fake.url}; fake twilio", flush=True)
    # The service's URL comes on stdin once it runs: status callbacks go there.
    fake.webhook_base = (await asyncio.to_thread(sys.stdin.readline)).strip()
    await asyncio.Event().wait()


# -- load -------------------------------------------------------------------------------
def build_requests(n: int, senders: int, token: str,
                   first: int = 0) -> list[list[tuple[bytes, str]]]:
    """Per sender, the (body, signature) of each webhook, signed in advance."""
    validator = RequestValidator(token)
    url = PUBLIC_URL + "/sms/inbound"
    plan: list[list[tuple[bytes, str]]] = [[] for _ in range(senders)]
    for i in range(n):
        s = i % senders
        params = inbound_params(f"+1617{5_000_000 + first + s:07d}",
                                WORDS[len(plan[s]) % len(WORDS)], sid=f"SM{first + i:032x}")
        plan[s].append((urlencode(params).encode(), validator.compute_signature(url, params)))
    return plan


async def drive(url: str, plan: list[list[tuple[bytes, str]]]) -> tuple[float, list[float], int]:
    """Every sender posts its webhooks back to back; return (seconds, latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def sender(requests: list[tuple[bytes, str]]) -> None:
            nonlocal errors
            for body, signature in requests:
                started = time.perf_counter()
                async with session.post(
                        url + "/sms/inbound", data=body,
                        headers={"X-Twilio-Signature": signature,
                                 "Content-Type": "application/x-www-form-urlencoded"}) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(sender(requests) for requests in plan))
        return time.perf_counter() - started, latencies, errors


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] * 1000


async def spawn(args: list[str], env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    if "serving on " not in line:
        raise SystemExit(f"server did not start: {line!r}")
    return proc, line.split("serving on ", 1)[1].split(";", 1)[0]


async def profiler(pid: int, path: str) -> asyncio.subprocess.Process:
    """Sample a process with py-spy (pip install py-spy) into collapsed stacks."""
    proc = await asyncio.create_subprocess_exec(
        "py-spy", "record", "--pid", str(pid), "--format", "raw", "-o", path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await asyncio.sleep(1.0)
    return proc


async def stop(proc: asyncio.subprocess.Process) -> None:
    proc.terminate()
    await asyncio.wait_for(proc.wait(), 30)


def backlog(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return conn.execute(
            "SELECT (SELECT COUNT(*) FROM inbox WHERE status='pending')"
            " + (SELECT COUNT(*) FROM outbox WHERE status IN ('pending','sending'))").fetchone()[0]


def report(name: str, seconds: float, latencies: list[float], errors: int) -> float:
    rate = len(latencies) / seconds
    print(f"{name:<9} {len(latencies):6d} webhooks in {seconds:6.2f} s = {rate:8.0f}/s"
          f"   p50 {pct(latencies, 50):6.1f} ms   p99 {pct(latencies, 99):6.1f} ms"
          f"   errors {errors}")
    return rate


async def paced(url: str, plan: list[list[tuple[bytes, str]]], rate: float) -> list[float]:
    """Open loop: each sender posts on its own schedule, ``rate`` webhooks/s in all;
    latency counts from the scheduled time (no coordinated omission)."""
    latencies: list[float] = []
    interval = len(plan) / rate
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter() + 0.2

        async def sender(i: int, requests: list[tuple[bytes, str]]) -> None:
            for k, (body, signature) in enumerate(requests):
                due = start + (k + i / len(plan)) * interval
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                async with session.post(
                        url + "/sms/inbound", data=body,
                        headers={"X-Twilio-Signature": signature,
                                 "Content-Type": "application/x-www-form-urlencoded"}) as r:
                    await r.read()
                latencies.append(time.perf_counter() - due)

        await asyncio.gather(*(sender(i, requests) for i, requests in enumerate(plan)))
    return latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def replies(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('sent','delivered')").fetchone()[0]


async def caught_up(db: Path, since: float) -> float:
    """Seconds from ``since`` until nothing waits in the inbox or the outbox."""
    while await asyncio.to_thread(backlog, db):
        if time.perf_counter() - since > 300:
            raise SystemExit("the service did not catch up within 300 s")
        await asyncio.sleep(0.02)
    return time.perf_counter() - since


async def main(n: int, senders: int, rate: float, seconds: float, profile: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECHECK_")}
    plan = build_requests(n, senders, AUTH_TOKEN)
    paced_n = int(rate * seconds)
    paced_plan = build_requests(paced_n, senders, AUTH_TOKEN, first=n)
    print(f"{n} signed webhooks from {senders} concurrent senders back to back, then "
          f"{paced_n} paced at {rate:.0f}/s; {os.cpu_count()} CPUs")

    bare, bare_url = await spawn([str(Path(__file__)), "--bare-server"], env)
    await drive(bare_url, build_requests(min(n, 400), senders, AUTH_TOKEN, first=10**6))
    ceiling = report("ceiling", *await drive(bare_url, plan))
    bare_paced = await paced(bare_url, paced_plan, rate)
    await stop(bare)

    fake, fake_url = await spawn([str(Path(__file__)), "--fake-twilio"], env)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        config = Path(tmp) / "bench.toml"
        config.write_text(
            f'[storage]\npath = "{db}"\n[server]\nhost = "127.0.0.1"\nport = 0\n'
            f'[console]\nenabled = false\n'
            f'[sms]\nenabled = true\naccount_sid = "{ACCOUNT_SID}"\n'
            f'auth_token = "{AUTH_TOKEN}"\nfrom_number = "+16175550100"\n'
            f'public_url = "{PUBLIC_URL}"\napi_base_url = "{fake_url}"\n'
            f'rate_per_second = 10000.0\n', encoding="utf-8")
        service, url = await spawn([str(Path(__file__)), "--serve", str(config)], env)
        assert fake.stdin is not None
        fake.stdin.write(f"{url}\n".encode())
        await fake.stdin.drain()
        spy = await profiler(service.pid, profile) if profile else None
        try:
            started, cpu = time.perf_counter(), cpu_seconds(service.pid)
            took, latencies, errors = await drive(url, plan)
            acked = report("service", took, latencies, errors)
            turns_seconds = await caught_up(db, started)
            cpu = cpu_seconds(service.pid) - cpu
            sent = await asyncio.to_thread(replies, db)
            started = time.perf_counter()
            service_paced = await paced(url, paced_plan, rate)
            paced_turns = await caught_up(db, started)
        finally:
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                await spy.wait()
            await stop(service)
            await stop(fake)
    turns = n / turns_seconds
    print(f"ratio     {acked / ceiling:6.1%} of the ceiling's throughput (goal >= 50%)")
    print(f"turns     {n} inbound -> {sent} replies accepted by the fake Twilio in "
          f"{turns_seconds:.2f} s = {turns:.0f} turns/s (goal >= 500/s)")
    print(f"cpu       the service used {cpu:.2f} CPU s = {cpu / n * 1000:.2f} ms per turn"
          f" ({n / cpu:.0f} turns per CPU second)")
    for name, values in (("ceiling", bare_paced), ("service", service_paced)):
        print(f"paced     {name}: {len(values)} webhooks at {rate:.0f}/s"
              f"   p50 {pct(values, 50):6.1f} ms   p99 {pct(values, 99):6.1f} ms"
              f"   max {max(values) * 1000:6.1f} ms (goal p99 < 50 ms)")
    print(f"paced     the service had answered every paced turn {paced_turns - seconds:.2f} s"
          f" after the last webhook ({paced_n} turns offered over {seconds:.0f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=4000, help="webhooks in all")
    parser.add_argument("--senders", type=int, default=200, help="concurrent senders")
    parser.add_argument("--rate", type=float, default=500.0,
                        help="offered webhooks/s in the paced (latency) phase")
    parser.add_argument("--seconds", type=float, default=4.0,
                        help="length of the paced phase")
    parser.add_argument("--profile", metavar="FILE.txt",
                        help="record a py-spy profile of the service (collapsed stacks)")
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", metavar="CONFIG", help=argparse.SUPPRESS)
    parser.add_argument("--fake-twilio", action="store_true", help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.bare_server:
        asyncio.run(bare_server())
    elif ns.fake_twilio:
        asyncio.run(fake_twilio())
    elif ns.serve:  # what `casecheck run --config CONFIG` does
        from bot.commands.run import fast_loop, run
        from bot.config import load_config

        with asyncio.Runner(loop_factory=fast_loop()) as runner:
            runner.run(run(argparse.Namespace(), load_config(ns.serve)))
    else:
        asyncio.run(main(ns.n, ns.senders, ns.rate, ns.seconds, ns.profile))

"""Benchmark the Telegram channel in webhook mode against a fake Bot API server.

Runs, on 127.0.0.1 only, with the fake Bot API and the load in this process
and each server in a child process:

1. **ceiling**: a bare aiohttp webhook handler (secret check, ``Update.de_json``,
   then ``sendMessage`` through python-telegram-bot, with the channel's
   connection pool, before answering 200);
2. **one**: casecheck's Service with the Telegram channel in one process (webhook
   mode, fresh database): update stored in the inbox, 200, dialogue from the
   inbox, replies through the outbox. The global rate is set very high and the
   per-chat gap to 0 here, so the figure is ingest + dialogue + sending;
   **run**: the same through ``casecheck run``, as deployed: the webhook in one
   process, the workers in another (the per-chat gap is the real one, which a
   first reply to a new chat never waits for);
3. **limits**: the same service with the real limits (30 messages/s overall,
   1 s per chat) on a bounded sample of chats; the arrival times at the fake
   show the largest count in any second and the smallest gap in one chat.

Phases 1 and 2: ``--users`` simulated people, each in a new private chat,
send ``/start`` one after another (closed loop): the next update of a user
leaves when the first reply to the previous one reached the fake. Latency is
from the webhook POST (receipt) to that first reply accepted by the fake.

    python bench/bench_telegram.py [--n 100000] [--users 200] [--limit-chats 300]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.telegram_api import FakeTelegram, Sent  # noqa: E402

SECRET = "bench-secret"


# -- the servers (child processes) ---------------------------------------------------
async def bare_server(base_url: str, token: str) -> None:
    import hmac

    from telegram import Bot, Update
    from telegram.request import HTTPXRequest

    from bot.channels.telegram import CONNECTIONS, POOL_TIMEOUT

    # The same connection pool as the channel's, so only the handler differs.
    bot = Bot(token, base_url=base_url, request=HTTPXRequest(
        connection_pool_size=CONNECTIONS, pool_timeout=POOL_TIMEOUT))
    await bot.initialize()

    async def handler(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), SECRET.encode()):
            return web.Response(status=403)
        update = Update.de_json(await request.json(), bot)
        if update is not None and update.effective_chat is not None:
            await bot.send_message(update.effective_chat.id, "ok")
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/telegram/webhook", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"serving on http://127.0.0.1:{runner.addresses[0][1]}; bare", flush=True)
    await asyncio.Event().wait()


async def bot_server(config_path: str, chat_gap: float) -> None:
    import signal

    from bot.app import App
    from bot.channels.telegram import TelegramChannel
    from bot.config import load_config
    from bot.server import Service

    app = await App.create(load_config(config_path))
    service = Service(app, [TelegramChannel(app, chat_gap=chat_gap)])
    await service.start()
    print(f"serving on {service.url}; casecheck", flush=True)
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    await done.wait()
    await service.stop()
    await app.close()


async def spawn(args: list[str]) -> tuple[asyncio.subprocess.Process, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECHECK_")}
    script = [] if args[0] == "-m" else [str(Path(__file__))]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *script, *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
    if "serving on " not in line:
        raise SystemExit(f"server did not start: {line!r}")
    return proc, line.split("serving on ", 1)[1].split(";", 1)[0]


async def stop(proc: asyncio.subprocess.Process) -> None:
    proc.terminate()
    await asyncio.wait_for(proc.wait(), 60)


def write_config(tmp: Path, fake: FakeTelegram, rate: float, name: str = "bench") -> Path:
    path = tmp / f"{name}-{rate:g}.toml"
    path.write_text(
        f'[storage]\npath = "{tmp / f"{name}-{rate:g}.db"}"\n'
        f'[server]\nhost = "127.0.0.1"\nport = 0\n'
        f'[telegram]\nenabled = true\ntoken = "{fake.token}"\nmode = "webhook"\n'
        f'base_url = "{fake.base_url}"\nwebhook_url = "https://bench.example/telegram/webhook"\n'
        f'secret_token = "{SECRET}"\nrate_per_second = {rate}\n', encoding="utf-8")
    return path


# -- load ------------------------------------------------------------------------------
class FirstReplies:
    """Futures resolved when the first message to a chat reaches the fake."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.waiting: dict[int, asyncio.Future[float]] = {}
        fake.on_sent = self._on_sent

    def expect(self, chat_id: int) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = future
        return future

    def _on_sent(self, sent: Sent) -> None:
        future = self.waiting.pop(sent.chat_id, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())


async def drive(url: str, fake: FakeTelegram, n: int, users: int,
                first_chat: int) -> tuple[float, list[float], list[float], int]:
    """Closed loop: (seconds, end-to-end latencies, webhook ack latencies, errors)."""
    replies = FirstReplies(fake)
    chats = itertools.count(first_chat)
    remaining = itertools.count()
    e2e: list[float] = []
    acks: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def user() -> None:
            nonlocal errors
            while next(remaining) < n:
                chat = next(chats)
                body = fake.message_update(chat, "/start", language_code="en")
                reply = replies.expect(chat)
                started = time.perf_counter()
                async with session.post(url + "/telegram/webhook", json=body,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    await r.read()
                    acked = time.perf_counter()
                if r.status != 200:
                    errors += 1
                    replies.waiting.pop(chat, None)
                    continue
                acks.append(acked - started)
                try:
                    done = await asyncio.wait_for(reply, 60)
                except TimeoutError:
                    errors += 1
                    continue
                e2e.append(done - started)

        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(users)))
        return time.perf_counter() - started, e2e, acks, errors


def pct(values: list[float], p: float) -> float:
    if len(values) < 2:
        return (values[0] if values else 0.0) * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] * 1000


def report(name: str, seconds: float, e2e: list[float], acks: list[float], errors: int) -> float:
    rate = len(e2e) / seconds
    print(f"{name:<8} {len(e2e):7d} updates in {seconds:7.2f} s = {rate:7.0f} updates/s"
          f"   receipt->reply p50 {pct(e2e, 50):6.1f} ms p99 {pct(e2e, 99):6.1f} ms"
          f"   ack p99 {pct(acks, 99):5.1f} ms   errors {errors}")
    return rate


# -- the limits ----------------------------------------------------------------------
async def limits(url: str, fake: FakeTelegram, chats: int, first_chat: int) -> None:
    """Every chat sends /start at once; watch the arrivals at the fake."""
    fake.sent.clear()
    fake.on_sent = None
    async with aiohttp.ClientSession() as session:
        async def post(chat: int) -> None:
            body = fake.message_update(chat, "/start", language_code="en")
            async with session.post(url + "/telegram/webhook", json=body,
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                await r.read()
        started = time.monotonic()
        await asyncio.gather(*(post(first_chat + i) for i in range(chats)))
    last, count = time.monotonic(), 0
    while time.monotonic() - last < 3.0:  # until 3 s pass without a new message
        await asyncio.sleep(0.2)
        if len(fake.sent) != count:
            count, last = len(fake.sent), time.monotonic()
    arrivals = sorted(s.at - started for s in fake.sent)
    per_second = collections.Counter(int(a) for a in arrivals)
    window = max((bisect.bisect_left(arrivals, a + 1.0) - i for i, a in enumerate(arrivals)),
                 default=0)
    by_chat: dict[int, list[float]] = collections.defaultdict(list)
    for s in fake.sent:
        by_chat[s.chat_id].append(s.at)
    gaps = [b - a for times in by_chat.values() for a, b in zip(times, times[1:], strict=False)]
    seconds = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    print(f"limits   {len(arrivals)} messages to {len(by_chat)} chats in {seconds:.1f} s "
          f"({len(arrivals) / max(seconds, 1e-9):.1f}/s); busiest calendar second "
          f"{max(per_second.values(), default=0)}, busiest sliding 1 s window {window} "
          f"(limit 30); smallest gap in one chat "
          f"{min(gaps) * 1000 if gaps else float('nan'):.0f} ms (limit 1000 ms)")


async def main(n: int, users: int, limit_chats: int) -> None:
    print(f"{n} updates, {users} concurrent users, each in a new private chat; "
          f"{os.cpu_count()} CPUs")
    async with FakeTelegram() as fake:
        bare, bare_url = await spawn(["--bare-server", fake.base_url, fake.token])
        try:
            await drive(bare_url, fake, min(n, 500), users, 10_000_000)  # warm up
            ceiling = report("ceiling", *await drive(bare_url, fake, n, users, 20_000_000))
        finally:
            await stop(bare)
        fake.sent.clear()
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            service, url = await spawn(["--bot-server", str(write_config(tmp, fake, 1e6)), "0"])
            try:
                one = report("one", *await drive(url, fake, n, users, 30_000_000))
            finally:
                await stop(service)
            fake.sent.clear()
            config = write_config(tmp, fake, 1e6, name="run")
            service, url = await spawn(["-m", "bot", "run", "--config", str(config)])
            try:
                await drive(url, fake, min(n, 500), users, 35_000_000)  # the workers start
                run = report("run", *await drive(url, fake, n, users, 36_000_000))
            finally:
                await stop(service)
            print(f"ratio    one process {one / ceiling:6.1%}, casecheck run (the web and the"
                  f" workers' processes) {run / ceiling:6.1%} of the bare handler's updates/s"
                  f" (goal >= 60%)")
            fake.sent.clear()
            service, url = await spawn(["--bot-server", str(write_config(tmp, fake, 30.0)), "1"])
            try:
                await limits(url, fake, limit_chats, 40_000_000)
            finally:
                await stop(service)


def _args() -> Any:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="updates per phase")
    parser.add_argument("--users", type=int, default=200, help="concurrent simulated users")
    parser.add_argument("--limit-chats", type=int, default=300,
                        help="chats in the rate-limit sample (30 messages/s: ~2 s per 30)")
    parser.add_argument("--bare-server", nargs=2, metavar=("BASE_URL", "TOKEN"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--bot-server", nargs=2, metavar=("CONFIG", "CHAT_GAP"),
                        help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    ns = _args()
    # Both servers on the event loop `casecheck run` uses (uvloop when installed).
    from bot.commands.run import fast_loop
    if ns.bare_server:
        with asyncio.Runner(loop_factory=fast_loop()) as runner:
            runner.run(bare_server(*ns.bare_server))
    elif ns.bot_server:
        with asyncio.Runner(loop_factory=fast_loop()) as runner:
            runner.run(bot_server(ns.bot_server[0], float(ns.bot_server[1])))
    else:
        asyncio.run(main(ns.n, ns.users, ns.limit_chats))

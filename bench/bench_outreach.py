"""Benchmark outreach sending: rate held, duplicates, opted-out numbers, memory.

For each scenario (N recipients at R messages/s), on 127.0.0.1 only:

1. a fresh database with N made-up cases (the real importer), 1% of the numbers
   opted out before the launch; the campaign is created and launched (its
   audience materialised in SQL);
2. ``casecheck outreach send`` runs in a separate process against the fake
   Twilio REST API served by this process, which records when each message
   arrived; while it sends, 0.5% more numbers (among the last recipients)
   opt out, as people texting STOP would;
3. printed: achieved rate as a ratio of the configured one (from the first to
   the last accepted message), the most messages in any one-second window,
   duplicates (numbers with more than one message), messages to opted-out
   numbers, and the sender process's peak RSS (VmHWM).

    python bench/bench_outreach.py                 # 10k@1000/s, 100k@1000/s, 100k@100/s
    python bench/bench_outreach.py --n 2000 --rate 200   # one scenario
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime as dt
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.clock import iso  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.outreach import campaigns  # noqa: E402
from bot.storage import optouts  # noqa: E402
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio  # noqa: E402
from tests.test_outreach_support import import_cases, phone  # noqa: E402

SUITE = [(10_000, 1000.0), (100_000, 1000.0), (100_000, 100.0)]


class TimedTwilio(FakeTwilio):
    """The fake Twilio, noting when each message was accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def _create(self, request: web.Request) -> web.Response:
        before = len(self.messages)
        response = await super()._create(request)
        if len(self.messages) > before:
            self.times.append(time.monotonic())
        return response


def daytime_zone() -> str:
    offset = (12 - dt.datetime.now(dt.UTC).hour + 11) % 24 - 11
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


def write_config(tmp: Path, fake_url: str, rate: float) -> Path:
    path = tmp / "casecheck.toml"
    path.write_text(f"""
[storage]
path = "{tmp / 'casecheck.db'}"
[sms]
account_sid = "{ACCOUNT_SID}"
auth_token = "{AUTH_TOKEN}"
from_number = "{FROM_NUMBER}"
api_base_url = "{fake_url}"
[outreach]
sms_rate_per_second = {rate}
timezone = "{daytime_zone()}"
""", encoding="utf-8")
    return path


async def opt_out(app: App, numbers: list[str]) -> None:
    async with app.db.transaction() as conn:
        for number in numbers:
            await optouts.opt_out(conn, "sms", number, "stop", iso(app.clock()))


def peak_rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def busiest_second(times: list[float]) -> int:
    best = 0
    for i, t in enumerate(times):
        best = max(best, bisect.bisect_left(times, t + 1.0) - i)
    return best


async def scenario(n: int, rate: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        fake = TimedTwilio()
        await fake.start()
        try:
            config_path = write_config(tmp, fake.url, rate)
            config = load_config(config_path, env={})
            before = [phone(i) for i in range(0, n, 100)]  # 1%
            during = [phone(i) for i in range(n - 1, n // 2, -200)]  # 0.5%, sent last
            async with await App.create(config) as app:
                started = time.monotonic()
                await import_cases(app.db, tmp, n)
                await opt_out(app, before)
                draft = campaigns.validate(app, name="bench")
                campaign_id = await campaigns.create(app, draft, "bench")
                recipients = await campaigns.launch(app, campaign_id, "bench")
                setup = time.monotonic() - started
                env = {**os.environ, "PYTHONPATH": str(ROOT)}
                env.pop("CASECHECK_CONFIG", None)
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot", "outreach", "send", str(campaign_id),
                    "--config", str(config_path), stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT)
                peak = 0
                opted_during = False
                while proc.returncode is None:
                    peak = max(peak, peak_rss_kib(proc.pid) or 0)
                    if not opted_during and len(fake.messages) > n // 4:
                        await opt_out(app, during)
                        opted_during = True
                    try:
                        await asyncio.wait_for(proc.wait(), 0.25)
                    except TimeoutError:
                        pass
                stderr = (await proc.stderr.read()).decode() if proc.stderr else ""
                if proc.returncode != 0:
                    raise SystemExit(f"sender failed ({proc.returncode}): {stderr[-2000:]}")
                if stderr.strip():
                    print(f"sender stderr: {stderr[-2000:]}", flush=True)
        finally:
            await fake.stop()
    counts = Counter(m.to for m in fake.messages)
    times = fake.times
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    achieved = (len(times) - 1) / span if span else 0.0
    return {
        "n": n, "rate": rate, "recipients": recipients or 0, "sent": len(fake.messages),
        "setup_s": setup, "seconds": span, "achieved": achieved, "ratio": achieved / rate,
        "busiest_second": busiest_second(times),
        "duplicates": sum(1 for c in counts.values() if c > 1),
        "to_opted_out": sum(counts[p] for p in set(before) | set(during)),
        "peak_rss_mib": peak / 1024,
    }


def report(r: dict[str, float]) -> None:
    print(f"{int(r['n']):>7} recipients at {r['rate']:>6.0f}/s: sent {int(r['sent'])} "
          f"of {int(r['recipients'])} in {r['seconds']:.1f} s -> {r['achieved']:.1f}/s "
          f"= {r['ratio']:.1%} of configured; busiest second {int(r['busiest_second'])}; "
          f"duplicates {int(r['duplicates'])}; to opted-out {int(r['to_opted_out'])}; "
          f"sender peak RSS {r['peak_rss_mib']:.1f} MiB (setup {r['setup_s']:.1f} s)",
          flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="recipients (one scenario)")
    parser.add_argument("--rate", type=float, help="messages per second (one scenario)")
    args = parser.parse_args()
    runs = SUITE if args.n is None and args.rate is None else [
        (args.n or 100_000, args.rate or 100.0)]
    for n, rate in runs:
        report(await scenario(n, rate))


if __name__ == "__main__":
    asyncio.run(main())

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
    python bench/bench_outreach.py --mixed --n 2000 --rate 200

``--mixed``: every other number is abroad (Cape Verde), the campaign's channel
is 'mixed' (WhatsApp templates abroad, SMS at home), SMS and WhatsApp each
configured at the rate; the rate is reported overall and per channel.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import csv
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
from bot.registry.importer import import_csv  # noqa: E402
from bot.storage import optouts  # noqa: E402
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER  # noqa: E402
from tests.fakes.twilio_whatsapp import WA_FROM, FakeTwilioWhatsApp  # noqa: E402
from tests.test_outreach_support import COLUMNS, case_row, import_cases, phone  # noqa: E402

SUITE = [(10_000, 1000.0), (100_000, 1000.0), (100_000, 100.0)]


TEMPLATE_SID = "HX" + "0" * 31 + "1"


class TimedTwilio(FakeTwilioWhatsApp):
    """The fake Twilio (SMS and WhatsApp), noting when each message was accepted."""

    def __init__(self) -> None:
        super().__init__(templates={TEMPLATE_SID: "{{1}} has news for you. Call {{2}}."})
        self.times: list[float] = []
        self.channel_times: dict[str, list[float]] = {"sms": [], "whatsapp": []}

    async def _create(self, request: web.Request) -> web.Response:
        before = len(self.messages)
        response = await super()._create(request)
        if len(self.messages) > before:
            now = time.monotonic()
            self.times.append(now)
            channel = "whatsapp" if self.messages[-1].to.startswith("whatsapp:") else "sms"
            self.channel_times[channel].append(now)
        return response


def abroad_phone(i: int) -> str:
    """Every other recipient of a mixed run: a Cape Verde mobile (+238 99x xxxx)."""
    return f"+23899{i // 2:05d}" if i % 2 else phone(i)


async def import_mixed(app: App, tmp: Path, n: int) -> None:
    path = tmp / "mixed.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        for i in range(n):
            writer.writerow({**case_row(i, ("en", "es")[i % 2]), "phone": abroad_phone(i)})
    report = await import_csv(app.db, path, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert report.inserted == n, report


def daytime_zone() -> str:
    offset = (12 - dt.datetime.now(dt.UTC).hour + 11) % 24 - 11
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


def write_config(tmp: Path, fake_url: str, rate: float, mixed: bool = False) -> Path:
    path = tmp / "casecheck.toml"
    # Mixed: recipients abroad keep their own quiet hours; the bench sends around the clock.
    extra = (f'whatsapp_rate_per_second = {rate}\nquiet_start = "00:00"\nquiet_end = "23:59"\n'
             f'[whatsapp]\nfrom_number = "{WA_FROM}"\n'
             f'outreach_templates = {{ en = "{TEMPLATE_SID}" }}\n') if mixed else ""
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
{extra}""", encoding="utf-8")
    return path


async def opt_out(app: App, numbers: list[str], mixed: bool = False) -> None:
    async with app.db.transaction() as conn:
        for number in numbers:
            channel = "whatsapp" if mixed and not number.startswith("+1") else "sms"
            await optouts.opt_out(conn, channel, number, "stop", iso(app.clock()))


def rate_of(times: list[float]) -> float:
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return (len(times) - 1) / span if span else 0.0


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


async def scenario(n: int, rate: float, mixed: bool = False) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        fake = TimedTwilio()
        await fake.start()
        try:
            config_path = write_config(tmp, fake.url, rate, mixed)
            config = load_config(config_path, env={})
            number = abroad_phone if mixed else phone
            before = [number(i) for i in range(0, n, 100)]  # 1%
            during = [number(i) for i in range(n - 1, n // 2, -200)]  # 0.5%, sent last
            async with await App.create(config) as app:
                started = time.monotonic()
                if mixed:
                    await import_mixed(app, tmp, n)
                else:
                    await import_cases(app.db, tmp, n)
                await opt_out(app, before, mixed)
                draft = campaigns.validate(app, name="bench",
                                           channel="mixed" if mixed else "sms")
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
                        await opt_out(app, during, mixed)
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
    counts = Counter(m.to.removeprefix("whatsapp:") for m in fake.messages)
    times = fake.times
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    achieved = (len(times) - 1) / span if span else 0.0
    return {
        "n": n, "rate": rate, "recipients": recipients or 0, "sent": len(fake.messages),
        "setup_s": setup, "seconds": span, "achieved": achieved,
        "ratio": achieved / (rate * (2 if mixed else 1)),  # mixed: two lanes at the rate
        "busiest_second": busiest_second(times),
        "duplicates": sum(1 for c in counts.values() if c > 1),
        "to_opted_out": sum(counts[p] for p in set(before) | set(during)),
        "peak_rss_mib": peak / 1024, "mixed": mixed,
        "sms_sent": len(fake.channel_times["sms"]),
        "sms_rate": rate_of(fake.channel_times["sms"]),
        "whatsapp_sent": len(fake.channel_times["whatsapp"]),
        "whatsapp_rate": rate_of(fake.channel_times["whatsapp"]),
    }


def report(r: dict[str, float]) -> None:
    print(f"{int(r['n']):>7} recipients at {r['rate']:>6.0f}/s: sent {int(r['sent'])} "
          f"of {int(r['recipients'])} in {r['seconds']:.1f} s -> {r['achieved']:.1f}/s "
          f"= {r['ratio']:.1%} of configured; busiest second {int(r['busiest_second'])}; "
          f"duplicates {int(r['duplicates'])}; to opted-out {int(r['to_opted_out'])}; "
          f"sender peak RSS {r['peak_rss_mib']:.1f} MiB (setup {r['setup_s']:.1f} s)",
          flush=True)
    if r["mixed"]:
        print(f"        mixed: {int(r['sms_sent'])} by SMS at {r['sms_rate']:.1f}/s "
              f"({r['sms_rate'] / r['rate']:.1%}), {int(r['whatsapp_sent'])} by WhatsApp at "
              f"{r['whatsapp_rate']:.1f}/s ({r['whatsapp_rate'] / r['rate']:.1%}); "
              f"together {r['achieved']:.1f}/s", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="recipients (one scenario)")
    parser.add_argument("--rate", type=float, help="messages per second (one scenario)")
    parser.add_argument("--mixed", action="store_true",
                        help="half the numbers abroad: WhatsApp there, SMS at home")
    args = parser.parse_args()
    runs = SUITE if args.n is None and args.rate is None else [
        (args.n or 100_000, args.rate or 100.0)]
    for n, rate in runs:
        report(await scenario(n, rate, args.mixed))


if __name__ == "__main__":
    asyncio.run(main())

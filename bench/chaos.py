"""Chaos: kill -9 the service again and again under load; count what got lost.

On 127.0.0.1 only, with real processes:

1. a fake Twilio in its own process (``--provider-delay`` makes it slow, which
   widens the window in which a kill leaves a send in flight);
2. a fresh database: ``--recipients`` made-up cases with phone numbers and a
   launched outreach campaign to all of them, sent by the service itself;
3. ``casecheck run`` (SMS channel, outreach sender) in its own process;
4. ``--inbound`` signed inbound webhooks from ``--senders`` phones, each phone
   texting its messages in order, offered at ``--rate`` per second; a webhook
   that gets no 200 (the service is down) is retried, as Twilio-style
   retries would, until it is acknowledged;
5. meanwhile ``--kills`` times, at random moments, ``kill -9`` of the service
   and a restart after a short pause;
6. a last restart, until every inbound is handled, every reply settled and the
   campaign done; then the fake's record of what it accepted is compared with
   the database.

Printed, for the inbound replies and for the campaign: sent (offered to us),
acknowledged, lost (acknowledged, never stored / never sent), duplicated (more
messages at the provider than we meant), never answered, partly answered, and
the replies left for staff to decide (listed in the console).

    python bench/chaos.py                           # small: 500 inbound, 500 recipients, 3 kills
    python bench/chaos.py --inbound 2000 --recipients 2000 --kills 5
    python bench/chaos.py --inbound 10000 --recipients 10000 --kills 10   # the issue's size
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from bench.bench_outreach import daytime_zone  # noqa: E402
from tests.fakes.twilio_api import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    PUBLIC_URL,
    FakeTwilio,
    inbound_params,
)

# What each phone texts, in order: a conversation from hello to a topic.
WORDS = ["hi", "1", "3", "menu", "2", "hello", "4", "1", "menu", "5"]
INBOUND_PREFIX = "+1508"


# -- the fake Twilio, in its own process --------------------------------------------------
async def fake_twilio(delay: float) -> None:
    """Serve the fake; on stdin: the service URL (for callbacks), then 'dump PATH' lines
    (write every accepted message as JSON lines, answer 'dumped')."""
    fake = FakeTwilio(callbacks=("sent", "delivered"), send_delay=delay)
    await fake.start()
    print(f"serving on {fake.url}; fake twilio", flush=True)
    while line := (await asyncio.to_thread(sys.stdin.readline)).strip():
        if line.startswith("dump "):
            with open(line[5:], "w", encoding="utf-8") as fh:
                for m in fake.messages:
                    fh.write(json.dumps({"sid": m.sid, "to": m.to, "body": m.body}) + "\n")
            print("dumped", flush=True)
        else:
            fake.webhook_base = line


# -- processes -------------------------------------------------------------------------------
async def spawn(args: list[str], log: Path | None = None,
                stdin: bool = False) -> tuple[asyncio.subprocess.Process, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECHECK_")}
    err = log.open("ab") if log else asyncio.subprocess.DEVNULL
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, env=env,
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=err)
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
    if "serving on " not in line:
        raise SystemExit(f"did not start: {line!r} (see {log})")
    return proc, line.split("serving on ", 1)[1].split(";", 1)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp: Path, fake_url: str, port: int) -> Path:
    path = tmp / "chaos.toml"
    path.write_text(f"""
[storage]
path = "{tmp / 'chaos.db'}"
[server]
host = "127.0.0.1"
port = {port}
[console]
enabled = false
[sms]
enabled = true
account_sid = "{ACCOUNT_SID}"
auth_token = "{AUTH_TOKEN}"
from_number = "{FROM_NUMBER}"
public_url = "{PUBLIC_URL}"
api_base_url = "{fake_url}"
rate_per_second = 400.0
[outreach]
sms_rate_per_second = 200.0
timezone = "{daytime_zone()}"
""", encoding="utf-8")
    return path


async def launch_campaign(config_path: Path, tmp: Path, recipients: int) -> None:
    from bot.app import App
    from bot.config import load_config
    from bot.outreach import campaigns
    from tests.test_outreach_support import import_cases

    async with await App.create(load_config(config_path, env={})) as app:
        await import_cases(app.db, tmp, recipients)
        campaign_id = await campaigns.create(app, campaigns.validate(app, name="chaos"), "chaos")
        await campaigns.launch(app, campaign_id, "chaos")


# -- inbound load ------------------------------------------------------------------------------
@dataclass
class Load:
    plan: list[list[tuple[str, bytes, str]]]  # per phone: (MessageSid, body, signature)
    acked: set[str] = field(default_factory=set)
    retries: int = 0


def build_load(n: int, senders: int) -> Load:
    validator = RequestValidator(AUTH_TOKEN)
    url = PUBLIC_URL + "/sms/inbound"
    plan: list[list[tuple[str, bytes, str]]] = [[] for _ in range(senders)]
    for i in range(n):
        s = i % senders
        sid = f"SM{i:032x}"
        params = inbound_params(f"{INBOUND_PREFIX}{5_000_000 + s:07d}",
                                WORDS[len(plan[s]) % len(WORDS)], sid=sid)
        plan[s].append((sid, urlencode(params).encode(), validator.compute_signature(url, params)))
    return Load(plan)


async def drive(url: str, load: Load, rate: float) -> None:
    """Each phone texts in order at its share of ``rate``; retry until acknowledged."""
    interval = len(load.plan) / rate
    connector = aiohttp.TCPConnector(limit=200)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.monotonic()

        async def phone(i: int, messages: list[tuple[str, bytes, str]]) -> None:
            for k, (sid, body, signature) in enumerate(messages):
                due = start + (k + i / len(load.plan)) * interval
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                while True:
                    try:
                        async with session.post(
                                url + "/sms/inbound", data=body,
                                headers={"X-Twilio-Signature": signature, "Content-Type":
                                         "application/x-www-form-urlencoded"}) as r:
                            await r.read()
                            if r.status == 200:
                                load.acked.add(sid)
                                break
                    except (aiohttp.ClientError, TimeoutError):
                        pass
                    load.retries += 1
                    await asyncio.sleep(0.3)

        await asyncio.gather(*(phone(i, m) for i, m in enumerate(load.plan)))


# -- the service, killed -------------------------------------------------------------------------
class Service:
    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self) -> str:
        self.proc, self.url = await spawn(["-m", "bot", "run", "--config", str(self.config)],
                                          self.log)
        return self.url

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.proc.wait(), 60)


async def chaos(service: Service, kills: int, window: float, rng: random.Random) -> int:
    """``kills`` kill -9s at random moments over ``window`` seconds, each restarted."""
    moments = sorted(rng.uniform(0.5, max(window, 1.0)) for _ in range(kills))
    started = time.monotonic()
    for at in moments:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        await service.kill()
        await asyncio.sleep(rng.uniform(0.1, 0.8))
        await service.start()
    return len(moments)


def settled(db: Path) -> bool:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        waiting = conn.execute(
            "SELECT (SELECT COUNT(*) FROM inbox WHERE status='pending')"
            " + (SELECT COUNT(*) FROM outbox WHERE status IN ('pending','sending')"
            "    OR (status='unknown' AND error_code='interrupted'))"
            " + (SELECT COUNT(*) FROM campaigns WHERE state NOT IN ('done','cancelled'))"
            ).fetchone()[0]
    return waiting == 0


# -- counting --------------------------------------------------------------------------------
def count(db: Path, dump: Path, load: Load) -> dict[str, dict[str, int]]:
    accepted = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    by_sid = {m["sid"]: m for m in accepted}
    offered = {sid for messages in load.plan for sid, _, _ in messages}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        stored = {r[0] for r in conn.execute("SELECT provider_id FROM inbox WHERE channel='sms'")}
        turns = conn.execute(
            "SELECT i.id, i.status, o.id AS oid, o.status AS ostatus, o.provider_id"
            " FROM inbox i LEFT JOIN outbox o ON o.inbox_id=i.id AND o.channel='sms'"
            " AND o.address=i.address WHERE i.channel='sms' ORDER BY i.id").fetchall()
        reply_sids = {r[0] for r in conn.execute(
            "SELECT provider_id FROM outbox WHERE provider_id IS NOT NULL")}
        unknown = Counter(r[0] for r in conn.execute(
            "SELECT address FROM outbox WHERE status='unknown'"))
        recipients = conn.execute(
            "SELECT address, state, provider_id FROM outreach_recipients").fetchall()
    replies: dict[int, list[bool]] = {}
    for t in turns:
        got = replies.setdefault(t["id"], [])
        if t["oid"] is not None:
            got.append(t["provider_id"] in by_sid)
    inbound_msgs = [m for m in accepted if m["to"].startswith(INBOUND_PREFIX)]
    # A message we hold no record of is an unsettled reply's (one per unknown row of
    # that number), or else a second copy.
    duplicated = 0
    unclaimed = Counter(unknown)
    for m in inbound_msgs:
        if m["sid"] in reply_sids:
            continue
        if unclaimed[m["to"]]:
            unclaimed[m["to"]] -= 1
        else:
            duplicated += 1
    campaign_msgs = [m for m in accepted if not m["to"].startswith(INBOUND_PREFIX)]
    campaign_sids = {r["provider_id"] for r in recipients if r["provider_id"]}
    per_number = Counter(m["to"] for m in campaign_msgs)
    sent_states = ("sent", "delivered")
    return {
        "inbound replies": {
            "sent": len(offered),
            "acknowledged": len(load.acked),
            "lost": len(load.acked - stored),
            "duplicated": duplicated,
            "never answered": sum(1 for got in replies.values() if not any(got)),
            "partly answered": sum(1 for got in replies.values() if any(got) and not all(got)),
            "left for staff": sum(unknown.values()),
        },
        "campaign": {
            "sent": len(recipients),
            "acknowledged": sum(1 for r in recipients if r["state"] in sent_states),
            "lost": sum(1 for r in recipients if r["state"] in sent_states
                        and r["provider_id"] not in by_sid),
            "duplicated": sum(c - 1 for c in per_number.values() if c > 1)
            + sum(1 for m in campaign_msgs if m["sid"] not in campaign_sids
                  and per_number[m["to"]] == 1),
            "never answered": sum(1 for r in recipients if r["state"] not in ("skipped",)
                                  and per_number[r["address"]] == 0),
            "partly answered": 0,
            "left for staff": sum(1 for r in recipients if r["state"] == "sending"),
        },
    }


def table(counts: dict[str, dict[str, int]]) -> str:
    columns = list(next(iter(counts.values())))
    head = f"{'':<16}" + "".join(f"{c:>16}" for c in columns)
    rows = [f"{name:<16}" + "".join(f"{v:>16,}" for v in values.values())
            for name, values in counts.items()]
    return "\n".join([head, *rows])


async def main(ns: argparse.Namespace) -> None:
    rng = random.Random(ns.seed)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        log = tmp / "service.log"
        fake, fake_url = await spawn([str(Path(__file__)), "--fake-twilio",
                                      str(ns.provider_delay)], stdin=True)
        assert fake.stdin is not None
        try:
            config = write_config(tmp, fake_url, free_port())
            await launch_campaign(config, tmp, ns.recipients)
            service = Service(config, log)
            url = await service.start()
            fake.stdin.write(f"{url}\n".encode())
            await fake.stdin.drain()
            load = build_load(ns.inbound, ns.senders)
            window = ns.inbound / ns.rate
            print(f"{ns.inbound} inbound from {ns.senders} phones at {ns.rate:.0f}/s, a campaign"
                  f" to {ns.recipients}, {ns.kills} kill -9s over {window:.0f} s, provider"
                  f" delay {ns.provider_delay * 1000:.0f} ms", flush=True)
            started = time.monotonic()
            killed, _ = await asyncio.gather(chaos(service, ns.kills, window, rng),
                                             drive(url, load, ns.rate))
            while not settled(tmp / "chaos.db"):
                if time.monotonic() - started > ns.timeout:
                    print("did not settle in time; counting as it is", flush=True)
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # status callbacks in flight
            await service.stop()
            took = time.monotonic() - started
            dump = tmp / "accepted.jsonl"
            fake.stdin.write(f"dump {dump}\n".encode())
            await fake.stdin.drain()
            assert fake.stdout is not None
            await asyncio.wait_for(fake.stdout.readline(), 60)
            counts = count(tmp / "chaos.db", dump, load)
            warnings = [line for line in log.read_text(errors="replace").splitlines()
                        if "settled" in line or "reconciled" in line]
        finally:
            fake.terminate()
            await fake.wait()
    print(f"{killed} kills, {load.retries} webhook retries, {took:.0f} s in all")
    print(table(counts))
    for line in warnings[-12:]:
        print("  log:", line.split(" ", 2)[-1][:150])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inbound", type=int, default=500, help="inbound webhooks in all")
    parser.add_argument("--senders", type=int, default=100, help="phones texting us")
    parser.add_argument("--rate", type=float, default=100.0, help="inbound webhooks offered/s")
    parser.add_argument("--recipients", type=int, default=500, help="campaign recipients")
    parser.add_argument("--kills", type=int, default=3, help="kill -9s during the load")
    parser.add_argument("--provider-delay", type=float, default=0.05,
                        help="seconds the fake Twilio takes per send")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds to wait for everything to settle")
    parser.add_argument("--fake-twilio", metavar="DELAY", type=float, help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.fake_twilio is not None:
        asyncio.run(fake_twilio(ns.fake_twilio))
    else:
        asyncio.run(main(ns))

"""Campaigns across two ``casecheck run`` processes on one PostgreSQL database (issue 13):
one of them leads and sends, the leader is ``kill -9``ed mid-campaign, the other takes
over. Every recipient gets the message exactly once, and the send rate, measured
where the messages arrive (the fake Twilio), never goes above the configured one,
though two campaigns are due at once (without one leader, each instance would send
one of them at the full rate)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections import Counter
from pathlib import Path

from bot.app import App
from bot.config import load_config
from bot.outreach import campaigns
from bot.storage import leaders as leader_store
from bot.storage import outreach as store
from bot.storage.outreach import Audience
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio
from tests.test_outreach_cli import daytime_zone
from tests.test_outreach_support import LABS, import_cases, phone

ROOT = Path(__file__).resolve().parent.parent
RATE = 25  # sends a second, for the whole deployment
CASES = 200  # eight seconds of sending
KILL_AFTER = 60  # sends before the leader dies
# Arrival at the fake lags the start of a send by a varying few milliseconds, so a
# window of arrivals may catch one send more than the pacer started in it.
JITTER = 1


def write_config(tmp_path: Path, url: str, fake_url: str) -> Path:
    path = tmp_path / "casecheck.toml"
    path.write_text(f"""
[storage]
url = "{url}"
[sms]
enabled = true
account_sid = "{ACCOUNT_SID}"
auth_token = "{AUTH_TOKEN}"
from_number = "{FROM_NUMBER}"
api_base_url = "{fake_url}"
public_url = "https://sms.example.org"
[outreach]
sms_rate_per_second = {RATE}
timezone = "{daytime_zone()}"
retry_seconds = 0.05
[logging]
level = "WARNING"
""", encoding="utf-8")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_instance(config: Path, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CASECHECK_SERVER_PORT": str(_free_port())}
    env.pop("CASECHECK_CONFIG", None)
    with log.open("wb") as err:  # a file, not a pipe nobody reads while it runs
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config),
            stdout=asyncio.subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)


async def stop(proc: asyncio.subprocess.Process, log: Path) -> bytes:
    """SIGTERM, then SIGKILL if it lingers; what it wrote to stderr."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), 15)
    except TimeoutError:
        proc.kill()
        await proc.wait()
    return log.read_bytes()


async def wait_until(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (found := await check()) is None or found is False:
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return found


def most_in_a_window(times: list[float], seconds: float) -> int:
    """The largest number of ``times`` inside any window ``seconds`` long."""
    times, most, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


async def test_a_campaign_survives_its_leader_killed_once_each_never_above_the_rate(
        tmp_path: Path, pg_url: str):
    async with FakeTwilio() as fake:
        config_path = write_config(tmp_path, pg_url, fake.url)
        config = load_config(config_path, env={})
        app = await App.create(config)
        procs: list[asyncio.subprocess.Process] = []
        logs = [tmp_path / "one.log", tmp_path / "two.log"]
        try:
            await import_cases(app.db, tmp_path, CASES)
            ids = [await campaigns.create(app, campaigns.Draft(lab, Audience(labs=(lab,)), {},
                                                               None), "cli") for lab in LABS]
            procs = [await start_instance(config_path, log) for log in logs]

            async def leader() -> str | None:
                row = await leader_store.current(app.db, "outreach")
                return str(row["holder"]) if row else None

            await wait_until(leader, 30, "a leader")
            for campaign_id in ids:
                assert await campaigns.launch(app, campaign_id, "cli") == CASES // 2
            await fake.wait_for(KILL_AFTER, timeout=30)
            holder = await leader()
            assert holder is not None
            victim = next(p for p in procs if holder.endswith(f":{p.pid}"))
            victim.send_signal(signal.SIGKILL)
            await victim.wait()
            killed_at = asyncio.get_running_loop().time()
            sent_before = len(fake.messages)

            async def new_leader() -> str | None:
                holder_now = await leader()
                return holder_now if holder_now != holder else None

            survivor = next(p for p in procs if p is not victim)
            assert (await wait_until(new_leader, 10, "a new leader")).endswith(
                f":{survivor.pid}")

            async def done() -> bool:
                states = [(await store.get(app.db, i) or {"state": None})["state"] for i in ids]
                return states == ["done", "done"]

            await wait_until(done, 40, "the campaign to finish")
        finally:
            errors = [await stop(p, log) for p, log in zip(procs, logs, strict=False)]
            await app.close()
    counts = Counter(m.to for m in fake.messages)
    assert set(counts) == {phone(i) for i in range(CASES)}  # no one missed
    assert set(counts.values()) == {1}, [n for n, c in counts.items() if c > 1]  # nor twice
    assert sent_before < CASES  # the kill did land mid-campaign
    times = [m.at for m in fake.messages]
    assert most_in_a_window(times, 1.0) <= RATE + JITTER
    assert most_in_a_window(times, 5.0) <= 5 * RATE + JITTER
    resumed = min(t for t in times if t > killed_at)
    assert resumed - killed_at < 5.0  # taken over within seconds
    assert not any(b"Traceback" in err for err in errors), errors

"""``casecheck outreach`` as an advocate or operator uses it, including kill -9 mid-send."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.config import load_config
from bot.storage import outreach as store
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio
from tests.test_outreach_support import import_cases, phone, write_cases

ROOT = Path(__file__).resolve().parent.parent


def daytime_zone() -> str:
    """A fixed-offset zone where it is now about noon: quiet hours never get in the way."""
    offset = (12 - dt.datetime.now(dt.UTC).hour + 11) % 24 - 11  # -11..12
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


def write_config(tmp_path: Path, fake_url: str = "http://127.0.0.1:9", *, rate: float = 100.0,
                 timezone: str | None = None) -> Path:
    path = tmp_path / "casecheck.toml"
    path.write_text(f"""
[storage]
path = "{tmp_path / 'casecheck.db'}"
[sms]
account_sid = "{ACCOUNT_SID}"
auth_token = "{AUTH_TOKEN}"
from_number = "{FROM_NUMBER}"
api_base_url = "{fake_url}"
[outreach]
sms_rate_per_second = {rate}
timezone = "{timezone or daytime_zone()}"
retry_seconds = 0.05
""", encoding="utf-8")
    return path


def cli(*args: str, config: Path) -> int:
    return main(["outreach", *args, "--config", str(config)])


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    config = write_config(tmp_path)
    csv_path = write_cases(tmp_path / "cases.csv", 40, ("en", "es"))
    assert main(["registry", "import", str(csv_path), "--config", str(config)]) == 0
    return config


def test_create_preview_status_and_state_changes(registry: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli("create", "--name", "Hinton dismissed", "--lab", "Hinton", "--status",
               "dismissed", "--text", "es=Hola de {org}. Responda SI. Responda PARAR para salir.",
               config=registry) == 0
    out = capsys.readouterr().out
    assert out.startswith("campaign 1 created (draft)")
    assert "recipients: 10;" in out  # 40 cases, Hinton (even), dismissed (i % 4 in 0, 1)
    assert "[es] Español: 10 by SMS" not in out  # Hinton cases are the even ones: all en
    assert "[en] English: 10 by SMS, 0 by Telegram; 1 segment(s) (GSM-7)" in out
    assert "Hola de Case Help Project (demo). Responda SI." in out
    assert "gives the case away" not in out  # the default name is neutral
    assert "+1617" not in out and "Person" not in out  # no personal data

    assert cli("status", "1", config=registry) == 0
    out = capsys.readouterr().out
    assert "[------------------------------]   0% 0/10" in out and "(Draft)" in out
    assert cli("pause", "1", config=registry) == 1
    assert "is draft: cannot pause it" in capsys.readouterr().err
    assert cli("cancel", "1", config=registry) == 0
    assert capsys.readouterr().out == "campaign 1: cancelled\n"
    assert cli("list", config=registry) == 0
    assert "Cancelled" in capsys.readouterr().out


def test_bad_input_is_refused_with_a_clear_message(registry: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli("create", "--name", "x", "--text", "en=Hello {name}", config=registry) == 1
    assert "Unknown placeholder {name}" in capsys.readouterr().err
    assert cli("create", "--name", "x", "--start", "tomorrow", config=registry) == 1
    assert "start time must look like" in capsys.readouterr().err
    assert cli("create", "--name", "x", "--text", "xx=Hola", config=registry) == 1
    assert "No such language: xx" in capsys.readouterr().err
    assert cli("status", "99", config=registry) == 1
    assert cli("list", config=registry) == 0
    assert capsys.readouterr().out == "no campaigns\n"  # nothing half-created


async def _run(config: Path, *args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CASECHECK_CONFIG", None)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "outreach", *args, "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT)


async def _finish(proc: asyncio.subprocess.Process, timeout: float) -> tuple[bytes, bytes]:
    """Wait for a subprocess; kill it if it outlives the test (never leave one behind)."""
    try:
        return await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_kill_9_mid_send_then_restart_sends_each_person_exactly_once(tmp_path: Path):
    n = 400
    async with FakeTwilio() as fake:
        config_path = write_config(tmp_path, fake.url, rate=100.0)
        config = load_config(config_path, env={})
        async with await App.create(config) as app:
            await import_cases(app.db, tmp_path, n)
        await _finish(await _run(config_path, "create", "--name", "All"), 30)

        sender = await _run(config_path, "send", "1")
        try:
            await fake.wait_for(120, timeout=60)
        finally:
            sender.send_signal(signal.SIGKILL)
            await sender.wait()
        assert sender.returncode == -signal.SIGKILL
        killed_at = len(fake.messages)
        async with await App.create(config) as app:
            in_doubt = await store.in_doubt(app.db, 1)
            campaign = await store.get(app.db, 1)
        assert campaign["state"] == "running" and campaign["runner"]  # the dead one's lease
        assert in_doubt  # claimed and maybe sent: the restart must not send these blindly

        again = await _run(config_path, "send", "1")
        out, err = await _finish(again, 120)
        assert again.returncode == 0, err.decode()
    counts = Counter(m.to for m in fake.messages)
    assert killed_at < n
    assert len(counts) == n and set(counts.values()) == {1}
    assert {phone(i) for i in range(n)} == set(counts)
    lines = out.decode().splitlines()
    assert lines[-1] == "campaign 1: done"
    assert "\r" not in out.decode()  # not a terminal: plain lines, no redraws
    assert any(line.startswith("[##############################] 100% 400/400  sent 400")
               for line in lines)

"""The service: /healthz, enabled channels, extensions, `casecheck run`, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.app import App
from bot.config import ConfigError
from bot.server import APP, Service, enabled_channels
from tests.fakes.twilio_api import (
    PUBLIC_URL,
    FakeTwilio,
    inbound_params,
    post_inbound,
    sms_config,
)

ROOT = Path(__file__).resolve().parent.parent


async def get_json(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.json()


async def test_healthz_answers_while_the_database_does(config, clock):
    app = await App.create(config, clock=clock)
    service = Service(app, host="127.0.0.1", port=0)
    await service.start()
    try:
        assert service.port and service.port != 0
        assert await get_json(service.url + "/healthz") == (
            200, {"status": "ok", "channels": []})
        await app.db.close()
        status, body = await get_json(service.url + "/healthz")
        assert (status, body["status"]) == (503, "unavailable")
    finally:
        await service.stop()
        await app.close()


async def test_no_channel_is_enabled_by_default(app):
    assert enabled_channels(app) == []


async def test_sms_enabled_without_credentials_names_the_missing_keys(config, clock):
    app = await App.create(config.replace("sms", "enabled", True), clock=clock)
    try:
        with pytest.raises(ConfigError, match=r"\[sms\] auth_token.*\[sms\] public_url"):
            enabled_channels(app)
    finally:
        await app.close()


async def test_sms_enabled_gives_the_sms_channel(config, clock):
    async with FakeTwilio() as fake:
        app = await App.create(sms_config(config, fake), clock=clock)
        try:
            assert [ch.name for ch in enabled_channels(app)] == ["sms"]
        finally:
            await app.close()


async def test_extensions_mount_their_routes(app):
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"db": request.app[APP].db.path == app.db.path})

    def mount(casecheck: App, web_app: web.Application) -> None:
        web_app.router.add_get("/hello", hello)

    service = Service(app, port=0, extensions=[mount])
    await service.start()
    try:
        assert await get_json(service.url + "/hello") == (200, {"db": True})
    finally:
        await service.stop()


def write_config(path: Path, db: Path, extra: str = "") -> Path:
    path.write_text(f'[storage]\npath = "{db}"\n[server]\nhost = "127.0.0.1"\nport = 0\n{extra}',
                    encoding="utf-8")
    return path


async def start_run(config_file: Path,
                    *options: str) -> tuple[asyncio.subprocess.Process, str, str]:
    """Start `casecheck run [options]` in a subprocess; return it and the URL it serves."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECHECK_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *options, "--config", str(config_file), cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
    if "serving on http://127.0.0.1:" not in line:
        _, err = await asyncio.wait_for(proc.communicate(), 20)
        raise AssertionError(f"casecheck run did not start: {line!r} {err.decode()[-2000:]}")
    url = line.split("serving on ", 1)[1].split(";", 1)[0]
    return proc, line, url


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_run_serves_healthz_and_stops_cleanly_on_a_signal(tmp_path, sig):
    proc, line, url = await start_run(write_config(tmp_path / "c.toml", tmp_path / "c.db"))
    try:
        assert "channels: none" in line
        assert (await get_json(url + "/healthz"))[0] == 200
        proc.send_signal(sig)
        out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert "stopped" in out.decode()
    assert "Traceback" not in err.decode()


async def test_kill_9_after_the_acknowledgement_still_answers_once(tmp_path):
    async with FakeTwilio() as fake, aiohttp.ClientSession() as session:
        extra = (f'[sms]\nenabled = true\naccount_sid = "{fake.account_sid}"\n'
                 f'auth_token = "{fake.auth_token}"\nfrom_number = "+16175550100"\n'
                 f'public_url = "{PUBLIC_URL}"\napi_base_url = "{fake.url}"\n'
                 f'rate_per_second = 100.0\n')
        config_file = write_config(tmp_path / "c.toml", tmp_path / "c.db", extra)
        proc, line, url = await start_run(config_file)
        fake.webhook_base = url
        assert "channels: sms" in line
        status, _ = await post_inbound(session, url, PUBLIC_URL,
                                       inbound_params("+16175550199", "hi"))
        proc.kill()  # SIGKILL right after the 200: no chance to clean up
        await proc.wait()
        assert status == 200
        proc, line, url = await start_run(config_file)
        try:
            fake.webhook_base = url
            await fake.wait_for(1, timeout=10)
            await asyncio.sleep(0.5)
            await fake.settle()
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.communicate(), 20)
    texts = fake.texts_to("+16175550199")
    assert len(texts) == 1  # the greeting is one SMS
    assert "checks if your case" in texts[0]

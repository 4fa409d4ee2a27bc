"""A campaign that cannot send is refused at launch, with the same words in the CLI
and the console; quiet hours read the same in both."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.cli import main
from bot.commands.outreach import state_text
from bot.config import load_config
from bot.outreach import campaigns
from bot.storage import outreach as store
from bot.web import outreach as outreach_pages
from bot.web import setup_console
from tests.fakes.twilio_api import FakeTwilio
from tests.test_outreach_cli import daytime_zone, write_config
from tests.test_outreach_support import import_cases, outreach_config, write_cases
from tests.web_support import post_form, signed_in

NOT_SET_UP = ("This campaign cannot send: SMS outreach needs [sms] account_sid, "
              "[sms] auth_token, [sms] from_number (or messaging_service_sid).")
NIGHT = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)  # 03:00 in Boston


def night_zone() -> str:
    """A fixed-offset zone where it is now about midnight (quiet hours)."""
    day = daytime_zone()
    offset = int(day.removeprefix("Etc/GMT") or 0)
    return f"Etc/GMT{(offset + 12 + 11) % 24 - 11:+d}"


def cli(*args: str, config: Path) -> int:
    return main(["outreach", *args, "--config", str(config)])


@pytest.fixture
def no_sms(tmp_path: Path) -> Path:
    """A registry and a configuration without any SMS account."""
    path = tmp_path / "casecheck.toml"
    path.write_text(f'[storage]\npath = "{tmp_path / "casecheck.db"}"\n', encoding="utf-8")
    cases = write_cases(tmp_path / "cases.csv", 8, ("en",))
    assert main(["registry", "import", str(cases), "--config", str(path)]) == 0
    return path


def test_cli_refuses_to_launch_what_cannot_send_and_says_why(
        no_sms: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("create", "--name", "All", config=no_sms) == 0
    capsys.readouterr()
    assert cli("send", "1", config=no_sms) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == f"casecheck: {NOT_SET_UP}"
    assert "launched" not in captured.out
    assert cli("list", config=no_sms) == 0
    assert "Draft" in capsys.readouterr().out  # nothing launched


def test_cli_test_send_without_sms_says_why(no_sms: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("create", "--name", "All", config=no_sms) == 0
    capsys.readouterr()
    assert cli("test-send", "1", "--to", "+16175550100", config=no_sms) == 1
    assert capsys.readouterr().err.strip() == f"casecheck: {NOT_SET_UP}"


def test_cli_refuses_an_empty_audience(no_sms: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("create", "--name", "None", "--lab", "Nowhere", config=no_sms) == 0
    capsys.readouterr()
    assert cli("send", "1", config=no_sms) == 1
    assert "No one matches this campaign's audience" in capsys.readouterr().err


def test_cli_status_in_quiet_hours_says_what_the_console_says(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, timezone=night_zone())
    cases = write_cases(tmp_path / "cases.csv", 4, ("en",))
    assert main(["registry", "import", str(cases), "--config", str(config)]) == 0
    assert cli("create", "--name", "Night", config=config) == 0

    async def launch() -> None:
        async with await App.create(load_config(config, env={})) as app:
            assert await campaigns.launch(app, 1, "test") == 4
    asyncio.run(launch())
    capsys.readouterr()
    assert cli("status", "1", config=config) == 0
    assert "(Scheduled · Waiting: quiet hours)" in capsys.readouterr().out


# -- the console ---------------------------------------------------------------------

async def _client(app: App) -> TestClient:
    web_app = web.Application()
    setup_console(app, web_app)
    outreach_pages.setup(app, web_app)
    client = TestClient(TestServer(web_app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def bare_app(config: Any, tmp_path: Path) -> AsyncIterator[App]:
    application = await App.create(config)  # no SMS account configured
    await import_cases(application.db, tmp_path, 8, ("en",))
    try:
        yield application
    finally:
        await application.close()


async def test_console_refuses_to_launch_what_cannot_send_with_the_cli_s_words(bare_app):
    client = await _client(bare_app)
    try:
        await signed_in(bare_app, client, "advocate@example.org", "advocate")
        created = await post_form(client, "/console/outreach/new",
                                  {"name": "All", "channel": "sms"},
                                  page="/console/outreach/new")
        path = created.headers["Location"].split("?")[0]
        resp = await post_form(client, f"{path}/launch", page=path)
        assert resp.status == 409
        page = await resp.text()
        assert NOT_SET_UP in page.replace("&#39;", "'").replace("&amp;", "&")
        assert (await store.get(bare_app.db, 1))["state"] == "draft"
        test = await post_form(client, f"{path}/test", {"phone": "+16175550100",
                                                        "locale": "en"}, page=path)
        assert test.status == 409
        assert NOT_SET_UP in (await test.text()).replace("&#39;", "'").replace("&amp;", "&")
    finally:
        await client.close()


async def test_console_and_cli_show_quiet_hours_alike(config: Any, tmp_path: Path):
    async with FakeTwilio() as fake:
        app = await App.create(outreach_config(config, fake,
                                               **{"outreach.timezone": "America/New_York"}),
                               clock=lambda: NIGHT)
        await import_cases(app.db, tmp_path, 8, ("en",))
        client = await _client(app)
        try:
            await signed_in(app, client, "advocate@example.org", "advocate")
            created = await post_form(client, "/console/outreach/new",
                                      {"name": "All", "channel": "sms"},
                                      page="/console/outreach/new")
            path = created.headers["Location"].split("?")[0]
            assert (await post_form(client, f"{path}/launch", page=path)).status == 303
            page = await (await client.get(path)).text()
            assert "Scheduled" in page and "Waiting: quiet hours" in page
            listing = await (await client.get("/console/outreach")).text()
            assert "Waiting: quiet hours" in listing  # the list says it as the CLI's list
            assert state_text(app, "scheduled") == "Scheduled · Waiting: quiet hours"
            assert state_text(app, "draft") == "Draft"
        finally:
            await client.close()
            await app.close()

"""Small hardening: owner-only data directories, a Server header without versions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import aiohttp

from bot.app import App
from bot.server import Service
from bot.storage import Database


async def test_the_data_directory_is_owner_only_whatever_the_umask(tmp_path: Path):
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    os.chmod(existing, 0o755)
    path = existing / "new" / "deeper" / "casecheck.db"
    old = os.umask(0)
    try:
        async with await Database.open(path):
            pass
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(path.parent) == mode(path.parent.parent) == 0o700
    assert mode(path) == 0o600
    assert mode(existing) == 0o755  # a directory that was there is not ours to change


async def test_no_response_names_aiohttp_or_a_version(config, clock):
    app = await App.create(config, clock=clock)
    service = Service(app, host="127.0.0.1", port=0)
    await service.start()
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("/healthz", "/console/login", "/nowhere"):
                async with session.get(service.url + path, allow_redirects=False) as resp:
                    server = resp.headers.get("Server", "")
                    assert server == "casecheck", (path, server)
    finally:
        await service.stop()
        await app.close()

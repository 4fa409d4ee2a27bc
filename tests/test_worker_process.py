"""`casecheck run`: the web server and the workers in two processes sharing the database."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.app import App
from bot.clock import iso, utcnow
from bot.config import load_config
from bot.config_sections import MAX_WORKERS
from bot.model import Inbound
from bot.storage import inbox
from tests.fakes.twilio_api import PUBLIC_URL, FakeTwilio, inbound_params, post_inbound
from tests.test_outbox_recovery import sms_extra
from tests.test_server import ROOT, start_run, write_config

DANA = "+16175550166"


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(c) for c in task.read_text().split()]
    return found


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"
    except OSError:
        return False


async def workers_of(pid: int, count: int = 1) -> list[int]:
    async with asyncio.timeout(10):
        while True:
            found = [c for c in children(pid) if "--role workers" in cmdline(c)]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_by_default_both_processes_run_answer_a_text_and_stop_on_a_signal(tmp_path, sig):
    async with FakeTwilio() as fake, aiohttp.ClientSession() as session:
        config = write_config(tmp_path / "c.toml", tmp_path / "c.db", sms_extra(fake))
        proc, _, url = await start_run(config)
        try:
            fake.webhook_base = url
            [worker] = await workers_of(proc.pid)
            assert worker != proc.pid
            async with asyncio.timeout(10):  # the web process goes first
                while niceness(worker) <= niceness(proc.pid):
                    await asyncio.sleep(0.05)
            status, _ = await post_inbound(session, url, PUBLIC_URL, inbound_params(DANA, "hi"))
            assert status == 200
            await fake.wait_for(1, timeout=10)  # answered by the workers' process
            assert "checks if your case" in fake.texts_to(DANA)[0]
            proc.send_signal(sig)
            out, _ = await asyncio.wait_for(proc.communicate(), 30)
        finally:
            if proc.returncode is None:
                proc.kill()
        assert proc.returncode == 0 and b"casecheck: stopped" in out
        assert not alive(worker)


async def test_the_workers_die_with_a_killed_web_process(tmp_path):
    proc, _, _ = await start_run(write_config(tmp_path / "c.toml", tmp_path / "c.db"))
    [worker] = await workers_of(proc.pid)
    proc.kill()
    await proc.wait()
    async with asyncio.timeout(10):
        while alive(worker):
            await asyncio.sleep(0.05)


async def test_one_process_runs_no_workers_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECHECK_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--one-process", "--config",
        str(write_config(tmp_path / "c.toml", tmp_path / "c.db")), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert b"serving on" in line
        await asyncio.sleep(0.5)
        assert children(proc.pid) == []
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 0


async def test_several_workers_processes_share_the_turns_once_each(tmp_path):
    async with FakeTwilio() as fake, aiohttp.ClientSession() as session:
        db = tmp_path / "c.db"
        config = write_config(tmp_path / "c.toml", db, sms_extra(fake))
        proc, _, url = await start_run(config, "--workers", "2")
        try:
            fake.webhook_base = url
            workers = await workers_of(proc.pid, 2)
            assert len(workers) == 2 and proc.pid not in workers
            senders = [f"+1617555{n:04d}" for n in range(30)]
            for number in senders:
                status, _ = await post_inbound(session, url, PUBLIC_URL,
                                               inbound_params(number, "hi"))
                assert status == 200
            await fake.wait_for(len(senders), timeout=20)
            await asyncio.sleep(0.5)  # a second answer to anyone would arrive by now
            assert sorted(m.to for m in fake.messages) == senders
            with sqlite3.connect(db) as conn:  # the two share one send rate
                assert conn.execute(
                    "SELECT name FROM send_rates").fetchall() == [("outbox:sms",)]
            proc.send_signal(signal.SIGTERM)
            out, _ = await asyncio.wait_for(proc.communicate(), 30)
        finally:
            if proc.returncode is None:
                proc.kill()
        assert proc.returncode == 0 and b"casecheck: stopped" in out
        assert not any(alive(worker) for worker in workers)


@pytest.mark.parametrize("where", ["option", "config"])
async def test_an_impossible_number_of_workers_is_refused_clearly(tmp_path, where):
    extra = f"workers = {MAX_WORKERS + 1}\n" if where == "config" else ""
    config = write_config(tmp_path / "c.toml", tmp_path / "c.db", extra)
    options = ["--workers", "-1"] if where == "option" else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASECHECK_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *options, "--config", str(config), cwd=ROOT,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 2 and b"serving on" not in out
    assert f"workers must be 0 to {MAX_WORKERS}".encode() in err
    assert not (tmp_path / "c.db").exists()


def mapped(pid: int, package: str) -> bool:
    """Whether the process has loaded one of ``package``'s compiled extensions."""
    return f"/site-packages/{package}/" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize("console", [True, False])
async def test_a_sqlite_deployment_loads_no_postgresql_driver_nor_unused_console(
        tmp_path, console):
    # asyncpg and Jinja2 (with its markupsafe) cost ~4.6 MB in each process
    extra = "" if console else "[console]\nenabled = false\n"
    proc, _, _ = await start_run(write_config(tmp_path / "c.toml", tmp_path / "c.db", extra))
    try:
        [worker] = await workers_of(proc.pid)
        await asyncio.sleep(1)  # both processes have started their loops
        for pid in (proc.pid, worker):
            assert mapped(pid, "aiohttp")  # the maps are read as they should be
            assert not mapped(pid, "asyncpg")
        assert mapped(proc.pid, "markupsafe") is console
        assert not mapped(worker, "markupsafe")
        # nor the console's password hashing, nor any other command's modules
        if console:
            assert mapped(proc.pid, "_argon2_cffi_bindings")
        assert not mapped(worker, "_argon2_cffi_bindings")
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()


async def test_the_workers_process_answers_a_text_without_aiohttps_web_server(tmp_path):
    """aiohttp.web is 2.4 MB of a process: the workers' one serves nothing, so it sends
    with aiohttp's client alone. Its imports are watched from outside (-X importtime)."""
    async with FakeTwilio() as fake:
        config_file = write_config(tmp_path / "c.toml", tmp_path / "c.db", sms_extra(fake))
        app = await App.create(load_config(config_file))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASECHECK_")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-X", "importtime", "-m", "bot", "run", "--workers", "1",
            "--config", str(config_file), "--role", "workers", cwd=ROOT, env=env,
            stdin=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            assert proc.stdin is not None
            await inbox.store(app.db, Inbound("sms", DANA, "hi", provider_id="SM1"), iso(utcnow()))
            proc.stdin.write(b"i")  # what the web process writes once it stored a text
            await fake.wait_for(1, timeout=20)
            assert "checks if your case" in fake.texts_to(DANA)[0]
            proc.stdin.close()  # the web process is gone: the workers stop
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        finally:
            await app.close()
            if proc.returncode is None:
                proc.kill()
    imported = {line.rsplit("|", 1)[-1].strip() for line in err.decode().splitlines()
                if line.startswith("import time:")}
    assert {"aiohttp.client", "bot.channels.twilio_status"} <= imported  # read as it should be
    assert not {name for name in imported if name.startswith("aiohttp.web")}

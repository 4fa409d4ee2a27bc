"""The tests' throw-away PostgreSQL cluster: local only, unprivileged, one database per test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from tests import pg_support


async def test_the_cluster_listens_on_loopback_only_and_trusts_local_connections(pg_url):
    conn = await asyncpg.connect(pg_url)
    try:
        assert await conn.fetchval("SHOW listen_addresses") == "127.0.0.1"
        assert await conn.fetchval("SELECT inet_server_addr()::text") == "127.0.0.1/32"
        data = Path(await conn.fetchval("SHOW data_directory"))
        assert data.name == "data" and data.parent.name.startswith("casecheck-pg-")
        assert await conn.fetchval("SELECT count(*) FROM pg_class WHERE relkind = 'r' "
                                   "AND relnamespace = 'public'::regnamespace") == 0
    finally:
        await conn.close()


def test_the_server_runs_as_an_unprivileged_user(pg_cluster):
    pid = int((pg_cluster.data / "postmaster.pid").read_text().split()[0])
    assert os.stat(f"/proc/{pid}").st_uid != 0


async def test_each_test_gets_its_own_database(pg_cluster, pg_url):
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("CREATE TABLE mine (x INTEGER)")
    finally:
        await conn.close()
    admin = await asyncpg.connect(pg_cluster.url())
    try:
        assert await admin.fetchval("SELECT to_regclass('public.mine')") is None
    finally:
        await admin.close()


def test_without_server_binaries_the_postgresql_tests_skip_with_a_reason(tmp_path):
    missing = tmp_path / "missing"
    env = {**os.environ, pg_support.BINDIR_ENV: str(missing)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
         f"{__file__}::test_the_server_runs_as_an_unprivileged_user"],
        capture_output=True, text=True, env=env, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert f"no PostgreSQL server binaries in {missing} (.ci/run installs them)" in done.stdout

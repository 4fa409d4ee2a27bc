"""A throw-away PostgreSQL cluster for the tests, from the machine's server binaries.

``.ci/run`` installs Debian's ``postgresql`` package; the session starts one cluster in
a fresh temporary directory (``initdb`` with trust authentication, listening on
127.0.0.1 on a free port and on a socket in that directory, nowhere else) and stops
and deletes it at the end. PostgreSQL refuses to run as root, so as root the server
runs as an unprivileged system user through ``runuser``: Debian's ``postgres``, or
``casecheck-pg`` created with ``useradd --system`` when there is none.

Without server binaries the PostgreSQL tests are skipped with a one-line reason.
``CASECHECK_PG_BINDIR`` names the directory of ``initdb``/``pg_ctl`` to use instead of
searching (``/usr/lib/postgresql/*/bin``, then ``PATH``); pointing it at a missing
directory exercises the skip.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

BINDIR_ENV = "CASECHECK_PG_BINDIR"
SUPERUSER = "casecheck"  # the cluster's own superuser role (trust auth, local only)
SYSTEM_USER = "casecheck-pg"  # created when running as root on a machine without 'postgres'
SERVER_OPTIONS = {"listen_addresses": "127.0.0.1", "max_connections": "100"}
# A throw-away cluster: durability is not what the tests check (benchmarks keep it).
NOT_DURABLE = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def server_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None."""
    forced = os.environ.get(BINDIR_ENV)
    if forced is not None:
        candidates = [Path(forced)]
    else:
        versions = Path("/usr/lib/postgresql").glob("*/bin")
        candidates = sorted(versions, key=_major, reverse=True)
        found = shutil.which("initdb")
        if found:
            candidates.append(Path(found).resolve().parent)
    for directory in candidates:
        if all((directory / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _major(bindir: Path) -> int:
    name = bindir.parent.name
    return int(name) if name.isdigit() else 0


def _server_user() -> str | None:
    """The unprivileged user to run the server as, when we are root; None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", SYSTEM_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    SYSTEM_USER], check=True, capture_output=True)
    return SYSTEM_USER


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One initdb'd data directory and its running server."""

    def __init__(self, bindir: Path, durable: bool = False) -> None:
        self.bindir = bindir
        self.options = SERVER_OPTIONS if durable else {**SERVER_OPTIONS, **NOT_DURABLE}
        self.user = _server_user()
        self.base = Path(tempfile.mkdtemp(prefix="casecheck-pg-"))
        self.data = self.base / "data"
        self.port = 0
        if self.user is not None:
            info = pwd.getpwnam(self.user)
            os.chown(self.base, info.pw_uid, info.pw_gid)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=self.base)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        for attempt in range(3):
            self.port = _free_port()  # another process may take it before the server does
            options = {**self.options, "port": str(self.port),
                       "unix_socket_directories": str(self.base)}
            flags = " ".join(f"-c {key}={value}" for key, value in options.items())
            try:
                self._run("pg_ctl", "start", "-D", str(self.data), "-w", "-t", "60",
                          "-l", str(self.base / "server.log"), "-o", flags)
                return
            except RuntimeError:
                if attempt == 2:
                    raise

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"


def cluster() -> Iterator[Cluster]:
    """The session's cluster (a pytest generator fixture body), or a skip."""
    bindir = server_bindir()
    if bindir is None:
        where = os.environ.get(BINDIR_ENV) or "/usr/lib/postgresql/*/bin or PATH"
        pytest.skip(f"no PostgreSQL server binaries in {where} (.ci/run installs them)")
    running = Cluster(bindir)
    try:
        running.start()
        yield running
    finally:
        running.stop()


async def fresh_database(running: Cluster) -> AsyncIterator[str]:
    """An empty database of its own for one test; its URL. Dropped afterwards."""
    import asyncpg

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(running.url())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield running.url(name)
    finally:
        admin = await asyncpg.connect(running.url())
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

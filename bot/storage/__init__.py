"""The one owner of the SQLite database. All SQL of casecheck lives in this package.

``Database`` holds one aiosqlite connection (WAL, synchronous=FULL, busy
timeout). FULL fsyncs the WAL at every commit, so a message acknowledged to a
provider survives a power cut, not only a crash; inbox inserts are group
committed, and so are conversation turns' final writes (``write_grouped``),
so the cost is one fsync per batch, not per message. Reads run directly;
every write goes through ``transaction()`` or ``write_grouped()``, which
take one asyncio lock and wrap ``BEGIN IMMEDIATE`` ... ``COMMIT`` so that
transactions from several tasks never interleave on the shared connection.
The query modules beside this file (``cases``, ``conversations``, ...) take a
``Database`` and hold the SQL for one subject each.
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, closing
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite


def _migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for each ``migrations/NNNN_name.sql``, in order."""
    found = []
    for entry in resources.files("bot.storage.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._grouped: list[tuple[list[Write], asyncio.Future[None]]] = []
        self._group_task: asyncio.Task[None] | None = None
        self._writer_fd: int | None = None  # the writers' lock file, shared by processes

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> Database:
        db = cls(path)
        await db.connect()
        return db

    async def connect(self) -> None:
        if self.path != ":memory:":
            p = Path(self.path)
            _private_dirs(p.parent)
            if not p.exists():
                # Create the file owner-only before SQLite writes a byte to it.
                fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
            os.chmod(p, 0o600)
            self._writer_fd = os.open(self.path + "-writer", os.O_CREAT | os.O_RDWR, 0o600)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA synchronous=FULL")
        await self._conn.execute("PRAGMA busy_timeout=5000")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self.migrate()
        for suffix in ("-wal", "-shm"):
            side = Path(self.path + suffix)
            if side.exists():
                os.chmod(side, 0o600)

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()
        if self._writer_fd is not None:
            fd, self._writer_fd = self._writer_fd, None
            os.close(fd)

    async def __aenter__(self) -> Database:
        if self._conn is None:
            await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is closed")
        return self._conn

    async def migrate(self) -> int:
        """Apply pending migrations; return the schema version."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        async with self.conn.execute("SELECT MAX(version) FROM schema_version") as cur:
            row = await cur.fetchone()
        current = (row[0] if row else None) or 0
        for version, _name, sql in _migrations():
            if version <= current:
                continue
            async with self.transaction() as conn:
                for statement in _split_sql(sql):
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_version(version) VALUES (?)", (version,))
            current = version
        return current

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time on this connection."""
        async with self._lock:
            await on_thread(self.conn, self._begin)
            try:
                yield self.conn
            except BaseException:
                await on_thread(self.conn, functools.partial(self._end, "ROLLBACK"))
                raise
            else:
                await on_thread(self.conn, functools.partial(self._end, "COMMIT"))

    # The web process and the workers' process write to one database. SQLite makes a
    # writer that finds the lock taken sleep and retry (1 ms growing to 100 ms), so
    # under load the process that commits back to back starves the other. Writers
    # first queue on an exclusive lock of the ``-writer`` file instead: the kernel
    # wakes a waiter the moment the lock is free. Taken and released on the
    # database thread, with BEGIN and COMMIT (one trip each, as before).
    def _begin(self, raw: sqlite3.Connection) -> None:
        if self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        try:
            raw.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._unlock()
            raise

    def _end(self, statement: str, raw: sqlite3.Connection) -> None:
        try:
            raw.execute(statement)
        finally:
            if not raw.in_transaction:
                self._unlock()

    def _unlock(self) -> None:
        if self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    async def write_grouped(self, writes: Iterable[Write]) -> None:
        """Run ``writes`` in a transaction shared with the callers that come while one
        is being committed (group commit: one trip to the database thread, one
        COMMIT and one fsync for all). Each caller's writes are all or nothing (a
        savepoint): one whose statements fail gets its error, the others commit."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._grouped.append((list(writes), future))
        if self._group_task is None or self._group_task.done():
            self._group_task = asyncio.create_task(self._commit_groups())
        await future

    async def _commit_groups(self) -> None:
        while self._grouped:
            batch, self._grouped = self._grouped, []
            groups = [writes for writes, _ in batch]
            try:
                async with self._lock:
                    errors = await on_thread(self.conn, functools.partial(
                        self._run_locked, functools.partial(_run_groups, groups=groups)))
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, future), error in zip(batch, errors, strict=True):
                if future.done():
                    continue
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

    def _run_locked(self, fn: Callable[[sqlite3.Connection], T],
                    raw: sqlite3.Connection) -> T:
        """``fn`` (which begins and ends its own transaction) under the writers' lock."""
        if self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        try:
            return fn(raw)
        finally:
            self._unlock()

    # Each read is one trip to aiosqlite's thread (a cursor's execute, fetch and close
    # would be three): the service makes a dozen reads per conversation turn.
    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        values = tuple(params)

        def run(raw: sqlite3.Connection) -> aiosqlite.Row | None:
            with closing(raw.execute(sql, values)) as cursor:
                row: aiosqlite.Row | None = cursor.fetchone()
            return row
        return await on_thread(self.conn, run)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self.conn.execute_fetchall(sql, tuple(params)))

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one write statement in its own transaction; return lastrowid."""
        async with self.transaction() as conn:
            cur = await conn.execute(sql, tuple(params))
            return cur.lastrowid or 0


def _private_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents owner-only (0700), whatever the
    umask (mkdir's mode is masked by it); directories that exist are left alone."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)


T = TypeVar("T")

# One write statement and its parameters, for ``execute_all``.
Write = tuple[str, tuple[Any, ...]]


async def on_thread(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """``fn(sqlite3 connection)`` on aiosqlite's thread, in one trip there and back (each
    ``conn.execute``, ``fetchone`` or ``close`` is a trip, and a conversation turn would
    make dozens). Inside a transaction, ``fn`` may run several statements; it must not
    block on anything but SQLite."""
    return cast(T, await conn._execute(fn, conn._conn))


async def execute_all(conn: aiosqlite.Connection, writes: Iterable[Write]) -> None:
    """Several statements inside a transaction, in order, in one trip."""
    batch = list(writes)

    def run(raw: sqlite3.Connection) -> None:
        for sql, params in batch:
            raw.execute(sql, params)
    await on_thread(conn, run)


def _run_groups(raw: sqlite3.Connection, *, groups: list[list[Write]]) -> list[Exception | None]:
    """One transaction, a savepoint per group; the error of each group (None: done)."""
    errors: list[Exception | None] = []
    raw.execute("BEGIN IMMEDIATE")
    try:
        for writes in groups:
            raw.execute("SAVEPOINT grouped")
            try:
                for sql, params in writes:
                    raw.execute(sql, params)
            except sqlite3.Error as exc:
                raw.execute("ROLLBACK TO grouped")
                errors.append(exc)
            else:
                errors.append(None)
            raw.execute("RELEASE grouped")
        raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    return errors


async def first(conn: aiosqlite.Connection, sql: str,
                params: Iterable[Any] = ()) -> aiosqlite.Row | None:
    """The first row of a query inside a transaction, in one trip to aiosqlite's thread
    (every row is fetched: for lookups by a key)."""
    return next(iter(await conn.execute_fetchall(sql, tuple(params))), None)


def _split_sql(script: str) -> list[str]:
    """Split a migration script on ';' at line ends (no triggers with bodies)."""
    parts, buf = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(buf).strip()
            if stmt.strip(";").strip():
                parts.append(stmt)
            buf = []
    tail = "\n".join(buf).strip()
    if tail:
        parts.append(tail)
    return parts

"""The SQLite engine, on datasette's model: one writer, separate readers.

One writer connection runs every write, in order, on its own thread: a
``transaction()`` at a time (an asyncio lock in this process, an exclusive
``flock`` of the ``-writer`` file across processes, then ``BEGIN
IMMEDIATE``), and ``write_grouped`` batches concurrent callers into one
transaction (group commit: one COMMIT, one fsync for all). Reads run on
separate read connections while a write is open, each statement on its own WAL
snapshot, so a read sees committed rows only, never those of a transaction in
flight (with no write open, reads run on the writer, whose page cache is warm).

WAL, ``synchronous=FULL`` (a message acknowledged to a provider survives a power
cut), a busy timeout, foreign keys, and the database file and its side files
owner-only (0600) in owner-only directories.

This is the only module that knows aiosqlite: each statement (or group of
statements) is one trip to a connection's thread (``_call``).
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import itertools
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from .engine import Dialect, Row, Tx, Write

T = TypeVar("T")

READERS = 2  # read connections (a turn's reads rarely wait; SQLite reads are short)
# Each connection's page cache, in KiB (SQLite's default: 2,000). In WAL mode a connection
# drops its whole cache at the start of a transaction when another connection wrote since
# its last one, and under load the other process's writer always has: the pages a cache
# keeps between transactions are seldom reused, and the OS's file cache holds them anyway.
# bench_sms (wrk, 45,000 messages behind): workers' process 68-69 -> 64-65 MB.
CACHE_KIB = 512


class SqliteTx:
    """A write transaction on the writer connection (see ``engine.Tx``)."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection,
                 raw: sqlite3.Connection | None = None) -> None:
        self._conn = conn
        self._raw = raw  # on the database's thread already (``in_one_trip``)

    async def _do(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn`` on the database's thread: a trip there, or (``in_one_trip``) at once,
        without suspending."""
        if self._raw is not None:
            return fn(self._raw)
        return await _call(self._conn, fn)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        values = tuple(params)

        def run(raw: sqlite3.Connection) -> int:
            with closing(raw.execute(sql, values)) as cursor:
                return cursor.rowcount
        return await self._do(run)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """One statement for each of ``rows`` (a generator is consumed on the
        database thread); the number of rows changed."""
        def run(raw: sqlite3.Connection) -> int:
            with closing(raw.executemany(sql, rows)) as cursor:
                return cursor.rowcount
        return await self._do(run)

    async def append_rows(self, table: str, columns: Sequence[str],
                          rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join("?" for _ in columns)
        await self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                               rows)

    async def run(self, writes: Iterable[Write]) -> None:
        batch = list(writes)

        def run(raw: sqlite3.Connection) -> None:
            for sql, params in batch:
                raw.execute(sql, params).close()
        await self._do(run)

    async def fetch_each(self, writes: Iterable[Write]) -> list[Row | None]:
        """Several statements in order, in one trip; the first row of each (None if it
        returned none): ``INSERT ... RETURNING id`` for a batch."""
        batch = list(writes)

        def run(raw: sqlite3.Connection) -> list[Row | None]:
            found: list[Row | None] = []
            for sql, params in batch:
                with closing(raw.execute(sql, params)) as cursor:
                    found.append(cursor.fetchone())
            return found
        return await self._do(run)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._do(functools.partial(_fetchone, sql, tuple(params)))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._do(functools.partial(_fetchall, sql, tuple(params)))


class SqliteEngine:
    dialect: Dialect = "sqlite"

    def __init__(self, path: str | os.PathLike[str], *, readers: int = READERS) -> None:
        self.path = str(path)
        self._readers_wanted = readers
        self._writer: aiosqlite.Connection | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._next_reader = itertools.count()
        self._lock = asyncio.Lock()
        self._grouped: list[tuple[list[Write], asyncio.Future[None]]] = []
        self._group_task: asyncio.Task[None] | None = None
        self._writer_fd: int | None = None  # the writers' lock file, shared by processes
        self._presence: dict[str, int] = {}  # name -> fd of its locked presence file

    async def open(self) -> None:
        """The writer connection (the schema is migrated through it, then ``open_readers``)."""
        if self.path != ":memory:":
            p = Path(self.path)
            _private_dirs(p.parent)
            if not p.exists():
                # Create the file owner-only before SQLite writes a byte to it.
                fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
            os.chmod(p, 0o600)
            self._writer_fd = os.open(self.path + "-writer", os.O_CREAT | os.O_RDWR, 0o600)
        self._writer = await self._connect()
        await self._writer.execute("PRAGMA journal_mode=WAL")
        await self._writer.execute("PRAGMA synchronous=FULL")
        await self._writer.execute("PRAGMA foreign_keys=ON")

    async def open_readers(self) -> None:
        """The read connections; an in-memory database has one connection for all."""
        if self.path != ":memory:":
            for _ in range(self._readers_wanted):
                reader = await self._connect()
                await reader.execute("PRAGMA query_only=ON")
                self._readers.append(reader)
            for suffix in ("-wal", "-shm"):
                side = Path(self.path + suffix)
                if side.exists():
                    os.chmod(side, 0o600)

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        return conn

    # Presence: an exclusive ``flock`` of ``<path>-instances/<name>``, held while this
    # engine is open and released by the kernel when the process dies (kill -9 too).
    def _presence_file(self, name: str) -> Path:
        if not name.isalnum():
            raise ValueError("a presence name is letters and digits")
        directory = Path(self.path + "-instances")
        _private_dirs(directory)
        return directory / name

    async def hold_presence(self, name: str) -> None:
        if self.path == ":memory:" or name in self._presence:
            self._presence.setdefault(name, -1)
            return
        fd = os.open(self._presence_file(name), os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._presence[name] = fd

    async def absent(self, names: Iterable[str]) -> set[str]:
        gone = set()
        for name in set(names) - set(self._presence):
            if self.path == ":memory:":  # one connection, one engine: no other instance
                gone.add(name)
                continue
            path = self._presence_file(name)
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # held: that instance is alive
            finally:
                os.close(fd)  # closing releases a lock this took
            gone.add(name)
            path.unlink(missing_ok=True)
        return gone

    def on_presence_lost(self, callback: Callable[[], object]) -> None:
        """Nothing: a file lock lasts as long as the process holding it."""

    async def on_stored(self, table: str, callback: Callable[[], object]) -> None:
        """Nothing: one SQLite instance wakes its own workers."""

    async def close(self) -> None:
        for name, fd in list(self._presence.items()):
            if fd >= 0:
                self._presence_file(name).unlink(missing_ok=True)
                os.close(fd)
                try:
                    os.rmdir(self.path + "-instances")  # the last instance out
                except OSError:
                    pass
        self._presence.clear()
        connections = [*self._readers, *([self._writer] if self._writer else [])]
        self._readers, self._writer = [], None
        for conn in connections:
            await conn.close()
        if self._writer_fd is not None:
            fd, self._writer_fd = self._writer_fd, None
            os.close(fd)

    @property
    def _conn(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("database is closed")
        return self._writer

    def _reader(self) -> aiosqlite.Connection:
        """The writer itself while no write of this engine is open (its page cache is
        warm, and a statement queued on its thread runs before any later BEGIN, so it
        sees committed rows only); a read connection while one is."""
        if not self._readers or not self._lock.locked():
            return self._conn
        return self._readers[next(self._next_reader) % len(self._readers)]

    # Each read is one trip to a reader's thread (a cursor's execute, fetch and close
    # would be three): the service makes a dozen reads per conversation turn.
    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await _call(self._reader(), functools.partial(_fetchone, sql, tuple(params)))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await _call(self._reader(), functools.partial(_fetchall, sql, tuple(params)))

    async def fetch_first(self, reads: Iterable[Write]) -> list[Row | None]:
        """A conversation turn's reads, in one trip to a reader's thread."""
        return await _call(self._reader(), functools.partial(_fetch_first, list(reads)))

    async def configure(self, sql: str) -> list[Row]:
        """A statement about the writer connection itself (``ATTACH``, ``PRAGMA``), run
        outside any transaction; its rows."""
        async with self._lock:
            return await _call(self._conn, functools.partial(_fetchall, sql, ()))

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        """Have every connection report each statement it runs (tests' query plans)."""
        for conn in {id(c): c for c in [self._conn, *self._readers]}.values():
            await conn.set_trace_callback(cast(Callable[..., Any], callback))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTx]:
        """One write transaction at a time on the writer connection."""
        async with self._lock:
            conn = self._conn
            await _begun(conn, self._begin, functools.partial(self._end, "ROLLBACK"))
            try:
                yield SqliteTx(conn)
            except BaseException:
                await _call(conn, functools.partial(self._end, "ROLLBACK"))
                raise
            else:
                await _call(conn, functools.partial(self._end, "COMMIT"))

    # The web process and the workers' process write to one database. SQLite makes a
    # writer that finds the lock taken sleep and retry (1 ms growing to 100 ms), so
    # under load the process that commits back to back starves the other. Writers
    # first queue on an exclusive lock of the ``-writer`` file instead: the kernel
    # wakes a waiter the moment the lock is free. Taken and released on the
    # database thread, with BEGIN and COMMIT (one trip each).
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

    async def in_one_trip(self, body: Callable[[Tx], Awaitable[T]]) -> T:
        """``body`` run whole on the writer's thread, between BEGIN and COMMIT (see
        ``Engine.in_one_trip``)."""
        async with self._lock:
            return await _call(self._conn, functools.partial(
                self._run_locked, functools.partial(_run_body, body, self._conn)))

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
                    errors = await _call(self._conn, functools.partial(
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


async def _call(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """``fn(sqlite3 connection)`` on the connection's thread, in one trip there and back
    (each aiosqlite ``execute``, ``fetchone`` or ``close`` is a trip, and a turn would
    make dozens). ``fn`` must not block on anything but SQLite."""
    return cast(T, await conn._execute(fn, conn._conn))


async def _begun(conn: aiosqlite.Connection, begin: Callable[[sqlite3.Connection], None],
                 rollback: Callable[[sqlite3.Connection], None]) -> None:
    """``begin`` on the connection's thread. A caller cancelled meanwhile does not stop
    it there: the transaction it began is rolled back before the cancellation goes
    on, or the connection would stay in it (and hold the writers' lock) for good."""
    call = asyncio.ensure_future(_call(conn, begin))
    try:
        await asyncio.shield(call)
    except asyncio.CancelledError:
        try:
            await call
        except Exception:
            raise asyncio.CancelledError from None  # it began nothing
        await _call(conn, rollback)
        raise


def _fetchone(sql: str, params: tuple[Any, ...], raw: sqlite3.Connection) -> Row | None:
    with closing(raw.execute(sql, params)) as cursor:
        row: Row | None = cursor.fetchone()
    return row


def _fetch_first(reads: list[Write], raw: sqlite3.Connection) -> list[Row | None]:
    found: list[Row | None] = []
    for sql, params in reads:
        with closing(raw.execute(sql, params)) as cursor:
            found.append(cursor.fetchone())
    return found


def _fetchall(sql: str, params: tuple[Any, ...], raw: sqlite3.Connection) -> list[Row]:
    with closing(raw.execute(sql, params)) as cursor:
        rows: list[Row] = cursor.fetchall()
    return rows


def _run_body(body: Callable[[Tx], Awaitable[T]], conn: aiosqlite.Connection,
              raw: sqlite3.Connection) -> T:
    """``in_one_trip`` on the database's thread: ``body`` is driven to its end at once
    (a ``SqliteTx`` on this thread never suspends it)."""
    raw.execute("BEGIN IMMEDIATE")
    try:
        steps = cast(Coroutine[Any, Any, T], body(SqliteTx(conn, raw)))
        try:
            steps.send(None)
        except StopIteration as done:
            result = cast(T, done.value)
        else:
            steps.close()
            raise RuntimeError("a one-trip transaction awaited something besides its Tx")
        raw.execute("COMMIT")
        return result
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise


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

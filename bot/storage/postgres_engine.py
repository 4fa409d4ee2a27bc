"""The PostgreSQL ``Engine`` (``bot/storage/engine.py``): an asyncpg pool.

The portable SQL of the query modules runs unchanged: its ``?`` placeholders
become ``$1 .. $n`` (outside string literals, quoted names and comments; once
per SQL string), and asyncpg caches the prepared statement per connection.
Every read and every transaction takes a connection of its own from the pool,
so a read sees committed rows only. Unlike SQLite's single writer, transactions
run concurrently under READ COMMITTED: a read-modify-write that must not race
another instance takes a row lock (``FOR UPDATE``) or an upsert.

asyncpg checks parameter types against the statement: an ``int`` for an INTEGER
column, a ``str`` for TEXT (SQLite would convert), and a parameter PostgreSQL cannot
type on its own is cast (``CAST(? AS TEXT) IS NULL``). NUMERIC results (``SUM``,
``AVG``) come back as ``int``/``float``, as SQLite gives them.

``write_grouped`` is group commit: the callers that arrive while a group
commits form the next group, written in one transaction in call order, each
caller's writes inside a savepoint of their own, so one caller's failure fails
that caller only and the rest commit together.

Across instances: a transaction that inserts into ``inbox`` or ``outbox`` also
sends ``NOTIFY casecheck_inbox`` / ``casecheck_outbox`` (delivered at its commit),
and ``on_stored`` LISTENs on one connection kept for it, so every instance's
workers wake when any instance stores work. That connection also holds each
``hold_presence`` name as a session advisory lock, freed by the server the moment
the instance's connection drops (its process died). If that connection breaks
while the instance runs, ``on_presence_lost`` callbacks are called: its claims are
no longer its own.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import asyncpg

from bot.storage import postgres_migrations
from bot.storage.engine import Dialect, Engine, Row, T, Tx, Write

# What a '?' may hide in: string literals, quoted names, dollar quotes, comments.
# A lone '?' (or '?N') is a placeholder.
_SKIP_OR_PLACEHOLDER = re.compile(
    r"""'(?:[^']|'')*'?|"(?:[^"]|"")*"?|\$(\w*)\$.*?\$\1\$|--[^\n]*|/\*.*?(?:\*/|\Z)|\?(\d*)""",
    re.DOTALL)


@functools.lru_cache(maxsize=4096)
def numbered(sql: str) -> str:
    """``sql`` with its ``?`` placeholders numbered ``$1 .. $n`` for PostgreSQL; an
    explicit ``?N`` (one parameter used twice) is ``$N``, and a ``?`` after it takes
    the next number, as in SQLite."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if not match.group(0).startswith("?"):
            return match.group(0)
        if match.group(2):
            count = max(count, int(match.group(2)))
            return f"${int(match.group(2))}"
        count += 1
        return f"${count}"

    return _SKIP_OR_PLACEHOLDER.sub(number, sql)


def _changed(status: str) -> int:
    """Rows changed, from a command tag such as ``INSERT 0 3`` or ``UPDATE 2``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


# An insert of new work: the other instances' workers are woken at its commit.
_STORES = re.compile(r"\s*INSERT\s+INTO\s+(inbox|outbox)\b", re.IGNORECASE)
PRESENCE_LOCK = 0x6361  # pg_advisory_lock(PRESENCE_LOCK, hashtext(name)): "ca"


@functools.lru_cache(maxsize=4096)
def _stored(sql: str) -> str | None:
    match = _STORES.match(sql)
    return match.group(1).lower() if match else None


COPY_CHUNK = 5_000  # rows taken from a bulk load's generator in one thread hop


async def _off_the_loop(rows: Iterator[Sequence[Any]]) -> AsyncIterator[Sequence[Any]]:
    """``rows`` in chunks drawn on a worker thread: a generator that waits on a parsing
    process (the importer's) never blocks the event loop."""
    while chunk := await asyncio.to_thread(list, itertools.islice(rows, COPY_CHUNK)):
        for row in chunk:
            yield row


class PostgresTx:
    """A ``Tx`` on one pooled connection inside an open transaction."""

    dialect: Dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._stored: set[str] = set()

    def _note(self, sql: str) -> str:
        table = _stored(sql)
        if table is not None:
            self._stored.add(table)
        return numbered(sql)

    async def notify(self) -> None:
        """Announce the tables this transaction stored rows in (sent at its commit)."""
        for table in sorted(self._stored):
            await self._conn.execute(f"NOTIFY casecheck_{table}")
        self._stored.clear()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _changed(await self._conn.execute(self._note(sql), *params))

    async def run(self, writes: Iterable[Write]) -> None:
        """In order; a run of one statement with several parameter sets is one
        pipelined ``executemany``."""
        pending: list[Write] = list(writes)
        start = 0
        while start < len(pending):
            sql = pending[start][0]
            end = start + 1
            while end < len(pending) and pending[end][0] == sql:
                end += 1
            if end - start == 1:
                await self._conn.execute(self._note(sql), *pending[start][1])
            else:
                await self._conn.executemany(self._note(sql),
                                             [p for _, p in pending[start:end]])
            start = end

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """One pipelined ``executemany`` (asyncpg reports no counts for it: the
        number of parameter sets is returned)."""
        batch = [tuple(row) for row in rows]
        if batch:
            await self._conn.executemany(self._note(sql), batch)
        return len(batch)

    async def append_rows(self, table: str, columns: Sequence[str],
                          rows: Iterable[Sequence[Any]]) -> None:
        schema, _, name = table.rpartition(".")
        await self._conn.copy_records_to_table(
            name, schema_name=schema or None, columns=list(columns),
            records=_off_the_loop(iter(rows)))

    async def fetch_each(self, writes: Iterable[Write]) -> list[Row | None]:
        return [await self._conn.fetchrow(self._note(sql), *params) for sql, params in writes]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._conn.fetchrow(self._note(sql), *params)
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._conn.fetch(self._note(sql), *params))


Group = list[tuple[list[Write], asyncio.Future[None]]]


class PostgresEngine:
    """The ``Engine`` on an asyncpg pool (asyncpg ``Record`` rows are ``Row``s)."""

    dialect: Dialect = "postgresql"

    def __init__(self, pool: Any, **connect_args: Any) -> None:
        self._pool: Any = pool
        self._connect_args = connect_args  # how to open a connection like the pool's
        self._waiting: Group = []
        self._committer: asyncio.Task[None] | None = None
        self._listener: Any = None  # the connection for LISTEN and presence locks
        self._listener_lock = asyncio.Lock()
        self._presence_lost: list[Callable[[], object]] = []

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10,
                   migrate: bool = True) -> PostgresEngine:
        """A pool on ``url`` (``postgresql://user@host:port/database``), migrated."""
        pool = await asyncpg.create_pool(
            url, min_size=min_size, max_size=max_size, init=_prepare_connection,
            reset=_keep_session, server_settings={"application_name": "casecheck"})
        engine = cls(pool, dsn=url)
        if migrate:
            try:
                await engine.migrate()
            except BaseException:
                await pool.close()
                raise
        return engine

    async def migrate(self) -> int:
        """Apply pending migrations (``postgres_migrations``); the schema version."""
        async with self.pool.acquire() as conn:
            return await postgres_migrations.migrate(conn)

    @property
    def pool(self) -> Any:
        if self._pool is None:
            raise RuntimeError("database is closed")
        return self._pool

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self.pool.acquire() as conn:
            row: Row | None = await conn.fetchrow(numbered(sql), *params)
            return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self.pool.acquire() as conn:
            return list(await conn.fetch(numbered(sql), *params))

    async def fetch_first(self, reads: Iterable[Write]) -> list[Row | None]:
        """Several reads on one pooled connection (one acquire, not one per read)."""
        async with self.pool.acquire() as conn:
            return [await conn.fetchrow(numbered(sql), *params) for sql, params in reads]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTx]:
        async with self.pool.acquire() as conn, conn.transaction():
            tx = PostgresTx(conn)
            yield tx
            await tx.notify()

    async def _listening(self) -> Any:
        """The connection kept for LISTEN and presence (outside the pool); callers hold
        ``_listener_lock`` (one operation at a time on a connection)."""
        if self._listener is None:
            self._listener = await asyncpg.connect(
                **self._connect_args, server_settings={"application_name": "casecheck"})
            self._listener.add_termination_listener(self._listener_ended)
        return self._listener

    def _listener_ended(self, conn: Any) -> None:
        """The LISTEN/presence connection closed; unless ``close`` closed it, it broke:
        the server freed this instance's presence locks, and other instances may be
        taking its claims already."""
        if conn is not self._listener:
            return
        self._listener = None
        for callback in self._presence_lost:
            callback()

    def on_presence_lost(self, callback: Callable[[], object]) -> None:
        self._presence_lost.append(callback)

    async def hold_presence(self, name: str) -> None:
        async with self._listener_lock:
            conn = await self._listening()
            await conn.execute("SELECT pg_advisory_lock($1, hashtext($2))",
                               PRESENCE_LOCK, name)

    async def absent(self, names: Iterable[str]) -> set[str]:
        wanted = sorted(set(names))
        if not wanted:
            return set()
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT name FROM unnest($2::text[]) AS name WHERE NOT EXISTS ("
                " SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND objsubid = 2 AND classid = $1"
                " AND objid = (hashtext(name)::bigint & 4294967295)::oid)",
                PRESENCE_LOCK, wanted)
        return {row["name"] for row in rows}

    async def on_stored(self, table: str, callback: Callable[[], object]) -> None:
        if table not in ("inbox", "outbox"):
            raise ValueError(table)
        async with self._listener_lock:
            conn = await self._listening()
            await conn.add_listener(f"casecheck_{table}", lambda *_: callback())

    async def in_one_trip(self, body: Callable[[Tx], Awaitable[T]]) -> T:
        """``body`` in a transaction (no lock is held across processes here: its rows'
        locks are the server's, for as long as its statements take)."""
        async with self.transaction() as tx:
            return await body(tx)

    async def write_grouped(self, writes: Iterable[Write]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((list(writes), done))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_groups())
        await done

    async def _commit_groups(self) -> None:
        await asyncio.sleep(0)  # the callers of this moment join the first group
        try:
            while self._waiting:
                group, self._waiting = self._waiting, []
                await self._commit_group([(w, f) for w, f in group if not f.done()])
        finally:  # cancelled (the loop is closing): no caller waits forever
            for _writes, done in self._waiting:
                _settle(done, RuntimeError("database is closed"))
            self._waiting = []

    async def _commit_group(self, group: Group) -> None:
        if not group:
            return
        written: list[asyncio.Future[None]] = []
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                for writes, done in group:
                    try:
                        async with conn.transaction():  # a savepoint
                            tx = PostgresTx(conn)
                            await tx.run(writes)
                            await tx.notify()
                    except Exception as exc:  # this caller's writes only are undone
                        _settle(done, exc)
                    else:
                        written.append(done)
        except BaseException as exc:  # the commit itself failed: nobody's writes stand
            failure = exc if isinstance(exc, Exception) else RuntimeError("database is closed")
            for _writes, done in group:
                _settle(done, failure)
            if not isinstance(exc, Exception):
                raise
            return
        for done in written:
            _settle(done, None)

    async def close(self) -> None:
        """Wait for grouped writes under way, then close the pool; idempotent."""
        if self._committer is not None:
            await asyncio.wait([self._committer])
            self._committer = None
        listener, self._listener = self._listener, None  # a clean close: not a loss
        if listener is not None:
            await listener.close()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


async def _prepare_connection(conn: Any) -> None:
    # SQLite's SUM() of integers is an integer and AVG() a float; PostgreSQL's are
    # NUMERIC (Decimal). The schema has no NUMERIC column of its own (integers are
    # BIGINT), so numbers come back as SQLite gives them.
    await conn.set_type_codec("numeric", schema="pg_catalog", format="text",
                              encoder=str, decoder=_number)


async def _keep_session(conn: Any) -> None:
    """Release a pooled connection without asyncpg's reset query (``RESET ALL``,
    ``UNLISTEN *``, ``pg_advisory_unlock_all()``: one more trip to the server on every
    release). Pooled connections keep no session state to undo: LISTEN and session
    locks live on connections of their own, ``SET LOCAL`` and transaction locks end
    with their transaction, and asyncpg still rolls back one left open."""


def _number(text: str) -> int | float:
    return int(text) if text.lstrip("-").isdigit() else float(text)


def _settle(done: asyncio.Future[None], exc: BaseException | None) -> None:
    if done.done():
        return
    if exc is None:
        done.set_result(None)
    else:
        done.set_exception(exc)


if TYPE_CHECKING:  # mypy checks that both classes keep to the seam
    def _seam(engine: PostgresEngine, tx: PostgresTx) -> tuple[Engine, Tx]:
        return engine, tx

"""A SQLite deployment copied into an empty PostgreSQL database (``casecheck db copy``).

One read transaction on the SQLite file is the snapshot (WAL: the running service
keeps writing, the copy sees the moment it began). On PostgreSQL everything happens in
one transaction on one connection: the schema is migrated, each table is loaded with
``COPY`` (binary) in foreign-key order, the identity sequences are moved past the
copied ids, and every table's count is compared with the snapshot's. Any error rolls
it all back: the target is as empty as it was.

The table list is the SQLite file's own (every table the migrations created), so a
table added by a later migration is copied with no change here; a table on one side
only is refused, as is a target that holds any table already.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg

from . import postgres_migrations

BATCH = 20_000  # rows read from SQLite per trip to its thread
CONNECT_TIMEOUT = 15  # seconds
COPY_LOCK = 0x63617365_636F  # pg_advisory_xact_lock key: one copy at a time ("caseco")
SKIPPED = {"schema_version"}  # the target's own migrations write it
_OBJECTS = """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
ORDER BY c.relname"""
_COLUMNS = """SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"""


class CopyRefused(Exception):
    """Why the copy did not happen (or was rolled back); fit to show the operator."""


@dataclass(frozen=True)
class CopyReport:
    counts: list[tuple[str, int]]  # (table, rows) in the order copied
    schema_version: int


def scrub(message: str, url: str) -> str:
    """``message`` without the URL's password (a driver may quote what it was given)."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    for secret in {password, unquote(password) if password else None}:
        if secret:
            message = message.replace(secret, "***")
    return message


async def copy_sqlite_to_postgres(sqlite_path: str, url: str) -> CopyReport:
    """Copy the (migrated) SQLite database at ``sqlite_path`` into the empty PostgreSQL
    database at ``url``; ``CopyRefused`` (nothing changed) when it cannot."""
    try:
        conn = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT,
                                     server_settings={"application_name": "casecheck copy"})
    except (OSError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise CopyRefused(f"cannot connect: {scrub(str(exc) or type(exc).__name__, url)}") \
            from None
    snapshot = _Snapshot(sqlite_path)
    try:
        await _refuse_unless_empty(conn)
        await snapshot.open()
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", COPY_LOCK)
            await _refuse_unless_empty(conn)  # another copy may have won the race
            version = await postgres_migrations.migrate(conn)
            source_version = await snapshot.scalar("SELECT MAX(version) FROM schema_version")
            if source_version != version:
                raise CopyRefused(f"the SQLite database is at schema version {source_version}, "
                                  f"this casecheck at {version}")
            counts = await _copy_tables(conn, snapshot)
            await conn.execute(postgres_migrations.RESYNC_IDENTITIES)
            await conn.execute("ANALYZE")  # the planner's statistics for the loaded tables
        return CopyReport(counts, version)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, sqlite3.Error, OSError) as exc:
        raise CopyRefused(f"{scrub(str(exc), url)}; nothing was copied") from None
    finally:
        await snapshot.close()
        await conn.close()


async def _refuse_unless_empty(conn: Any) -> None:
    found = [row[0] for row in await conn.fetch(_OBJECTS)]
    if found:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise CopyRefused(f"the PostgreSQL database is not empty (it has {shown}); "
                          "db copy only copies into an empty database")


async def _copy_tables(conn: Any, snapshot: _Snapshot) -> list[tuple[str, int]]:
    target: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in await conn.fetch(_COLUMNS):
        target.setdefault(table, []).append((column, data_type))
    source = await snapshot.tables()
    for name in SKIPPED:
        source.pop(name, None)
        target.pop(name, None)
    if set(source) != set(target):
        only = sorted(set(source) ^ set(target))
        raise CopyRefused(f"the two schemas differ (tables on one side only: {', '.join(only)})")
    counts = []
    for table in _in_foreign_key_order(source):
        columns, _parents = source[table]
        types = dict(target[table])
        if set(columns) != set(types):
            raise CopyRefused(f"the two schemas differ (the columns of {table})")
        await conn.execute(f'DELETE FROM "{table}"')  # rows a migration inserted, if any
        expected = await snapshot.scalar(f'SELECT COUNT(*) FROM "{table}"')
        rows = snapshot.rows(table, columns, [_CONVERT.get(types[c]) for c in columns],
                             [types[c] for c in columns])
        await conn.copy_records_to_table(table, records=rows, columns=columns)
        copied = await conn.fetchval(f'SELECT COUNT(*) FROM "{table}"')
        if copied != expected:
            raise CopyRefused(f"{table}: {copied} rows copied, the SQLite snapshot has {expected}")
        counts.append((table, int(copied)))
    return counts


def _in_foreign_key_order(tables: dict[str, tuple[list[str], set[str]]]) -> list[str]:
    """Every table after the tables its foreign keys reference (alphabetical otherwise)."""
    done: list[str] = []
    left = sorted(tables)
    while left:
        ready = [t for t in left if tables[t][1] - {t} <= set(done)]
        if not ready:
            raise CopyRefused(f"foreign keys form a cycle among {', '.join(left)}")
        done += ready
        left = [t for t in left if t not in ready]
    return done


def _as_int(value: Any) -> int:
    return value if type(value) is int else int(value)


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value if type(value) is str else str(value)


def _as_bytes(value: Any) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


# SQLite stores any value in any column; PostgreSQL's binary COPY wants the column's type.
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "bigint": _as_int, "integer": _as_int, "smallint": _as_int, "text": _as_text,
    "double precision": float, "real": float, "bytea": _as_bytes,
    "numeric": lambda value: Decimal(str(value)),
}
_EXPECTED: dict[Callable[[Any], Any], type] = {_as_int: int, _as_text: str, float: float,
                                               _as_bytes: bytes}


class _Snapshot:
    """One read transaction on the SQLite file, on a thread of its own."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="casecheck-copy")
        self._conn: sqlite3.Connection | None = None

    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def open(self) -> None:
        def begin() -> sqlite3.Connection:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only=ON")
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("BEGIN")
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # the snapshot
            return conn
        self._conn = await self._call(begin)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("snapshot not open")
        return self._conn

    async def scalar(self, sql: str) -> Any:
        return await self._call(lambda: self.conn.execute(sql).fetchone()[0])

    async def tables(self) -> dict[str, tuple[list[str], set[str]]]:
        """Each table's columns and the tables its foreign keys reference."""
        def read() -> dict[str, tuple[list[str], set[str]]]:
            names = [row[0] for row in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]
            found = {}
            for name in names:
                columns = [row[1] for row in self.conn.execute(f'PRAGMA table_info("{name}")')]
                parents = {row[2] for row in
                           self.conn.execute(f'PRAGMA foreign_key_list("{name}")')}
                found[name] = (columns, parents)
            return found
        result: dict[str, tuple[list[str], set[str]]] = await self._call(read)
        return result

    async def rows(self, table: str, columns: list[str],
                   converters: list[Callable[[Any], Any] | None],
                   types: list[str]) -> AsyncIterator[tuple[Any, ...]]:
        """The table's rows, each value of the target column's Python type (a value that
        cannot be is named by its column, never shown: it may be personal data)."""
        names = ", ".join(f'"{c}"' for c in columns)
        cursor = await self._call(self.conn.execute, f'SELECT {names} FROM "{table}"')
        checks = [(i, fn, _EXPECTED.get(fn)) for i, fn in enumerate(converters) if fn]

        def batch() -> list[tuple[Any, ...]]:
            rows = cursor.fetchmany(BATCH)
            for n, row in enumerate(rows):
                if any(row[i] is not None and type(row[i]) is not want for i, _, want in checks):
                    values = list(row)
                    for i, fn, _want in checks:
                        if values[i] is not None:
                            try:
                                values[i] = fn(values[i])
                            except (ValueError, TypeError):
                                raise CopyRefused(
                                    f"{table}.{columns[i]}: a value that is not "
                                    f"{types[i]}; nothing was copied") from None
                    rows[n] = tuple(values)
            return rows
        try:
            while chunk := await self._call(batch):
                for row in chunk:
                    yield row
        finally:
            await self._call(cursor.close)

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._call(conn.close)  # ends the read transaction
        self._thread.shutdown(wait=False)

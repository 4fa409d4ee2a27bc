"""The one owner of the database. All SQL of casecheck lives in this package.

``Database`` is the facade the rest of casecheck holds: it opens an engine
(``sqlite_engine``: one writer thread, read connections on WAL snapshots, for a
file path; ``postgres_engine``, an asyncpg pool, for a ``postgresql://`` URL; see
``engine`` for the seam and the portable SQL), migrates the schema, and hands
out reads, write transactions (``transaction()``, yielding an ``engine.Tx``)
and group-committed writes (``write_grouped``). The query modules beside this
file (``cases``, ``people``, ``outbox`` ...) take a ``Database`` or, inside a
write, a ``Tx``, and hold the SQL for one subject each; no caller outside this
package sees a driver.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from .engine import Dialect, Engine, Row, T, Tx, Write
from .migration_files import migration_scripts
from .sqlite_engine import SqliteEngine

if TYPE_CHECKING:
    from ..config_sections import Storage
    from .postgres_engine import PostgresEngine

__all__ = ["Database", "Row", "Tx", "Write", "is_url", "open_database", "redacted"]

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(target: str | os.PathLike[str]) -> bool:
    """True when ``target`` names a PostgreSQL database rather than a SQLite file."""
    return str(target).startswith(URL_SCHEMES)


def redacted(target: str | os.PathLike[str]) -> str:
    """``target`` fit for a log line or an error: a URL's password replaced by ``***``."""
    text = str(target)
    if not is_url(text):
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = f"{parts.username or ''}:***@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc))


async def open_database(storage: Storage, *, path: str | None = None) -> Database:
    """The configured database: PostgreSQL at ``[storage] url`` when it is set, else
    SQLite at ``[storage] path`` (``path``, when given, wins over both: ``--db``)."""
    return await Database.open(path or storage.url or storage.path)


class Database:
    """A SQLite file (``path``) or a PostgreSQL database (a ``postgresql://`` URL)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)  # a URL keeps its password: log ``redacted(path)`` only
        self._sqlite: SqliteEngine | None = None
        self._postgres: PostgresEngine | None = None
        self.engine: Engine
        if is_url(self.path):
            self.engine = _Closed()
        else:
            self.engine = self._sqlite = SqliteEngine(self.path)
        self._open = False

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> Database:
        db = cls(path)
        await db.connect()
        return db

    async def connect(self) -> None:
        if self._sqlite is None:
            from .postgres_engine import PostgresEngine  # asyncpg only when asked for

            self.engine = self._postgres = await PostgresEngine.open(self.path)
            self._open = True
            return
        await self._sqlite.open()
        self._open = True
        try:
            await self.migrate()
            await self._sqlite.open_readers()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._open:
            self._open = False
            await self.engine.close()

    async def __aenter__(self) -> Database:
        if not self._open:
            await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def dialect(self) -> Dialect:
        return self.engine.dialect

    async def migrate(self) -> int:
        """Apply pending migrations; return the schema version."""
        if self._postgres is not None:
            return await self._postgres.migrate()
        async with self.transaction() as tx:
            await tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = await tx.fetchone("SELECT MAX(version) FROM schema_version")
        current = (row[0] if row else None) or 0
        for version, _name, sql in migration_scripts():
            if version <= current:
                continue
            async with self.transaction() as tx:
                for statement in _split_sql(sql):
                    await tx.execute(statement)
                await tx.execute("INSERT INTO schema_version(version) VALUES (?)", (version,))
            current = version
        return current

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction: committed when the block ends, rolled back if it raises.
        Reads inside it go through the ``Tx`` (they see its own writes)."""
        return self.engine.transaction()

    async def in_one_trip(self, body: Callable[[Tx], Awaitable[T]]) -> T:
        """``body(tx)`` as one write transaction that holds no lock while this process
        does other work (see ``Engine.in_one_trip``): for the transactions that run
        under load."""
        return await self.engine.in_one_trip(body)

    async def write_grouped(self, writes: Iterable[Write]) -> None:
        """``writes`` all or nothing, group committed with concurrent callers'."""
        await self.engine.write_grouped(writes)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """A read of committed rows (never those of a transaction in flight)."""
        return await self.engine.fetchone(sql, tuple(params))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self.engine.fetchall(sql, tuple(params))

    async def hold_presence(self, name: str) -> None:
        """Be present as ``name`` until closed (see ``Engine.hold_presence``)."""
        await self.engine.hold_presence(name)

    async def absent(self, names: Iterable[str]) -> set[str]:
        """Which of ``names`` no live instance holds."""
        return await self.engine.absent(names)

    def on_presence_lost(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` if this instance's presence ends while it runs
        (see ``Engine.on_presence_lost``): it must stop claiming work at once."""
        self.engine.on_presence_lost(callback)

    async def on_stored(self, table: Literal["inbox", "outbox"],
                        callback: Callable[[], object]) -> None:
        """Call ``callback`` when any instance stores a row in ``table`` (PostgreSQL)."""
        await self.engine.on_stored(table, callback)

    async def fetch_first(self, reads: Iterable[Write]) -> list[Row | None]:
        """Several reads in one trip; the first row of each (None for none)."""
        return await self.engine.fetch_first(reads)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write statement in its own transaction; the rows it changed."""
        async with self.transaction() as tx:
            return await tx.execute(sql, tuple(params))

    async def configure(self, sql: str) -> list[Row]:
        """A statement about the writing connection itself (SQLite: ``ATTACH``,
        ``PRAGMA``), outside any transaction; SQLite only."""
        return await self._sqlite_only("Database.configure").configure(sql)

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        """Report every statement run to ``callback`` (tests check their query plans);
        SQLite only."""
        await self._sqlite_only("Database.trace").trace(callback)

    def _sqlite_only(self, feature: str) -> SqliteEngine:
        if self._sqlite is None:
            raise NotImplementedError(f"{feature} is SQLite only, not on PostgreSQL")
        return self._sqlite


class _Closed:
    """The engine of a PostgreSQL ``Database`` not yet connected."""

    dialect: Dialect = "postgresql"

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("database is closed")


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

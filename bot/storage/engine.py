"""The seam between the query modules and a database engine.

The query modules (``cases``, ``people``, ``outbox`` ...) speak to an
``Engine`` and, inside a write, to a ``Tx``; they never touch a driver. Two
implementations: SQLite (``sqlite_engine``, the embedded default: one writer
thread, read connections on WAL snapshots) and PostgreSQL (``postgres_engine``,
asyncpg). Callers outside ``bot/storage/`` see neither: they get frozen
dataclasses from the query modules.

SQL is written once, in the dialect both engines accept: ``?`` placeholders
(the PostgreSQL engine numbers them), ``INSERT ... ON CONFLICT ... DO
NOTHING/UPDATE`` (never ``INSERT OR IGNORE/REPLACE``), ``RETURNING id``
instead of ``lastrowid``, ``COALESCE``, timestamps computed in Python and
stored as ISO-8601 UTC text (no ``datetime()``, ``julianday()`` or
``strftime()`` in queries). ``tests/test_storage_dialect.py`` rejects the
SQLite-only forms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol, TypeVar

Dialect = Literal["sqlite", "postgresql"]

# One write statement and its parameters.
Write = tuple[str, tuple[Any, ...]]


class Row(Protocol):
    """A result row as both drivers give it: by column name or position."""

    def __getitem__(self, key: str | int, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...

    def __iter__(self) -> Iterator[Any]: ...

T = TypeVar("T")


class Tx(Protocol):
    """One write transaction. Statements run in order, all or nothing; a
    concurrent reader sees none of them until the commit."""

    dialect: Dialect

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """One statement for each of ``rows`` (bulk writes); the rows it changed."""
        ...

    async def append_rows(self, table: str, columns: Sequence[str],
                          rows: Iterable[Sequence[Any]]) -> None:
        """Append ``rows`` (a generator may block: it is consumed off the event loop)
        to ``table``: the bulk load of an import (PostgreSQL: ``COPY``)."""
        ...

    async def run(self, writes: Iterable[Write]) -> None:
        """Several statements in order, in one trip to the engine."""
        ...

    async def fetch_each(self, writes: Iterable[Write]) -> list[Row | None]:
        """Several statements in order, in one trip; the first row each returned (None
        for none): ``INSERT ... RETURNING id`` for a batch."""
        ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Engine(Protocol):
    dialect: Dialect

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """A read outside any write: it sees committed rows only."""
        ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetch_first(self, reads: Iterable[Write]) -> list[Row | None]:
        """Several reads outside any write, in one trip to the engine; the first row
        of each (None for none). Each sees committed rows only."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        ...

    async def in_one_trip(self, body: Callable[[Tx], Awaitable[T]]) -> T:
        """``body(tx)`` as one write transaction, committed when it returns. ``body``
        may await only ``tx``'s methods: SQLite then runs it whole on the database's
        thread, in one trip, so the writers' lock is held while its statements run and
        never while this process's event loop is busy with something else."""
        ...

    async def write_grouped(self, writes: Iterable[Write]) -> None:
        """``writes`` all or nothing, committed together with concurrent callers'
        (group commit: one commit, one fsync for all)."""
        ...

    async def hold_presence(self, name: str) -> None:
        """Be present as ``name`` until ``close`` (or the process dies): a lock other
        instances can test (``absent``) to tell a dead instance's claims from a live one's."""
        ...

    async def absent(self, names: Iterable[str]) -> set[str]:
        """Which of ``names`` no live instance holds (``hold_presence``)."""
        ...

    def on_presence_lost(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` if this instance's presence ends while it runs (PostgreSQL:
        the connection holding it broke, so other instances may already be taking its
        claims). Never on SQLite, whose presence lasts as long as the process."""
        ...

    async def on_stored(self, table: Literal["inbox", "outbox"],
                        callback: Callable[[], object]) -> None:
        """Call ``callback`` when any instance commits a new row to ``table``
        (PostgreSQL: LISTEN/NOTIFY). Nothing on SQLite: one instance, whose own
        wakeups suffice, and its polls."""
        ...

    async def close(self) -> None: ...

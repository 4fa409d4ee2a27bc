"""Serialising a read-modify-write across PostgreSQL instances.

SQLite runs one write transaction at a time, so a count followed by an insert (the
lookup and sign-in attempt limits) cannot interleave with another. PostgreSQL runs
transactions concurrently under READ COMMITTED: two could both count N-1 and both
insert. A transaction advisory lock per key, held to the commit, makes them take turns.
"""

from __future__ import annotations

from collections.abc import Iterable

from .engine import Tx


async def one_at_a_time(tx: Tx, keys: Iterable[str]) -> None:
    """Hold a lock on each of ``keys`` until ``tx`` ends (PostgreSQL; sorted, so two
    transactions never wait on each other crosswise). Nothing on SQLite."""
    if tx.dialect != "postgresql":
        return
    for key in sorted(set(keys)):
        await tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (key,))

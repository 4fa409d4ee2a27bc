"""The deployment's send rates (``bot/shared_rates.py``): one row of pacer state per rate.

``update`` reads a rate's state, lets the caller change it, and writes it back, in one
transaction that the other instances wait for (an advisory lock on PostgreSQL; SQLite
runs one write at a time), so two instances never take the same slot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from . import Database
from .locks import one_at_a_time

T = TypeVar("T")


async def update(db: Database, name: str, change: Callable[[str | None], tuple[str, T]]) -> T:
    """``change(state)`` -> (new state, result), on ``name``'s stored state (None at
    first), written back before the next instance reads it; the result."""
    async with db.transaction() as tx:
        await one_at_a_time(tx, [f"send_rate:{name}"])
        row = await tx.fetchone("SELECT state FROM send_rates WHERE name=?", (name,))
        state, result = change(str(row[0]) if row else None)
        await tx.execute("INSERT INTO send_rates(name, state) VALUES (?,?) ON CONFLICT (name)"
                         " DO UPDATE SET state=excluded.state", (name, state))
    return result

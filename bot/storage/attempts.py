"""Verification attempts, counted per key for the lookup rate limit.

Keys (``hashed_key``): ``sender`` (channel and address), ``docket`` (across senders),
or ``notice`` for a notice code that matches no case; console sign-ins use
``account`` and ``address``. Only a hash of the value is stored: the table says
how often a key was tried, not whose phone or which docket it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from . import Database, Tx
from .locks import one_at_a_time


def hashed_key(kind: str, value: str) -> str:
    """``kind:`` and a SHA-256 prefix of the value: the attempt tables hold no raw key."""
    digest = hashlib.sha256(f"{kind}\x1f{value}".encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


def stored_key(key: str) -> str:
    """The stored form of a ``kind:value`` key (``sender:sms:+1617...``, ``docket:...``)."""
    kind, _, value = key.partition(":")
    return hashed_key(kind, value)


@dataclass(frozen=True)
class Reservation:
    """The outcome of ``reserve``: the key that is locked, or the rows written."""
    locked: str | None
    ids: tuple[int, ...] = ()


async def reserve(db: Database, keys: Sequence[str], limit: int, since: str,
                  now: str) -> Reservation:
    """Count the failures of each key and write one more, in one transaction.

    A lookup is reserved as a failure before the registry is checked, so N concurrent
    guesses on one docket count as N and the (limit+1)th is refused whatever the
    interleaving. The first key (in order) at its limit is returned as ``locked`` and
    nothing is written. ``succeeded`` takes a verified lookup's rows back.
    """
    hashed = [stored_key(key) for key in keys]
    async with db.transaction() as tx:
        await one_at_a_time(tx, hashed)
        for key, stored in zip(keys, hashed, strict=True):
            row = await tx.fetchone("SELECT COUNT(*) FROM lookup_attempts"
                                    " WHERE key=? AND success=0 AND at>=?", (stored, since))
            if row is not None and int(row[0]) >= limit:
                return Reservation(locked=key)
        ids = []
        for stored in hashed:
            row = await tx.fetchone("INSERT INTO lookup_attempts(key, success, at)"
                                    " VALUES (?,0,?) RETURNING id", (stored, now))
            ids.append(int(row[0]) if row else 0)
    return Reservation(locked=None, ids=tuple(ids))


async def succeeded(tx: Tx, ids: Sequence[int]) -> None:
    """A verified lookup counts against no key (caller's transaction): its rows go."""
    marks = ",".join("?" * len(ids))
    await tx.execute(f"DELETE FROM lookup_attempts WHERE id IN ({marks})", tuple(ids))


async def failures_since(db: Database, key: str, since: str) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) FROM lookup_attempts WHERE key=? AND success=0 AND at>=?",
        (stored_key(key), since))
    return int(row[0]) if row else 0
